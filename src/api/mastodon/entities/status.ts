import type { AppContext } from "../../../../federation/context.ts";
import type { Post, Visibility } from "../../../db/schema.ts";
import { escapeHtml } from "../../../domain/text.ts";
import { visibleTo, type Viewer } from "../../../domain/visibility.ts";
import { acctOf, type MastodonAccount, renderAccounts } from "./account.ts";

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

export interface MastodonMediaAttachment {
  id: string;
  type: "image" | "gifv" | "video" | "audio" | "unknown";
  url: string;
  preview_url: string;
  remote_url: string | null;
  meta: { original?: { width: number; height: number; size: string; aspect: number } };
  description: string | null;
  blurhash: string | null;
}

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
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  reblog: MastodonStatus | null;
  poll: null;
  card: null;
  language: string | null;
  favourited?: boolean;
  reblogged?: boolean;
  muted?: boolean;
  bookmarked?: boolean;
  pinned?: boolean;
  filtered?: never[];
}

/** Plein scopes as Mastodon names them; `instance` and `group` are closed, so "private". */
export function mastodonVisibility(v: Visibility): MastodonVisibility {
  switch (v) {
    case "public": return "public";
    case "unlisted": return "unlisted";
    case "direct": return "direct";
    case "followers":
    case "instance":
    case "group":
      return "private";
  }
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

function groupBy<T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
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

  const boostOf = [...new Set(posts.flatMap((p) => (p.reblog_of_id ? [p.reblog_of_id] : [])))];
  const originals = boostOf.length
    ? await db.selectFrom("posts").selectAll("posts").where("posts.id", "in", boostOf).where(visibleTo(viewer)).execute()
    : [];
  const originalById = new Map(originals.map((p) => [p.id, p]));
  const content = [...posts.filter((p) => !p.reblog_of_id), ...originals];
  const contentIds = [...new Set(content.map((p) => p.id))];
  const parentIds = [...new Set(content.flatMap((p) => (p.in_reply_to_id ? [p.in_reply_to_id] : [])))];

  const none = Promise.resolve([]);
  const [mentionRows, tagRows, attachmentRows, liked, boosted, parents, replyCounts, boostCounts] = await Promise.all([
    contentIds.length
      ? db.selectFrom("post_mentions").innerJoin("actors", "actors.id", "post_mentions.actor_id")
        .select(["post_mentions.post_id", "actors.id", "actors.username", "actors.domain", "actors.local", "actors.url", "actors.iri"])
        .where("post_mentions.post_id", "in", contentIds).execute()
      : none,
    contentIds.length
      ? db.selectFrom("post_tags").select(["post_id", "tag"]).where("post_id", "in", contentIds).orderBy("tag").execute()
      : none,
    contentIds.length
      ? db.selectFrom("post_attachments").selectAll().where("post_id", "in", contentIds).orderBy("post_id").orderBy("position").execute()
      : none,
    me && contentIds.length
      ? db.selectFrom("likes").select("post_id").where("actor_id", "=", me).where("post_id", "in", contentIds).execute()
      : none,
    me && contentIds.length
      ? db.selectFrom("posts").select("reblog_of_id").where("actor_id", "=", me).where("reblog_of_id", "in", contentIds)
        .where("deleted_at", "is", null).execute()
      : none,
    parentIds.length
      ? db.selectFrom("posts").select(["posts.id", "posts.actor_id"]).where("posts.id", "in", parentIds).where(visibleTo(viewer)).execute()
      : none,
    contentIds.length
      ? db.selectFrom("posts").select(["posts.in_reply_to_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("posts.in_reply_to_id", "in", contentIds).where(visibleTo(viewer)).groupBy("posts.in_reply_to_id").execute()
      : none,
    contentIds.length
      ? db.selectFrom("posts").select(["posts.reblog_of_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("posts.reblog_of_id", "in", contentIds).where(visibleTo(viewer)).groupBy("posts.reblog_of_id").execute()
      : none,
  ]);

  const authorIds = [...new Set([...posts, ...originals].map((p) => p.actor_id))];
  const authors = await db.selectFrom("actors").selectAll().where("id", "in", authorIds).execute();
  const accounts = await renderAccounts(deps, authors, viewer);

  const mentionsBy = groupBy(mentionRows, (r) => r.post_id);
  const tagsBy = groupBy(tagRows, (r) => r.post_id);
  const attachmentsBy = groupBy(attachmentRows, (r) => r.post_id);
  const likedSet = new Set(liked.map((r) => r.post_id));
  const boostedSet = new Set(boosted.map((r) => r.reblog_of_id));
  const parentAuthor = new Map(parents.map((r) => [r.id, r.actor_id]));
  const replies = new Map(replyCounts.map((r) => [r.id, Number(r.n)]));
  const boosts = new Map(boostCounts.map((r) => [r.id, Number(r.n)]));

  const renderContent = (p: Post): MastodonStatus => {
    const title = p.name && p.type !== "Note" ? `<p><strong>${escapeHtml(p.name)}</strong></p>` : "";
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
      media_attachments: (attachmentsBy.get(p.id) ?? []).map((a) => ({
        id: a.id,
        type: attachmentType(a.media_type),
        url: a.url,
        preview_url: a.url,
        remote_url: p.local ? null : a.url,
        meta: a.width && a.height
          ? { original: { width: a.width, height: a.height, size: `${a.width}x${a.height}`, aspect: a.width / a.height } }
          : {},
        description: a.description,
        blurhash: a.blurhash,
      })),
      application: null,
      mentions: (mentionsBy.get(p.id) ?? []).map((m) => ({
        id: m.id,
        username: m.username,
        url: m.url ?? m.iri,
        acct: acctOf(m),
      })),
      tags: (tagsBy.get(p.id) ?? []).map((t) => ({ name: t.tag, url: tagUrl(config.origin, t.tag) })),
      emojis: [],
      reblogs_count: boosts.get(p.id) ?? 0,
      favourites_count: p.likes_count,
      replies_count: replies.get(p.id) ?? 0,
      in_reply_to_id: p.in_reply_to_id,
      in_reply_to_account_id: p.in_reply_to_id ? parentAuthor.get(p.in_reply_to_id) ?? null : null,
      reblog: null,
      poll: null,
      card: null,
      language: p.language,
    };
    if (options.withSource) status.text = p.content_source;
    if (me) {
      status.favourited = likedSet.has(p.id);
      status.reblogged = boostedSet.has(p.id);
      status.muted = false;
      status.bookmarked = false;
      status.pinned = false;
    }
    return status;
  };

  const out: MastodonStatus[] = [];
  for (const p of posts) {
    if (!p.reblog_of_id) {
      out.push(renderContent(p));
      continue;
    }
    const original = originalById.get(p.reblog_of_id);
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
