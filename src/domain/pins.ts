/**
 * Pinned posts: an account features up to MAX_PINS of its own posts on its
 * profile (Mastodon's pins, ActivityPub's `featured` collection). Only posts
 * that may be shown beyond the mentioned can be pinned; who sees a pinned post
 * is still the visibility rule's answer.
 */
import type { Db } from "../db/database.ts";
import type { Actor, Post, Visibility } from "../db/schema.ts";
import { invalid } from "./errors.ts";
import { keysetPage, type Page } from "./paging.ts";
import { getPost, getVisiblePost } from "./posts/read.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

/** Mastodon's limit of pinned posts per account. */
export const MAX_PINS = 5;

const PINNABLE: readonly Visibility[] = ["public", "unlisted", "followers"];

/** `actor` pins its own post `postId` (not a boost; public, unlisted or followers-only). Idempotent. */
export async function pin(db: Db, actor: Actor, postId: string): Promise<Post> {
  const post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  if (post.actor_id !== actor.id || post.reblog_of_id) throw invalid("You can only pin your own posts");
  if (!PINNABLE.includes(post.visibility)) throw invalid("Only public, unlisted and followers-only posts can be pinned");
  await db.transaction().execute(async (trx) => {
    // One pin at a time per account, so that two requests cannot both take the last place.
    await trx.selectFrom("actors").select("id").where("id", "=", actor.id).forUpdate().execute();
    const pinned = await trx.selectFrom("pins").innerJoin("posts", "posts.id", "pins.post_id").select("pins.post_id")
      .where("pins.actor_id", "=", actor.id).where("posts.deleted_at", "is", null).execute();
    if (pinned.some((p) => p.post_id === post.id)) return;
    if (pinned.length >= MAX_PINS) throw invalid(`You can pin at most ${MAX_PINS} posts`);
    await trx.insertInto("pins").values({ actor_id: actor.id, post_id: post.id }).execute();
  });
  return post;
}

/** `actor` unpins its post `postId`. Idempotent; a post not its own or not visible is not found. */
export async function unpin(db: Db, actor: Actor, postId: string): Promise<Post> {
  const post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  await db.deleteFrom("pins").where("actor_id", "=", actor.id).where("post_id", "=", post.id).execute();
  return (await getPost(db, post.id))!;
}

/** An account's pinned posts that `viewer` may see, newest post first (at most MAX_PINS). */
export function pinnedPosts(db: Db, viewer: Viewer, actorId: string, page: Page = { limit: MAX_PINS }, tagged?: string): Promise<Post[]> {
  let q = db.selectFrom("pins").innerJoin("posts", "posts.id", "pins.post_id")
    .selectAll("posts")
    .where("pins.actor_id", "=", actorId)
    .where("posts.actor_id", "=", actorId)
    .where(visibleTo(viewer));
  if (tagged !== undefined) q = q.where("posts.id", "in", (eb) => eb.selectFrom("post_tags").select("post_tags.post_id").where("post_tags.tag", "=", tagged));
  return keysetPage(q, "posts.id", page);
}

/** Which of `postIds` are pinned (by their authors). */
export async function pinnedAmong(db: Db, postIds: readonly string[]): Promise<Set<string>> {
  if (postIds.length === 0) return new Set();
  const rows = await db.selectFrom("pins").select("post_id").where("post_id", "in", [...postIds]).execute();
  return new Set(rows.map((r) => r.post_id));
}
