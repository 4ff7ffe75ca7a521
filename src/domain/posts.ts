import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, ObjectType, Post, Visibility } from "../db/schema.ts";
import { conflict, forbidden, invalid, notFound } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { newActivityIri, newObjectIri } from "./urls.ts";
import { canView, federates, isPublicScope, type Viewer, visibleTo } from "./visibility.ts";
import { isRowId } from "./ids.ts";

/** Caps that bound what one post can carry (ours and remote ones alike). */
export const LIMITS = {
  contentChars: 100_000,
  summaryChars: 2_000,
  nameChars: 1_000,
  mentions: 50,
  tags: 50,
  attachments: 16,
  urlChars: 2_048,
} as const;

export interface AttachmentInput {
  url: string;
  mediaType?: string | null;
  description?: string | null;
  width?: number | null;
  height?: number | null;
  blurhash?: string | null;
}

export interface NewLocalPost {
  type?: ObjectType;
  contentHtml: string;
  contentSource?: string;
  summary?: string | null;
  sensitive?: boolean;
  name?: string | null;
  visibility: Visibility;
  inReplyToId?: string | null;
  mentionIds?: string[];
  tags?: string[];
  language?: string | null;
  attachments?: AttachmentInput[];
  extra?: Record<string, unknown>;
}

