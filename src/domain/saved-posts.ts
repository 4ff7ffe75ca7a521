/** Posts an account keeps: its bookmarks (private to it) and the list of its favourites. */
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { notFound } from "./errors.ts";
import { keysetPage, type Page } from "./paging.ts";
import { getPost, getVisiblePost } from "./posts/read.ts";
import { visibleTo } from "./visibility.ts";

/** A post in a list of an account's saved posts, with the row id of the saving as the page cursor. */
export interface PostEntry {
  cursor: string;
  post: Post;
}

/** A local account bookmarks a post it may see (a boost's original). Idempotent. */
export async function bookmark(db: Db, actor: Actor, postId: string): Promise<Post> {
  const viewer = { kind: "local", actorId: actor.id } as const;
  let post = await getVisiblePost(db, viewer, postId);
  if (post.reblog_of_id) post = await getVisiblePost(db, viewer, post.reblog_of_id);
  await db.insertInto("bookmarks").values({ actor_id: actor.id, post_id: post.id })
    .onConflict((oc) => oc.columns(["actor_id", "post_id"]).doNothing()).execute();
  return post;
}

/**
 * Removes an account's bookmark of a post (or of a boost's original), even
 * when the account may no longer see the post; answers the post only when
 * it may (absent and forbidden are the same not-found).
 */
export async function unbookmark(db: Db, actor: Actor, postId: string): Promise<Post> {
  const viewer = { kind: "local", actorId: actor.id } as const;
  const post = await getPost(db, postId);
  if (!post) throw notFound();
  const target = post.reblog_of_id ?? post.id;
  await db.deleteFrom("bookmarks").where("actor_id", "=", actor.id).where("post_id", "=", target).execute();
  return getVisiblePost(db, viewer, target);
}

/** An account's bookmarks that it may still see, newest bookmark first. */
export async function listBookmarks(db: Db, actorId: string, page: Page): Promise<PostEntry[]> {
  const q = db.selectFrom("bookmarks").innerJoin("posts", "posts.id", "bookmarks.post_id")
    .selectAll("posts").select("bookmarks.id as entry_id")
    .where("bookmarks.actor_id", "=", actorId)
    .where(visibleTo({ kind: "local", actorId }));
  const rows = await keysetPage(q, "bookmarks.id", page);
  return rows.map(({ entry_id, ...post }) => ({ cursor: entry_id, post }));
}

/** An account's favourites that it may still see, newest favourite first. */
export async function listFavourites(db: Db, actorId: string, page: Page): Promise<PostEntry[]> {
  const q = db.selectFrom("likes").innerJoin("posts", "posts.id", "likes.post_id")
    .selectAll("posts").select("likes.id as entry_id")
    .where("likes.actor_id", "=", actorId)
    .where(visibleTo({ kind: "local", actorId }));
  const rows = await keysetPage(q, "likes.id", page);
  return rows.map(({ entry_id, ...post }) => ({ cursor: entry_id, post }));
}
