import { SCOPES } from "../../../domain/scopes.ts";
import type { AppContext } from "../../../context.ts";
import type { Post, Visibility } from "../../../db/schema.ts";
import { escapeHtml } from "../../../domain/text.ts";
import { EMPTY_DETAILS, type PostAttachment } from "../../../domain/post-details.ts";
import { loadPostViews } from "../../../domain/post-views.ts";
import { ownVotesOn, pollOf } from "../../../domain/polls.ts";
import { attachmentUrl } from "../../../domain/urls.ts";
import { readableByAnyone, type Viewer } from "../../../domain/visibility.ts";
import type { ModuleAttachment } from "../../../modules/module.ts";
import { moduleOfPost } from "../../../modules/registry.ts";
import { mediaProxyUrls, type MediaProxyUrls } from "../../../media/proxy-urls.ts";
import { acctOf, type MastodonAccount, renderAccounts } from "./account.ts";
import { type MastodonMediaAttachment, renderAttachedUpload } from "./media.ts";

export type { MastodonMediaAttachment } from "./media.ts";
import type { MastodonFilterResult } from "./filter.ts";
import { type MastodonPoll, renderPoll } from "./poll.ts";

/** https://docs.joinmastodon.org/entities/Status/ */
export type MastodonVisibility = "public" | "unlisted" | "private" | "direct";

export interface MastodonMention {
  id: string;
  username: string;
  url: string;
  acct: string;
}

export interface MastodonTag {
  name: string;
  url: string;
}

/**
 * Mastodon 4.5's quote policy, as it applies to the viewer: Plein neither
 * makes nor accepts quotes, so nobody may quote. Clients on masto.js treat
 * these attributes as always present.
 */
export const NO_QUOTES = { automatic: [] as never[], manual: [] as never[], current_user: "denied" as const };

export interface MastodonStatus {
  id: string;
  uri: string;
  url: string | null;
  created_at: string;
  edited_at: string | null;
  account: MastodonAccount;
  content: string;
  /** source text: only in the answer to DELETE (for "delete and redraft") */
  text?: string | null;
  visibility: MastodonVisibility;
  sensitive: boolean;
  spoiler_text: string;
  media_attachments: MastodonMediaAttachment[];
  application: null;
  mentions: MastodonMention[];
  tags: MastodonTag[];
  emojis: never[];
  reblogs_count: number;
  favourites_count: number;
  replies_count: number;
  quotes_count: 0;
  quote_approval: typeof NO_QUOTES;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  reblog: MastodonStatus | null;
  poll: MastodonPoll | null;
  card: null;
  language: string | null;
  favourited?: boolean;
  reblogged?: boolean;
  muted?: boolean;
  bookmarked?: boolean;
  pinned?: boolean;
  /** why the viewer's filters match it (https://docs.joinmastodon.org/entities/FilterResult/) */
  filtered?: MastodonFilterResult[];
}

/** Plein scopes as Mastodon names them (src/domain/scopes.ts). */
export function mastodonVisibility(v: Visibility): MastodonVisibility {
  return SCOPES[v].mastodon;
}

export function tagUrl(origin: URL, tag: string): string {
  return new URL(`/tags/${encodeURIComponent(tag)}`, origin).href;
}

function attachmentType(mediaType: string | null): MastodonMediaAttachment["type"] {
  if (!mediaType) return "unknown";
  if (mediaType.startsWith("image/")) return "image";
  if (mediaType.startsWith("video/")) return "video";
  if (mediaType.startsWith("audio/")) return "audio";
  return "unknown";
}

/**
 * An attachment as clients see it. A remote post's files are served by this
 * server, so that the viewer's app never contacts the other one: a post
 * anyone may read through the media proxy (src/api/media-proxy.ts), a post
 * not everyone may read to whoever may see it (src/api/plein/attachments.ts):
 * its own server would not give it to the viewer's app.
 */
function renderAttachment(origin: URL, proxy: MediaProxyUrls, post: Post, a: PostAttachment): MastodonMediaAttachment {
  // Our own upload: served by us to whoever may see the post (src/api/mastodon/media-files.ts).
  if (a.media_id !== null) return renderAttachedUpload({ ...a, media_id: a.media_id });
  const served = !readableByAnyone(post.visibility) ? attachmentUrl(origin, a.id)
    : post.local ? a.url
    : proxy.attachment(a) ?? a.url;
  return {
    id: a.id,
    type: attachmentType(a.media_type),
    url: served,
    preview_url: served,
    remote_url: post.local ? null : a.url,
    meta: a.width && a.height
      ? { original: { width: a.width, height: a.height, size: `${a.width}x${a.height}`, aspect: a.width / a.height } }
      : {},
    description: a.description,
    blurhash: a.blurhash,
  };
}

function renderModuleAttachment(a: ModuleAttachment): MastodonMediaAttachment {
  return {
    id: a.id, type: attachmentType(a.mediaType ?? ""), url: a.url, preview_url: a.url, remote_url: null,
    meta: {}, description: a.description, blurhash: null,
  };
}