function checkLengths(p: { contentHtml: string; summary?: string | null; name?: string | null; mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
  if (p.contentHtml.length > LIMITS.contentChars) throw invalid(`Text is longer than ${LIMITS.contentChars} characters`);
  if ((p.summary?.length ?? 0) > LIMITS.summaryChars) throw invalid(`Content warning is longer than ${LIMITS.summaryChars} characters`);
  if ((p.name?.length ?? 0) > LIMITS.nameChars) throw invalid(`Title is longer than ${LIMITS.nameChars} characters`);
  if ((p.mentionIds?.length ?? 0) > LIMITS.mentions) throw invalid(`At most ${LIMITS.mentions} mentions`);
  if ((p.tags?.length ?? 0) > LIMITS.tags) throw invalid(`At most ${LIMITS.tags} hashtags`);
  if ((p.attachments?.length ?? 0) > LIMITS.attachments) throw invalid(`At most ${LIMITS.attachments} attachments`);
}

export async function getPost(db: Db, id: string): Promise<Post | undefined> {
  if (!isRowId(id)) return undefined;
  return db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();
}

export function getPostByIri(db: Db, iri: string): Promise<Post | undefined> {
  return db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
}

/** The post if `viewer` may see it; otherwise the same not-found as for a missing one. */
export async function getVisiblePost(db: Db, viewer: Viewer, id: string): Promise<Post> {
  const post = await getPost(db, id);
  if (!post || !(await canView(db, viewer, post.id))) throw notFound();
  return post;
}

async function insertDetails(trx: Db, postId: string, p: { mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
  const mentionIds = [...new Set(p.mentionIds ?? [])];
  if (mentionIds.length) {
    await trx.insertInto("post_mentions").values(mentionIds.map((actor_id) => ({ post_id: postId, actor_id })))
      .onConflict((oc) => oc.doNothing()).execute();
  }
  const tags = [...new Set((p.tags ?? []).map((t) => t.toLowerCase()))];
  if (tags.length) {
    await trx.insertInto("post_tags").values(tags.map((tag) => ({ post_id: postId, tag })))
      .onConflict((oc) => oc.doNothing()).execute();
  }
  const attachments = p.attachments ?? [];
  if (attachments.length) {
    await trx.insertInto("post_attachments").values(attachments.map((a, position) => ({
      post_id: postId, position, url: a.url, media_type: a.mediaType ?? null, description: a.description ?? null,
      width: a.width ?? null, height: a.height ?? null, blurhash: a.blurhash ?? null,
    }))).execute();
  }
}

async function replaceDetails(trx: Db, postId: string, p: { mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
  await trx.deleteFrom("post_mentions").where("post_id", "=", postId).execute();
  await trx.deleteFrom("post_tags").where("post_id", "=", postId).execute();
  await trx.deleteFrom("post_attachments").where("post_id", "=", postId).execute();
  await insertDetails(trx, postId, p);
}

async function bumpReplies(trx: Db, parentId: string | null, by: 1 | -1) {
  if (!parentId) return;
  await trx.updateTable("posts").set({ replies_count: sql`greatest(replies_count + ${by}, 0)` })
    .where("id", "=", parentId).execute();
}

/** A local account posts. Delivery is queued in the same transaction. */
export async function createLocalPost(db: Db, origin: URL, author: Actor, input: NewLocalPost): Promise<Post> {
  if (!author.local) throw forbidden();
  checkLengths(input);
  let parent: Post | undefined;
  if (input.inReplyToId) {
    parent = await getVisiblePost(db, { kind: "local", actorId: author.id }, input.inReplyToId);
    if (parent.reblog_of_id) throw invalid("Cannot reply to a boost");
  }
  const type = input.type ?? "Note";
  return db.transaction().execute(async (trx) => {
    const iri = newObjectIri(origin, type);
    const post = await trx.insertInto("posts").values({
      iri,
      url: iri,
      actor_id: author.id,
      local: true,
      type,
      visibility: input.visibility,
      in_reply_to_id: parent?.id ?? null,
      in_reply_to_iri: parent?.iri ?? null,
      name: input.name ?? null,
      summary: input.summary || null,
      sensitive: input.sensitive ?? Boolean(input.summary),
      content_html: input.contentHtml,
      content_source: input.contentSource ?? null,
      language: input.language ?? null,
      extra: JSON.stringify(input.extra ?? {}),
      published_at: new Date(),
    }).returningAll().executeTakeFirstOrThrow();
    await insertDetails(trx, post.id, input);
    await bumpReplies(trx, post.in_reply_to_id, 1);
    if (federates(post.visibility)) await enqueueDelivery(trx, { type: "post.create", postId: post.id }, author.id);
    return post;
  });
}

export interface PostEdit {
  contentHtml: string;
  contentSource?: string;
  summary?: string | null;
  sensitive?: boolean;
  name?: string | null;
  mentionIds?: string[];
  tags?: string[];
  language?: string | null;
  attachments?: AttachmentInput[];
}

/** The author edits a post; its scope never changes by an edit. */
export async function editLocalPost(db: Db, author: Actor, postId: string, edit: PostEdit): Promise<Post> {
  checkLengths(edit);
  const post = await getPost(db, postId);
  if (!post || post.deleted_at || post.reblog_of_id) throw notFound();
  if (post.actor_id !== author.id) throw notFound();
  return db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable("posts").set({
      content_html: edit.contentHtml,
      content_source: edit.contentSource ?? null,
      summary: edit.summary || null,
      sensitive: edit.sensitive ?? Boolean(edit.summary),
      ...(edit.name !== undefined ? { name: edit.name } : {}),
      ...(edit.language !== undefined ? { language: edit.language } : {}),
      edited_at: new Date(),
    }).where("id", "=", post.id).returningAll().executeTakeFirstOrThrow();
    await replaceDetails(trx, post.id, edit);
    if (federates(updated.visibility)) await enqueueDelivery(trx, { type: "post.update", postId: post.id }, author.id);
    return updated;
  });
}

/** The author deletes a post: it becomes a tombstone (410) and a Delete goes out to the same audience. */
export async function deleteLocalPost(db: Db, author: Actor, postId: string): Promise<Post> {
  const post = await getPost(db, postId);
  if (!post || post.deleted_at || post.reblog_of_id || post.actor_id !== author.id) throw notFound();
  return db.transaction().execute(async (trx) => {
    const deleted = await trx.updateTable("posts").set({ deleted_at: new Date() })
      .where("id", "=", post.id).returningAll().executeTakeFirstOrThrow();
    await bumpReplies(trx, post.in_reply_to_id, -1);
    // Boosts of a deleted post go with it.
    await trx.updateTable("posts").set({ deleted_at: new Date() }).where("reblog_of_id", "=", post.id).execute();
    if (federates(post.visibility)) await enqueueDelivery(trx, { type: "post.delete", postId: post.id }, author.id);
    return deleted;
  });
}

/** A local account favourites a post it can see. Idempotent. */
export async function like(db: Db, origin: URL, actor: Actor, postId: string): Promise<Post> {
  const post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  if (post.reblog_of_id) throw invalid("Favourite the original post, not a boost");
  await db.transaction().execute(async (trx) => {
    const activityIri = newActivityIri(origin, "like");
    const inserted = await trx.insertInto("likes").values({ actor_id: actor.id, post_id: post.id, activity_iri: activityIri })
      .onConflict((oc) => oc.doNothing()).returning("id").executeTakeFirst();
    if (!inserted) return;
    await trx.updateTable("posts").set({ likes_count: sql`likes_count + 1` }).where("id", "=", post.id).execute();
    if (!post.local) await enqueueDelivery(trx, { type: "like", actorId: actor.id, postId: post.id, activityIri }, actor.id);
  });
  return (await getPost(db, post.id))!;
}

export async function unlike(db: Db, actor: Actor, postId: string): Promise<Post> {
  const post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  await db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom("likes").where("actor_id", "=", actor.id).where("post_id", "=", post.id)
      .returning("activity_iri").executeTakeFirst();
    if (!removed) return;
    await trx.updateTable("posts").set({ likes_count: sql`greatest(likes_count - 1, 0)` }).where("id", "=", post.id).execute();
    if (!post.local) {
      await enqueueDelivery(trx, { type: "like.undo", actorId: actor.id, postId: post.id, activityIri: removed.activity_iri }, actor.id);
    }
  });
  return (await getPost(db, post.id))!;
}

