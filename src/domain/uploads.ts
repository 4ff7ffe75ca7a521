/**
 * Mastodon media uploads (`media` rows of purpose "attachment", "avatar" and
 * "header"): their owner describes them, sets their focal point and deletes
 * them while unattached; a status attaches at most MAX_STATUS_MEDIA of its
 * author's own uploads, each to one status only; and whoever may see the
 * status may see its uploads (the visibility rule decides, through the post).
 */
import type { Db } from "../db/database.ts";
import type { Actor, Media, MediaPurpose } from "../db/schema.ts";
import { forbidden, invalid, notFound } from "./errors.ts";
import { isRowId } from "./ids.ts";
import { enqueueDelivery } from "./jobs.ts";
import type { AttachmentInput } from "./posts/limits.ts";
import { getVisiblePost } from "./posts/read.ts";
import { mediaFileUrl, newActivityIriOf } from "./urls.ts";
import type { Viewer } from "./visibility.ts";

/** Mastodon's `max_media_attachments`. */
export const MAX_STATUS_MEDIA = 4;
/** Mastodon's limit on a description. */
export const MAX_MEDIA_DESCRIPTION_CHARS = 1_500;

export interface Focus {
  x: number;
  y: number;
}

/** What processing an uploaded image gave (src/media/images.ts), with its bytes already kept. */
export interface NewUpload {
  purpose: Exclude<MediaPurpose, "file">;
  storageKey: string;
  previewStorageKey: string | null;
  fileName: string;
  /** the type the kept bytes really are */
  contentType: string;
  size: number;
  sha256: string;
  width: number;
  height: number;
  previewWidth: number | null;
  previewHeight: number | null;
  blurhash: string | null;
  description: string | null;
  focus: Focus | null;
}

function checkDescription(description: string | null): string | null {
  if (description === null) return null;
  if ([...description].length > MAX_MEDIA_DESCRIPTION_CHARS) {
    throw invalid(`Validation failed: Description is too long (maximum is ${MAX_MEDIA_DESCRIPTION_CHARS} characters)`);
  }
  return description.trim() === "" ? null : description;
}

function checkFocus(focus: Focus): Focus {
  const inRange = (v: number) => Number.isFinite(v) && v >= -1 && v <= 1;
  if (!inRange(focus.x) || !inRange(focus.y)) throw invalid("focus must be two numbers from -1 to 1");
  return focus;
}

/** Records an upload of a local account (its bytes already kept). */
export async function recordUpload(db: Db, owner: Actor, upload: NewUpload): Promise<Media> {
  if (!owner.local) throw notFound();
  const focus = upload.focus ? checkFocus(upload.focus) : null;
  return db.insertInto("media").values({
    owner_id: owner.id,
    purpose: upload.purpose,
    storage_key: upload.storageKey,
    preview_storage_key: upload.previewStorageKey,
    file_name: upload.fileName,
    content_type: upload.contentType,
    size: upload.size,
    sha256: upload.sha256,
    width: upload.width,
    height: upload.height,
    preview_width: upload.previewWidth,
    preview_height: upload.previewHeight,
    blurhash: upload.blurhash,
    description: checkDescription(upload.description),
    focus_x: focus?.x ?? null,
    focus_y: focus?.y ?? null,
  }).returningAll().executeTakeFirstOrThrow();
}

/** The status an upload is attached to, if any. */
async function attachedPostId(db: Db, mediaId: string): Promise<string | undefined> {
  const row = await db.selectFrom("post_attachments").select("post_id").where("media_id", "=", mediaId).executeTakeFirst();
  return row?.post_id;
}

/** One of `owner`'s uploads for statuses; anyone else's, or none, is the same 404. */
export async function findOwnUpload(db: Db, owner: Actor, id: string): Promise<Media> {
  if (!isRowId(id)) throw notFound();
  const media = await db.selectFrom("media").selectAll()
    .where("id", "=", id).where("owner_id", "=", owner.id).where("purpose", "=", "attachment")
    .executeTakeFirst();
  if (!media) throw notFound();
  return media;
}

/** The owner changes an upload's description or focal point, before it is attached (then the status is edited instead). */
export async function updateUpload(db: Db, owner: Actor, id: string, changes: { description?: string | null; focus?: Focus | null }): Promise<Media> {
  const media = await findOwnUpload(db, owner, id);
  if (await attachedPostId(db, media.id)) throw invalid("This media is attached to a status: edit the status instead");
  const focus = changes.focus ? checkFocus(changes.focus) : changes.focus;
  return db.updateTable("media").set({
    ...(changes.description !== undefined ? { description: checkDescription(changes.description) } : {}),
    ...(focus !== undefined ? { focus_x: focus?.x ?? null, focus_y: focus?.y ?? null } : {}),
  }).where("id", "=", media.id).returningAll().executeTakeFirstOrThrow();
}

/**
 * The owner deletes an upload no status shows. Returns its row; its bytes
 * (both storage keys) are the caller's to drop, after the row is gone.
 */
export async function deleteUnattachedUpload(db: Db, owner: Actor, id: string): Promise<Media> {
  const media = await findOwnUpload(db, owner, id);
  return db.transaction().execute(async (trx) => {
    // Locks the row: a status attaching it at the same time waits, then finds it gone.
    await trx.selectFrom("media").select("id").where("id", "=", media.id).forUpdate().executeTakeFirst();
    if (await attachedPostId(trx, media.id)) throw invalid("This media is attached to a status and cannot be deleted");
    await trx.deleteFrom("media").where("id", "=", media.id).execute();
    return media;
  });
}

