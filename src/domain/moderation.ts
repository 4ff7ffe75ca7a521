/**
 * Keeping order in groups: the pre-moderation queue (approve or reject what
 * waits), removal of content by moderators (the group tells its members'
 * servers with a Delete), and removal ordered by a remote group for its own
 * content.
 */
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { forbidden, notFound } from "./errors.ts";
import type { GroupView } from "./groups.ts";
import { isModerator, membershipOf } from "./membership.ts";
import { keysetPage, type Page } from "./paging.ts";
import { bumpReplies } from "./posts/details.ts";
import { notifyOfPost, queuePostDelivery } from "./posts/in-groups.ts";
import { publishStreamEvent } from "./stream-events.ts";

async function requireModerator(db: Db, group: GroupView, by: Actor): Promise<void> {
  if (!group.actor.local) throw notFound();
  if (!isModerator(await membershipOf(db, group.actor.id, by.id))) throw forbidden("Only the group's moderators can do that");
}

async function postInGroup(db: Db, group: GroupView, postId: string): Promise<Post> {
  const post = await db.selectFrom("posts").selectAll().where("id", "=", postId)
    .where("group_id", "=", group.actor.id).where("deleted_at", "is", null).executeTakeFirst();
  if (!post) throw notFound();
  return post;
}

/** What waits for a moderator in a local group, oldest first. */
export async function pendingPosts(db: Db, group: GroupView, by: Actor, page: Page): Promise<Post[]> {
  await requireModerator(db, group, by);
  const q = db.selectFrom("posts").selectAll("posts")
    .where("posts.group_id", "=", group.actor.id).where("posts.moderation", "=", "pending")
    .where("posts.deleted_at", "is", null);
  return keysetPage(q, "posts.id", page);
}

/** A moderator lets a waiting post in: now it counts, is redistributed, and its readers are told. */
export async function approvePost(db: Db, group: GroupView, by: Actor, postId: string): Promise<Post> {
  await requireModerator(db, group, by);
  return db.transaction().execute(async (trx) => {
    const post = await postInGroup(trx, group, postId);
    if (post.moderation !== "pending") return post;
    const approved = await trx.updateTable("posts").set({ moderation: "approved" }).where("id", "=", post.id)
      .returningAll().executeTakeFirstOrThrow();
    await bumpReplies(trx, approved.in_reply_to_id, 1);
    const mentions = await trx.selectFrom("post_mentions").select("actor_id").where("post_id", "=", post.id).execute();
    await queuePostDelivery(trx, approved, "create");
    await publishStreamEvent(trx, { type: "update", postId: approved.id });
    await notifyOfPost(trx, approved, mentions.map((m) => m.actor_id));
    return approved;
  });
}

/**
 * A moderator removes a post (or turns down a waiting one) from a local
 * group: it becomes a tombstone; what was redistributed is withdrawn with the
 * group's Delete. Its replies stay, as replies to a removed post.
 */
export async function removePost(db: Db, group: GroupView, by: Actor, postId: string): Promise<void> {
  await requireModerator(db, group, by);
  await db.transaction().execute(async (trx) => {
    const post = await postInGroup(trx, group, postId);
    const removed = await trx.updateTable("posts").set({ deleted_at: new Date() }).where("id", "=", post.id)
      .returningAll().executeTakeFirstOrThrow();
    if (post.moderation === "approved") {
      await bumpReplies(trx, post.in_reply_to_id, -1);
      await queuePostDelivery(trx, removed, "delete");
    }
    await publishStreamEvent(trx, { type: "delete", postId: removed.id });
  });
}

/**
 * A remote group withdraws content it holds (a Delete by the group): only a
 * post that was made in that very group is removed here.
 */
export async function receiveGroupRemoval(db: Db, group: Actor, iri: string): Promise<boolean> {
  if (group.local || group.type !== "Group") throw forbidden();
  return db.transaction().execute(async (trx) => {
    const removed = await trx.updateTable("posts").set({ deleted_at: new Date() })
      .where("iri", "=", iri).where("group_id", "=", group.id).where("deleted_at", "is", null)
      .returning("id").executeTakeFirst();
    if (removed) await publishStreamEvent(trx, { type: "delete", postId: removed.id });
    return removed !== undefined;
  });
}