/** A local account boosts a public or unlisted post. Returns the boost row. Idempotent. */
export async function boost(db: Db, origin: URL, actor: Actor, postId: string, visibility: Visibility = "public"): Promise<Post> {
  let post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  if (post.reblog_of_id) post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, post.reblog_of_id);
  if (!isPublicScope(post.visibility)) throw forbidden("This post cannot be boosted");
  if (!["public", "unlisted", "followers"].includes(visibility)) throw invalid("A boost is public, unlisted or followers-only");
  const original = post;
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("posts").selectAll().where("reblog_of_id", "=", original.id)
      .where("actor_id", "=", actor.id).where("deleted_at", "is", null).executeTakeFirst();
    if (existing) return existing;
    const iri = newActivityIri(origin, "announce");
    const row = await trx.insertInto("posts").values({
      iri, url: null, actor_id: actor.id, local: true, type: original.type, visibility,
      reblog_of_id: original.id, published_at: new Date(),
    }).returningAll().executeTakeFirstOrThrow();
    await trx.updateTable("posts").set({ reblogs_count: sql`reblogs_count + 1` }).where("id", "=", original.id).execute();
    await enqueueDelivery(trx, { type: "announce", boostId: row.id }, actor.id);
    return row;
  });
}

export async function unboost(db: Db, actor: Actor, postId: string): Promise<Post> {
  const post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  const originalId = post.reblog_of_id ?? post.id;
  await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("posts").set({ deleted_at: new Date() })
      .where("reblog_of_id", "=", originalId).where("actor_id", "=", actor.id).where("deleted_at", "is", null)
      .returningAll().executeTakeFirst();
    if (!row) return;
    await trx.updateTable("posts").set({ reblogs_count: sql`greatest(reblogs_count - 1, 0)` }).where("id", "=", originalId).execute();
    await enqueueDelivery(trx, { type: "announce.undo", boostId: row.id }, actor.id);
  });
  return (await getPost(db, originalId))!;
}

