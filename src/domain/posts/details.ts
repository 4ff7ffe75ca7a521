/** The rows that hang off a post: mentions, tags, attachments, and its parent's reply count. */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { AttachmentInput } from "./limits.ts";

export async function insertDetails(trx: Db, postId: string, p: { mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
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
      media_id: a.mediaId ?? null, preview_url: a.previewUrl ?? null, preview_width: a.previewWidth ?? null,
      preview_height: a.previewHeight ?? null, focus_x: a.focusX ?? null, focus_y: a.focusY ?? null,
    }))).execute();
  }
}

/** Mentions and tags are replaced; attachments only when `attachments` is given (an edit without it keeps them). */
export async function replaceDetails(trx: Db, postId: string, p: { mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
  await trx.deleteFrom("post_mentions").where("post_id", "=", postId).execute();
  await trx.deleteFrom("post_tags").where("post_id", "=", postId).execute();
  if (p.attachments !== undefined) await removeAttachments(trx, postId);
  await insertDetails(trx, postId, p);
}

/** A post's attachments go (an edit replacing them, a deletion: its uploads are then free to attach again). */
export async function removeAttachments(trx: Db, postId: string) {
  await trx.deleteFrom("post_attachments").where("post_id", "=", postId).execute();
}

export async function bumpReplies(trx: Db, parentId: string | null, by: 1 | -1) {
  if (!parentId) return;
  await trx.updateTable("posts").set({ replies_count: sql`greatest(replies_count + ${by}, 0)` })
    .where("id", "=", parentId).execute();
}
