import type { AppContext } from "../../../context.ts";
import type { Actor } from "../../../db/schema.ts";
import { type AccountCounts, accountCounts } from "../../../domain/account-counts.ts";
import { countFollowRequests, hidesNetwork } from "../../../domain/relationships.ts";
import { ANONYMOUS, type Viewer } from "../../../domain/visibility.ts";
import { mediaProxyUrls, type MediaProxyUrls } from "../../../media/proxy-urls.ts";

/** https://docs.joinmastodon.org/entities/Account/ */
export interface MastodonField {
  name: string;
  value: string;
  verified_at: string | null;
}

export interface MastodonAccount {
  id: string;
  username: string;
  acct: string;
  display_name: string;
  locked: boolean;
  bot: boolean;
  discoverable: boolean;
  group: boolean;
  created_at: string;
  note: string;
  url: string;
  uri: string;
  avatar: string;
  avatar_static: string;
  header: string;
  header_static: string;
  followers_count: number;
  following_count: number;
  statuses_count: number;
  last_status_at: string | null;
  emojis: never[];
  fields: MastodonField[];
  /** the roles shown on the profile (Mastodon 4.1): Plein shows none */
  roles: never[];
  /** whether the viewer may feature the account in a collection (Mastodon 4.6): Plein has no collections */
  feature_approval: typeof NOT_FEATURABLE;
}

const NOT_FEATURABLE = { automatic: [] as never[], manual: [] as never[], current_user: "denied" as const };

/**
 * https://docs.joinmastodon.org/entities/Role/: the role every user has (Mastodon's
 * "everyone", id -99), with no permissions: Plein's own roles are not Mastodon's,
 * and the client API grants none of Mastodon's moderation permissions.
 */
const EVERYONE_ROLE = { id: "-99", name: "", color: "", permissions: "0", highlighted: false };

/** verify_credentials adds the account's own settings. */
export interface MastodonCredentialAccount extends MastodonAccount {
  source: {
    note: string;
    fields: MastodonField[];
    privacy: "public" | "unlisted" | "private" | "direct";
    sensitive: boolean;
    language: string | null;
    follow_requests_count: number;
    /** followers and follows shown to nobody else */
    hide_collections: boolean;
    /** public posts searchable by anyone: Plein has no full-text search */
    indexable: false;
    /** sites allowed to credit the account as author (Mastodon 4.3): none */
    attribution_domains: never[];
    /** who may quote new posts (Mastodon 4.5): nobody, Plein has no quotes */
    quote_policy: "nobody";
  };
  role: typeof EVERYONE_ROLE;
}

function fieldsOf(actor: Actor): MastodonField[] {
  const raw = actor.fields;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((f: unknown) => {
    if (typeof f !== "object" || f === null) return [];
    const { name, value } = f as Record<string, unknown>;
    return typeof name === "string" && typeof value === "string" ? [{ name, value, verified_at: null }] : [];
  });
}

/** The handle as Mastodon shows it: the bare name for local accounts, name@domain for remote ones. */
export function acctOf(actor: Pick<Actor, "local" | "username" | "domain">): string {
  return actor.local ? actor.username : `${actor.username}@${actor.domain}`;
}

function render(deps: AppContext, proxy: MediaProxyUrls, actor: Actor, counts: AccountCounts | undefined): MastodonAccount {
  // A remote account's pictures come from this server (src/api/media-proxy.ts), never from theirs.
  const avatar = proxy.picture(actor, "avatar") ?? actor.avatar_url ?? new URL("/avatars/original/missing.png", deps.config.origin).href;
  const header = proxy.picture(actor, "header") ?? actor.header_url ?? new URL("/headers/original/missing.png", deps.config.origin).href;
  return {
    id: actor.id,
    username: actor.username,
    acct: acctOf(actor),
    display_name: actor.display_name,
    locked: actor.manually_approves_followers,
    bot: actor.bot || actor.type === "Service" || actor.type === "Application",
    discoverable: true,
    group: actor.type === "Group",
    created_at: actor.created_at.toISOString(),
    note: actor.summary_html,
    url: actor.url ?? actor.iri,
    uri: actor.iri,
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: counts?.followers ?? 0,
    following_count: counts?.following ?? 0,
    statuses_count: counts?.statuses ?? 0,
    last_status_at: counts?.lastStatusAt ? counts.lastStatusAt.toISOString().slice(0, 10) : null,
    emojis: [],
    fields: fieldsOf(actor),
    roles: [],
    feature_approval: NOT_FEATURABLE,
  };
}

/** Many accounts, counts batched; keyed by actor id. */
export async function renderAccounts(deps: AppContext, actors: Actor[], viewer: Viewer = ANONYMOUS): Promise<Map<string, MastodonAccount>> {
  const unique = [...new Map(actors.map((a) => [a.id, a])).values()];
  const [counts, proxy] = await Promise.all([accountCounts(deps.db, viewer, unique), mediaProxyUrls(deps)]);
  return new Map(unique.map((a) => [a.id, render(deps, proxy, a, counts.get(a.id))]));
}

/** A list of accounts in order. */
export async function renderAccountList(deps: AppContext, actors: Actor[], viewer: Viewer = ANONYMOUS): Promise<MastodonAccount[]> {
  const map = await renderAccounts(deps, actors, viewer);
  return actors.map((a) => map.get(a.id)!);
}

export async function renderAccount(deps: AppContext, actor: Actor, viewer: Viewer = ANONYMOUS): Promise<MastodonAccount> {
  return (await renderAccounts(deps, [actor], viewer)).get(actor.id)!;
}

export async function renderCredentialAccount(deps: AppContext, actor: Actor): Promise<MastodonCredentialAccount> {
  const viewer: Viewer = { kind: "local", actorId: actor.id };
  const [account, requests] = await Promise.all([
    renderAccount(deps, actor, viewer),
    countFollowRequests(deps.db, actor.id),
  ]);
  return {
    ...account,
    source: {
      note: actor.summary_html,
      fields: account.fields,
      privacy: "public",
      sensitive: false,
      language: null,
      follow_requests_count: requests,
      hide_collections: hidesNetwork(actor),
      indexable: false,
      attribution_domains: [],
      quote_policy: "nobody",
    },
    role: EVERYONE_ROLE,
  };
}