/* ---------- remote content (what the inbox stores) ---------- */

export interface RemotePostInput {
  iri: string;
  url: string | null;
  type: ObjectType;
  visibility: Visibility;
  inReplyToIri: string | null;
  name: string | null;
  summary: string | null;
  sensitive: boolean;
  contentHtml: string;
  language: string | null;
  publishedAt: Date;
  editedAt: Date | null;
  mentionIds: string[];
  tags: string[];
  attachments: AttachmentInput[];
  extra: Record<string, unknown>;
}

/** No remote clock may pin a post to the top of timelines: future dates become "now". */
function clampDate(d: Date): Date {
  const now = Date.now();
  return Number.isNaN(d.getTime()) || d.getTime() > now ? new Date(now) : d;
}

/**
 * Stores or updates a remote post on behalf of `author` (already verified as the
 * activity's signer and the object's origin). An existing post owned by someone
 * else is never touched, and a stored post's scope never changes.
 */
export async function upsertRemotePost(db: Db, author: Actor, input: RemotePostInput, mode: "create" | "update"): Promise<Post> {
  if (author.local) throw forbidden();
  checkLengths(input);
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("posts").selectAll().where("iri", "=", input.iri).executeTakeFirst();
    if (existing) {
      if (existing.actor_id !== author.id) throw forbidden("Object belongs to another actor");
      if (existing.deleted_at) throw conflict("Object was deleted");
      if (mode === "create") return existing;
      const updated = await trx.updateTable("posts").set({
        name: input.name, summary: input.summary, sensitive: input.sensitive, content_html: input.contentHtml,
        language: input.language, extra: JSON.stringify(input.extra),
        edited_at: clampDate(input.editedAt ?? new Date()),
      }).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
      // Mentions decide who may see followers/direct posts: an edit may not widen them.
      await trx.deleteFrom("post_tags").where("post_id", "=", existing.id).execute();
      await trx.deleteFrom("post_attachments").where("post_id", "=", existing.id).execute();
      await insertDetails(trx, existing.id, { tags: input.tags, attachments: input.attachments });
      return updated;
    }
    const parent = input.inReplyToIri
      ? await trx.selectFrom("posts").select("id").where("iri", "=", input.inReplyToIri).executeTakeFirst()
      : undefined;
    const post = await trx.insertInto("posts").values({
      iri: input.iri, url: input.url, actor_id: author.id, local: false, type: input.type,
      visibility: input.visibility, in_reply_to_id: parent?.id ?? null, in_reply_to_iri: input.inReplyToIri,
      name: input.name, summary: input.summary, sensitive: input.sensitive, content_html: input.contentHtml,
      language: input.language, extra: JSON.stringify(input.extra),
      published_at: clampDate(input.publishedAt),
      edited_at: input.editedAt ? clampDate(input.editedAt) : null,
    }).returningAll().executeTakeFirstOrThrow();
    await insertDetails(trx, post.id, input);
    await bumpReplies(trx, post.in_reply_to_id, 1);
    // Replies that arrived before their parent get linked now.
    await trx.updateTable("posts").set({ in_reply_to_id: post.id })
      .where("in_reply_to_iri", "=", post.iri).where("in_reply_to_id", "is", null).execute();
    return post;
  });
}

/** Inbound Delete: only the owner may delete; the post becomes a tombstone. */
export async function deleteRemotePost(db: Db, author: Actor, iri: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const post = await trx.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
    if (!post || post.deleted_at) return false;
    if (post.actor_id !== author.id) throw forbidden("Object belongs to another actor");
    await trx.updateTable("posts").set({ deleted_at: new Date(), content_html: "", summary: null })
      .where("id", "=", post.id).execute();
    if (post.reblog_of_id) {
      await trx.updateTable("posts").set({ reblogs_count: sql`greatest(reblogs_count - 1, 0)` })
        .where("id", "=", post.reblog_of_id).execute();
    } else {
      await bumpReplies(trx, post.in_reply_to_id, -1);
      await trx.updateTable("posts").set({ deleted_at: new Date() }).where("reblog_of_id", "=", post.id).execute();
    }
    return true;
  });
}

