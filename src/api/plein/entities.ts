/** Plein's own API entities: groups, members and group content (documented in openapi.ts). */
import type { AppContext } from "../../context.ts";
import type { Actor, GroupPosting, GroupVisibility, JoinMode, Membership, Post, Visibility } from "../../db/schema.ts";
import type { GroupView } from "../../domain/groups.ts";
import { countMembers, membershipOf } from "../../domain/membership.ts";
import type { MemberEntry } from "../../domain/membership.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { moduleOfPost } from "../../modules/registry.ts";
import { type MastodonAccount, renderAccount, renderAccountList } from "../mastodon/entities/account.ts";

export interface PleinMembership {
  state: Membership["state"];
  role: Membership["role"];
  title: string | null;
  organisation: string | null;
  notify: Membership["notify"];
}

export interface PleinGroup {
  id: string;
  /** the group as an account (Mastodon apps see groups as accounts with group: true) */
  account: MastodonAccount;
  local: boolean;
  /** settings of a local group; null for a group on another server */
  visibility: GroupVisibility | null;
  join_mode: JoinMode | null;
  posting: GroupPosting | null;
  moderate_posts: boolean | null;
  moderate_comments: boolean | null;
  /** members only from these domains (empty: from anywhere); null for a group on another server */
  allowed_domains: string[] | null;
  modules: string[];
  members_count: number;
  /** the caller's own membership, if any */
  membership: PleinMembership | null;
}

export interface PleinMember extends PleinMembership {
  account: MastodonAccount;
  since: string;
}

export interface PleinContent {
  id: string;
  uri: string;
  url: string;
  /** the content module, null for a plain status or comment */
  module: string | null;
  type: Post["type"];
  group_id: string | null;
  account: MastodonAccount;
  title: string | null;
  content: string;
  /** the text as written, for editing (own posts only) */
  text: string | null;
  summary: string | null;
  language: string | null;
  visibility: Visibility;
  moderation: Post["moderation"];
  in_reply_to_id: string | null;
  replies_count: number;
  created_at: string;
  edited_at: string | null;
  /** the module's own fields (an event's times, a wiki page's parent...) */
  fields: Record<string, unknown>;
}

function membershipJson(m: Membership): PleinMembership {
  return { state: m.state, role: m.role, title: m.title, organisation: m.organisation, notify: m.notify };
}

export async function renderGroup(deps: AppContext, group: GroupView, viewer: Viewer): Promise<PleinGroup> {
  const me = viewer.kind === "local" ? viewer.actorId : null;
  const [account, members, mine] = await Promise.all([
    renderAccount(deps, group.actor, viewer),
    countMembers(deps.db, group.actor.id),
    me ? membershipOf(deps.db, group.actor.id, me) : Promise.resolve(undefined),
  ]);
  const s = group.settings;
  return {
    id: group.actor.id,
    account,
    local: group.actor.local,
    visibility: s?.visibility ?? null,
    join_mode: s?.join_mode ?? null,
    posting: s?.posting ?? null,
    moderate_posts: s?.moderate_posts ?? null,
    moderate_comments: s?.moderate_comments ?? null,
    allowed_domains: s?.allowed_domains ?? null,
    modules: group.modules,
    members_count: members,
    membership: mine ? membershipJson(mine) : null,
  };
}

export async function renderMembers(deps: AppContext, entries: MemberEntry[], viewer: Viewer): Promise<PleinMember[]> {
  const accounts = await renderAccountList(deps, entries.map((e) => e.actor), viewer);
  return entries.map((e, i) => ({ account: accounts[i]!, ...membershipJson(e.membership), since: e.membership.created_at.toISOString() }));
}

/** Posts as Plein's API shows them, each with its module's own fields as `viewer` may see them. */
export async function renderContent(deps: AppContext, posts: Post[], viewer: Viewer): Promise<PleinContent[]> {
  const byModule = new Map<string, Post[]>();
  for (const p of posts) {
    const module = moduleOfPost(p);
    if (module?.present) byModule.set(module.name, [...(byModule.get(module.name) ?? []), p]);
  }
  // The authors and each module's fields at once: each is a round trip of its own.
  const [accountById, ...presented] = await Promise.all([
    findActorsByIds(deps.db, posts.map((p) => p.actor_id)).then(async (authors) => {
      const accounts = await renderAccountList(deps, authors, viewer);
      return new Map(authors.map((a, i) => [a.id, accounts[i]!]));
    }),
    ...[...byModule].map(([name, list]) => moduleOfPost({ module: name })!.present!(deps.db, list, viewer, deps.config.origin)),
  ]);
  const fields = new Map<string, Record<string, unknown>>();
  for (const moduleFields of presented) for (const [id, f] of moduleFields) fields.set(id, f);
  const me = viewer.kind === "local" ? viewer.actorId : null;
  return posts.flatMap((p) => {
    const account = accountById.get(p.actor_id);
    if (!account) return [];
    return [{
      id: p.id,
      uri: p.iri,
      url: p.url ?? p.iri,
      module: p.module,
      type: p.type,
      group_id: p.group_id,
      account,
      title: p.name,
      content: p.content_html,
      text: p.actor_id === me ? p.content_source : null,
      summary: p.summary,
      language: p.language,
      visibility: p.visibility,
      moderation: p.moderation,
      in_reply_to_id: p.in_reply_to_id,
      replies_count: p.replies_count,
      created_at: p.published_at.toISOString(),
      edited_at: p.edited_at?.toISOString() ?? null,
      fields: fields.get(p.id) ?? {},
    }];
  });
}

export type { Actor };
