/** Local accounts write, edit and delete their posts; deliveries are queued in the same transaction. */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Actor, ObjectType, Post, Visibility } from "../../db/schema.ts";
import { forbidden, invalid, notFound } from "../errors.ts";
import { newObjectIri } from "../urls.ts";
import { attachUploads } from "../uploads.ts";
import { bumpReplies, insertDetails, removeAttachments, replaceDetails } from "./details.ts";
import { notifyOfEdit, notifyOfPost, placeInGroup, queuePostDelivery } from "./in-groups.ts";
import { type AttachmentInput, checkLengths } from "./limits.ts";
import { keepEarlierVersion } from "./history.ts";
import { getPost, getVisiblePost } from "./read.ts";
import { publishStreamEvent } from "../stream-events.ts";

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
  /** the author's uploads to attach, in order (src/domain/uploads.ts) */
  mediaIds?: string[];
  extra?: Record<string, unknown>;
  /** post in this group (a reply goes into the group of its parent anyway) */
  groupId?: string | null;
  /** the content module the post belongs to (checked against the group's modules); none for a status or comment */
  module?: string;
}

/**
 * A local account posts. In a group, the group's rules decide the scope and
 * whether a moderator approves it first. Delivery and notifications are
 * queued in the same transaction. `inTransaction` lets a module store its own
 * rows (an event's times, a wiki page's first revision) in that transaction.
 */
export async function createLocalPost(
  db: Db,
  origin: URL,
  author: Actor,
  input: NewLocalPost,
  inTransaction?: (trx: Db, post: Post) => Promise<void>,
): Promise<Post> {
  if (!author.local) throw forbidden();
  checkLengths(input);
  let parent: Post | undefined;
  if (input.inReplyToId) {
    parent = await getVisiblePost(db, { kind: "local", actorId: author.id }, input.inReplyToId);
    if (parent.reblog_of_id) throw invalid("Cannot reply to a boost");
  }
  const type = input.type ?? "Note";
  const placement = await placeInGroup(db, author, input.groupId, parent, input.module);
  return db.transaction().execute(async (trx) => {
    const iri = newObjectIri(origin, type);
    const post = await trx.insertInto("posts").values({
      iri,
      url: iri,
      actor_id: author.id,
      local: true,
      type,
      visibility: placement?.visibility ?? input.visibility,
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
      group_id: placement?.group.actor.id ?? null,
      moderation: placement?.moderation ?? "approved",
      module: input.module ?? null,
    }).returningAll().executeTakeFirstOrThrow();
    const uploads = input.mediaIds ? await attachUploads(trx, origin, author, post.id, input.mediaIds) : [];
    await insertDetails(trx, post.id, { ...input, attachments: [...uploads, ...input.attachments ?? []] });
    if (post.moderation === "approved") await bumpReplies(trx, post.in_reply_to_id, 1);
    if (inTransaction) await inTransaction(trx, post);
    await queuePostDelivery(trx, post, "create");
    await publishStreamEvent(trx, { type: "update", postId: post.id });
    await notifyOfPost(trx, post, input.mentionIds ?? []);
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
  /** the author's uploads the post shows from now on, in order; absent: its attachments stay as they are */
  mediaIds?: string[];
}

/**
 * The author edits a post; its scope never changes by an edit. A content
 * module that lets others edit (a wiki page) passes `mayEdit`, stores its
 * own rows (a revision) in the edit's transaction with `inTransaction`, and
 * may tell other servers of the edit itself (`queueDelivery`, instead of the
 * core's Update by the author).
 */
export async function editLocalPost(
  db: Db,
  author: Actor,
  postId: string,
  edit: PostEdit,
  options: {
    mayEdit?: (post: Post) => Promise<boolean>;
    inTransaction?: (trx: Db, post: Post) => Promise<void>;
    queueDelivery?: (trx: Db, post: Post) => Promise<void>;
  } = {},
): Promise<Post> {
  checkLengths(edit);
  const post = await getPost(db, postId);
  if (!post || post.deleted_at || post.reblog_of_id) throw notFound();
  if (post.actor_id !== author.id && !(options.mayEdit && await options.mayEdit(post))) throw notFound();
  return db.transaction().execute(async (trx) => {
    // The version being replaced, read under a lock: two edits at once each keep the one they replace.
    await keepEarlierVersion(trx, await trx.selectFrom("posts").selectAll().where("id", "=", post.id).forUpdate().executeTakeFirstOrThrow());
    const updated = await trx.updateTable("posts").set({
      content_html: edit.contentHtml,
      content_source: edit.contentSource ?? null,
      summary: edit.summary || null,
      sensitive: edit.sensitive ?? Boolean(edit.summary),
      ...(edit.name !== undefined ? { name: edit.name } : {}),
      ...(edit.language !== undefined ? { language: edit.language } : {}),
      edited_at: new Date(),
    }).where("id", "=", post.id).returningAll().executeTakeFirstOrThrow();
    if (edit.mediaIds !== undefined) {
      await removeAttachments(trx, post.id);
      const attachments = await attachUploads(trx, new URL(author.iri), author, post.id, edit.mediaIds);
      await replaceDetails(trx, post.id, { ...edit, attachments });
    } else {
      await replaceDetails(trx, post.id, edit);
    }
    if (options.inTransaction) await options.inTransaction(trx, updated);
    if (options.queueDelivery) await options.queueDelivery(trx, updated);
    else await queuePostDelivery(trx, updated, "update");
    await publishStreamEvent(trx, { type: "status.update", postId: updated.id });
    await notifyOfEdit(trx, updated);
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
    if (post.moderation === "approved") await bumpReplies(trx, post.in_reply_to_id, -1);
    // Its uploads are its author's alone again (to attach anew: Mastodon's "delete and redraft").
    await removeAttachments(trx, post.id);
    // Boosts of a deleted post go with it.
    const boosts = await trx.updateTable("posts").set({ deleted_at: new Date() }).where("reblog_of_id", "=", post.id)
      .returning("id").execute();
    await queuePostDelivery(trx, deleted, "delete");
    for (const gone of [deleted, ...boosts]) await publishStreamEvent(trx, { type: "delete", postId: gone.id });
    return deleted;
  });
}

/**
 * A content module's own data of a local post changed without an edit of its
 * text (an event's RSVPs): the post counts as updated, and its Update goes
 * out like an edit's. Each touch is dated at least a millisecond after the
 * last, so receivers never take it for one they already have. Call in the
 * transaction of the change.
 */
export async function touchLocalPost(trx: Db, postId: string): Promise<Post | undefined> {
  const touched = await trx.updateTable("posts")
    .set({
      edited_at: sql<Date>`greatest(date_trunc('milliseconds', now()),
        date_trunc('milliseconds', coalesce(edited_at, published_at)) + interval '1 millisecond')`,
    })
    .where("id", "=", postId).where("local", "=", true).where("deleted_at", "is", null)
    .returningAll().executeTakeFirst();
  if (touched) {
    await queuePostDelivery(trx, touched, "update");
    await publishStreamEvent(trx, { type: "status.update", postId: touched.id });
  }
  return touched;
}