/** The files content modules attach to these posts (one query per module that has any), by post id. */
async function moduleAttachments(deps: AppContext, posts: readonly Post[]): Promise<Map<string, MastodonMediaAttachment[]>> {
  const byModule = new Map<NonNullable<ReturnType<typeof moduleOfPost>>, Post[]>();
  for (const p of posts) {
    const module = moduleOfPost(p);
    if (module?.attachments) byModule.set(module, [...byModule.get(module) ?? [], p]);
  }
  const out = new Map<string, MastodonMediaAttachment[]>();
  for (const [module, ofModule] of byModule) {
    for (const [postId, files] of await module.attachments!(deps.db, ofModule, deps.config.origin)) {
      out.set(postId, files.map(renderModuleAttachment));
    }
  }
  return out;
}

/**
 * Renders a page of posts for `viewer` in a fixed number of queries. Boosts
 * whose original the viewer may not see are left out (the caller pages on
 * the rows it passed, so paging is not affected). Counts of replies and
 * boosts only count what the viewer may see.
 */
export async function renderStatuses(deps: AppContext, viewer: Viewer, posts: Post[], options: { withSource?: boolean } = {}): Promise<MastodonStatus[]> {
  if (posts.length === 0) return [];
  const { db, config } = deps;
  const me = viewer.kind === "local" ? viewer.actorId : undefined;
  const views = await loadPostViews(db, viewer, posts);
  const polls = new Map([...posts, ...views.originals.values()].flatMap((p) => {
    const poll = pollOf(p);
    return poll ? [[p.id, poll] as const] : [];
  }));
  // At once: each is a round trip, and a page's time is mostly round trips.
  const [accounts, extraFiles, proxy, ownVotes] = await Promise.all([
    renderAccounts(deps, views.authors, viewer),
    moduleAttachments(deps, [...posts.filter((p) => !p.reblog_of_id), ...views.originals.values()]),
    mediaProxyUrls(deps),
    me ? ownVotesOn(db, me, [...polls.keys()]) : Promise.resolve(new Map<string, number[]>()),
  ]);

  const renderContent = (p: Post): MastodonStatus => {
    const title = p.name && p.type !== "Note" ? `<p><strong>${escapeHtml(p.name)}</strong></p>` : "";
    const d = views.details.get(p.id) ?? EMPTY_DETAILS;
    const status: MastodonStatus = {
      id: p.id,
      uri: p.iri,
      url: p.url ?? p.iri,
      created_at: p.published_at.toISOString(),
      edited_at: p.edited_at ? p.edited_at.toISOString() : null,
      account: accounts.get(p.actor_id)!,
      content: title + p.content_html,
      visibility: mastodonVisibility(p.visibility),
      sensitive: p.sensitive,
      spoiler_text: p.summary ?? "",
      media_attachments: [...d.attachments.map((a) => renderAttachment(config.origin, proxy, p, a)), ...extraFiles.get(p.id) ?? []],
      application: null,
      mentions: d.mentions.map((m) => ({
        id: m.id,
        username: m.username,
        url: m.url ?? m.iri,
        acct: acctOf(m),
      })),
      tags: d.tags.map((tag) => ({ name: tag, url: tagUrl(config.origin, tag) })),
      emojis: [],
      reblogs_count: views.boostCounts.get(p.id) ?? 0,
      favourites_count: p.likes_count,
      replies_count: views.replyCounts.get(p.id) ?? 0,
      quotes_count: 0,
      quote_approval: NO_QUOTES,
      in_reply_to_id: p.in_reply_to_id,
      in_reply_to_account_id: p.in_reply_to_id ? views.parentAuthor.get(p.in_reply_to_id) ?? null : null,
      reblog: null,
      poll: polls.has(p.id) ? renderPoll(p, polls.get(p.id)!, me ? { accountId: me, ownVotes: ownVotes.get(p.id) ?? [] } : {}) : null,
      card: null,
      language: p.language,
    };
    if (options.withSource) status.text = p.content_source;
    if (me) {
      status.favourited = views.liked.has(p.id);
      status.reblogged = views.boosted.has(p.id);
      status.muted = false;
      status.bookmarked = views.bookmarked.has(p.id);
      status.pinned = views.pinned.has(p.id);
    }
    return status;
  };

  const out: MastodonStatus[] = [];
  for (const p of posts) {
    if (!p.reblog_of_id) {
      out.push(renderContent(p));
      continue;
    }
    const original = views.originals.get(p.reblog_of_id);
    if (!original) continue;
    const inner = renderContent(original);
    out.push({
      ...inner,
      id: p.id,
      uri: p.iri,
      url: null,
      created_at: p.published_at.toISOString(),
      edited_at: null,
      account: accounts.get(p.actor_id)!,
      content: "",
      visibility: mastodonVisibility(p.visibility),
      spoiler_text: "",
      sensitive: false,
      media_attachments: [],
      mentions: [],
      tags: [],
      reblogs_count: 0,
      favourites_count: 0,
      replies_count: 0,
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      language: null,
      reblog: inner,
    });
  }
  return out;
}

export async function renderStatus(deps: AppContext, viewer: Viewer, post: Post, options: { withSource?: boolean } = {}): Promise<MastodonStatus | undefined> {
  return (await renderStatuses(deps, viewer, [post], options))[0];
}