/** Inbound Like of a post here. */
export async function receiveLike(db: Db, actor: Actor, postId: string, activityIri: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto("likes").values({ actor_id: actor.id, post_id: postId, activity_iri: activityIri })
      .onConflict((oc) => oc.doNothing()).returning("id").executeTakeFirst();
    if (inserted) await trx.updateTable("posts").set({ likes_count: sql`likes_count + 1` }).where("id", "=", postId).execute();
  });
}

/** Inbound Undo Like: by activity id, or by pair when the id is unknown. */
export async function receiveUnlike(db: Db, actor: Actor, target: { activityIri?: string; postId?: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    let q = trx.deleteFrom("likes").where("actor_id", "=", actor.id);
    if (target.activityIri) q = q.where("activity_iri", "=", target.activityIri);
    else if (target.postId) q = q.where("post_id", "=", target.postId);
    else return;
    const removed = await q.returning("post_id").execute();
    for (const r of removed) {
      await trx.updateTable("posts").set({ likes_count: sql`greatest(likes_count - 1, 0)` }).where("id", "=", r.post_id).execute();
    }
  });
}

/** Inbound Announce: a boost row by a remote actor of a post we know and they may see. */
export async function receiveAnnounce(db: Db, actor: Actor, original: Post, activityIri: string, visibility: Visibility, publishedAt: Date): Promise<Post> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("posts").selectAll().where("iri", "=", activityIri).executeTakeFirst();
    if (existing) {
      if (existing.actor_id !== actor.id) throw forbidden("Activity belongs to another actor");
      return existing;
    }
    const row = await trx.insertInto("posts").values({
      iri: activityIri, url: null, actor_id: actor.id, local: false, type: original.type, visibility,
      reblog_of_id: original.id, published_at: clampDate(publishedAt),
    }).returningAll().executeTakeFirstOrThrow();
    await trx.updateTable("posts").set({ reblogs_count: sql`reblogs_count + 1` }).where("id", "=", original.id).execute();
    return row;
  });
}

/** A local post (not a boost), by id or iri, that `viewer` may see; absent and forbidden are the same `undefined`. */
export function findVisibleLocalPost(db: Db, viewer: Viewer, key: { id: string } | { iri: string }): Promise<Post | undefined> {
  if ("id" in key && !isRowId(key.id)) return Promise.resolve(undefined);
  return db.selectFrom("posts").selectAll("posts")
    .where("posts.local", "=", true)
    .where("posts.reblog_of_id", "is", null)
    .where((eb) => ("id" in key ? eb("posts.id", "=", key.id) : eb("posts.iri", "=", key.iri)))
    .where(visibleTo(viewer))
    .executeTakeFirst();
}

/** A deleted local post (not a boost) by iri: what a Tombstone stands for. */
export function findDeletedLocalPost(db: Db, iri: string): Promise<Post | undefined> {
  return db.selectFrom("posts").selectAll()
    .where("iri", "=", iri).where("local", "=", true).where("reblog_of_id", "is", null)
    .where("deleted_at", "is not", null)
    .executeTakeFirst();
}

/** The posts that `boosts` boost, with their authors' ids, keyed by post id (who may see them is the caller's rule). */
export async function originalsOf(db: Db, boosts: readonly Post[]): Promise<Map<string, { iri: string; authorIri: string }>> {
  const ids = [...new Set(boosts.flatMap((b) => (b.reblog_of_id ? [b.reblog_of_id] : [])))];
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.actor_id")
    .select(["posts.id", "posts.iri", "actors.iri as authorIri"])
    .where("posts.id", "in", ids)
    .execute();
  return new Map(rows.map(({ id, ...rest }) => [id, rest]));
}