/** `media_ids` as a client sends them: at most MAX_STATUS_MEDIA, each an id, none twice. */
export function checkMediaIds(ids: readonly string[]): string[] {
  if (ids.length > MAX_STATUS_MEDIA) throw invalid(`Validation failed: At most ${MAX_STATUS_MEDIA} media attachments per status`);
  for (const id of ids) if (!isRowId(id)) throw invalid("media_ids must be ids of your uploads");
  if (new Set(ids).size !== ids.length) throw invalid("media_ids lists the same media twice");
  return [...ids];
}

/**
 * Attaches `ids` (in order) to the author's post, in the post's transaction,
 * after its earlier attachments were removed. Each must be the author's
 * upload, attached to no other status; the rows are locked so two statuses
 * never take the same upload.
 */
export async function attachUploads(trx: Db, origin: URL, author: Actor, postId: string, ids: readonly string[]): Promise<AttachmentInput[]> {
  const wanted = checkMediaIds(ids);
  if (wanted.length === 0) return [];
  const rows = await trx.selectFrom("media").selectAll()
    .where("id", "in", wanted).where("owner_id", "=", author.id).where("purpose", "=", "attachment")
    .orderBy("id").forUpdate().execute();
  const byId = new Map(rows.map((m) => [m.id, m]));
  const taken = await trx.selectFrom("post_attachments").select("media_id")
    .where("media_id", "in", wanted).where("post_id", "!=", postId).executeTakeFirst();
  if (taken) throw invalid("Validation failed: One of the media is already attached to another status");
  return wanted.map((id) => {
    const m = byId.get(id);
    if (!m) throw invalid("Validation failed: media_ids must be ids of your own uploads");
    return {
      url: mediaFileUrl(origin, m.id, "original"),
      mediaType: m.content_type,
      description: m.description,
      width: m.width,
      height: m.height,
      blurhash: m.blurhash,
      mediaId: m.id,
      previewUrl: m.preview_storage_key ? mediaFileUrl(origin, m.id, "small") : null,
      previewWidth: m.preview_width,
      previewHeight: m.preview_height,
      focusX: m.focus_x,
      focusY: m.focus_y,
    };
  });
}

/** The ids of the uploads a post shows, in order. */
export async function uploadIdsOfPost(db: Db, postId: string): Promise<string[]> {
  const rows = await db.selectFrom("post_attachments").select("media_id").where("post_id", "=", postId)
    .where("media_id", "is not", null).orderBy("position").execute();
  return rows.flatMap((r) => r.media_id ?? []);
}

/** An upload and the post it shows in, if any: who may fetch its bytes is `mayFetchUpload`'s to say. */
export async function findServableUpload(db: Db, id: string): Promise<{ media: Media; postId: string | undefined } | undefined> {
  if (!isRowId(id)) return undefined;
  const media = await db.selectFrom("media").selectAll().where("id", "=", id).where("purpose", "!=", "file").executeTakeFirst();
  if (!media) return undefined;
  return { media, postId: await attachedPostId(db, media.id) };
}

/**
 * May `viewer` fetch an upload's bytes? A profile's images: anyone. A
 * status's: whoever the visibility rule lets see the status. One not
 * attached (yet, or any more): its owner only. Throws the one 404 otherwise.
 */
export async function checkMayFetchUpload(db: Db, viewer: Viewer, upload: { media: Media; postId: string | undefined }): Promise<void> {
  const { media, postId } = upload;
  if (media.purpose === "avatar" || media.purpose === "header") return;
  if (postId !== undefined) {
    await getVisiblePost(db, viewer, postId);
    return;
  }
  if (viewer.kind === "local" && viewer.actorId === media.owner_id) return;
  throw notFound();
}

export type ProfileImage = "avatar" | "header";

async function changeProfileImage(
  db: Db, origin: URL, actor: Actor, purpose: ProfileImage, next: NewUpload | null,
): Promise<{ actor: Actor; dropped: Media | undefined }> {
  if (!actor.local || actor.type !== "Person") throw forbidden();
  return db.transaction().execute(async (trx) => {
    const dropped = await trx.deleteFrom("media").where("owner_id", "=", actor.id).where("purpose", "=", purpose)
      .returningAll().executeTakeFirst();
    const media = next ? await recordUpload(trx, actor, { ...next, purpose }) : undefined;
    if (!dropped && !media) return { actor, dropped };
    const url = media ? mediaFileUrl(origin, media.id, "original") : null;
    const updated = await trx.updateTable("actors")
      .set({ ...(purpose === "avatar" ? { avatar_url: url } : { header_url: url }), updated_at: new Date() })
      .where("id", "=", actor.id).returningAll().executeTakeFirstOrThrow();
    await enqueueDelivery(trx, { type: "actor.update", actorId: actor.id, id: newActivityIriOf(actor, "update") }, actor.id);
    return { actor: updated, dropped };
  });
}

/**
 * A local account's new avatar or header (its bytes already kept). The one
 * it replaces is returned, its bytes the caller's to drop; followers'
 * servers hear of it through an Update of the actor, queued in the same
 * transaction.
 */
export function setProfileImage(db: Db, origin: URL, actor: Actor, purpose: ProfileImage, upload: NewUpload) {
  return changeProfileImage(db, origin, actor, purpose, upload);
}

/** A local account goes back to no avatar or header. */
export function removeProfileImage(db: Db, origin: URL, actor: Actor, purpose: ProfileImage) {
  return changeProfileImage(db, origin, actor, purpose, null);
}
