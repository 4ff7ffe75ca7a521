/**
 * The file module's rules: what a file post carries, how an upload becomes a
 * post (bytes kept first, rows written in the post's transaction, bytes
 * dropped again if the post is refused), and what each post's file is.
 */
import { getLogger } from "@logtape/logtape";
import type { Db } from "../../db/database.ts";
import type { Actor, Media, Post } from "../../db/schema.ts";
import { recordMedia } from "../../domain/media.ts";
import { createLocalPost } from "../../domain/posts/authoring.ts";
import { placeInGroup } from "../../domain/posts/in-groups.ts";
import { invalid } from "../../domain/errors.ts";
import type { MediaStorage } from "../../media/storage.ts";
import { normaliseContentType, safeFileName } from "../../media/serving.ts";
import { type FilePost, fileDb } from "./tables.ts";

export const MODULE = "file";

const logger = getLogger(["plein", "modules", "file"]);

/** What `save` stores for a post: our upload, or another server's file. */
export type FileData =
  | { kind: "upload"; media: Media }
  | { kind: "remote"; url: string; fileName: string; mediaType: string | null };

/** The file of a new or updated post, in the post's transaction. An edit of ours (no data) leaves the file as it is. */
export async function saveFile(trx: Db, post: Post, data: FileData | null): Promise<void> {
  if (data === null) return;
  const db = fileDb(trx);
  if (data.kind === "upload") {
    await db.insertInto("file_posts").values({
      post_id: post.id, media_id: data.media.id, url: null, file_name: data.media.file_name,
      media_type: data.media.content_type, size: data.media.size, sha256: data.media.sha256,
    }).execute();
    return;
  }
  if (post.local) throw invalid("A local post's file is uploaded, not linked");
  const values = { url: data.url, file_name: data.fileName, media_type: data.mediaType };
  await db.insertInto("file_posts").values({ post_id: post.id, media_id: null, size: null, sha256: null, ...values })
    .onConflict((oc) => oc.column("post_id").doUpdateSet(values))
    .execute();
}

export async function filesOfPosts(db: Db, postIds: readonly string[]): Promise<Map<string, FilePost>> {
  if (postIds.length === 0) return new Map();
  const rows = await fileDb(db).selectFrom("file_posts").selectAll().where("post_id", "in", postIds).execute();
  return new Map(rows.map((r) => [r.post_id, r]));
}

export async function fileOfPost(db: Db, postId: string): Promise<FilePost | undefined> {
  return (await filesOfPosts(db, [postId])).get(postId);
}

export interface Upload {
  /** the bytes, as they arrive */
  body: AsyncIterable<Uint8Array>;
  /** as the client named it */
  fileName: string;
  /** as the client declared it */
  contentType: string;
  maxBytes: number;
}

export interface FilePostText {
  title: string | null;
  contentHtml: string;
  contentSource: string;
  mentionIds: string[];
  tags: string[];
}

/** May `author` share a file in the group (a member, the module switched on, the posting rule)? Throws if not. */
export async function checkMayShare(db: Db, author: Actor, groupId: string): Promise<void> {
  await placeInGroup(db, author, groupId, undefined, MODULE);
}

/**
 * A member shares a file in a group: the group's rules are checked before
 * any byte is kept; the bytes are kept (MediaTooLargeError past
 * `maxBytes`), then the post, its `media` row and its file row are written
 * in one transaction. If that fails, the kept bytes are dropped again.
 */
export async function shareFile(db: Db, origin: URL, storage: MediaStorage, author: Actor, groupId: string, upload: Upload, text: FilePostText): Promise<Post> {
  await checkMayShare(db, author, groupId);
  const fileName = safeFileName(upload.fileName);
  const stored = await storage.put(upload.body, upload.maxBytes);
  try {
    return await createLocalPost(db, origin, author, {
      type: "Document",
      module: MODULE,
      groupId,
      visibility: "public",
      name: text.title ?? fileName,
      contentHtml: text.contentHtml,
      contentSource: text.contentSource,
      mentionIds: text.mentionIds,
      tags: text.tags,
    }, async (trx, post) => {
      const media = await recordMedia(trx, author, {
        storageKey: stored.key, fileName, contentType: normaliseContentType(upload.contentType), size: stored.size, sha256: stored.sha256,
      });
      await saveFile(trx, post, { kind: "upload", media });
    });
  } catch (error) {
    // The post was refused (or the database failed): its bytes go too. Failing that only leaves an orphan.
    await storage.delete(stored.key).catch((cleanup: unknown) => {
      logger.warning("Could not drop the bytes of a refused upload {key}: {error}", { key: stored.key, error: cleanup });
    });
    throw error;
  }
}
