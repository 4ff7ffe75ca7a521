/** Favourites and boosts, local and inbound. */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Actor, Post, Visibility } from "../../db/schema.ts";
import { forbidden, invalid } from "../errors.ts";
import { enqueueDelivery } from "../jobs.ts";
import { notify } from "../notifications.ts";
import { newActivityIri, newActivityIriOf } from "../urls.ts";
import { isBoostable } from "../visibility.ts";
import { clampDate } from "./remote.ts";
import { getPost, getVisiblePost } from "./read.ts";
import { publishStreamEvent } from "../stream-events.ts";

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
    await notify(trx, [{ recipientId: post.actor_id, type: "favourite", actorId: actor.id, postId: post.id, groupId: post.group_id }]);
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
      await enqueueDelivery(trx, {
        type: "like.undo", actorId: actor.id, postId: post.id, activityIri: removed.activity_iri, id: newActivityIriOf(actor, "undo"),
      }, actor.id);
    }
  });
  return (await getPost(db, post.id))!;
}

/** A local account boosts a public or unlisted post. Returns the boost row. Idempotent. */
export async function boost(db: Db, origin: URL, actor: Actor, postId: string, visibility: Visibility = "public"): Promise<Post> {
  let post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, postId);
  if (post.reblog_of_id) post = await getVisiblePost(db, { kind: "local", actorId: actor.id }, post.reblog_of_id);
  if (!isBoostable(post.visibility)) throw forbidden("This post cannot be boosted");
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
    await publishStreamEvent(trx, { type: "update", postId: row.id });
    await notify(trx, [{ recipientId: original.actor_id, type: "reblog", actorId: actor.id, postId: original.id, groupId: original.group_id }]);
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
    await enqueueDelivery(trx, { type: "announce.undo", boostId: row.id, id: newActivityIriOf(actor, "undo") }, actor.id);
    await publishStreamEvent(trx, { type: "delete", postId: row.id });
  });
  return (await getPost(db, originalId))!;
}

/** Inbound Like of a post here. */
export async function receiveLike(db: Db, actor: Actor, postId: string, activityIri: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto("likes").values({ actor_id: actor.id, post_id: postId, activity_iri: activityIri })
      .onConflict((oc) => oc.doNothing()).returning("id").executeTakeFirst();
    if (!inserted) return;
    const liked = await trx.updateTable("posts").set({ likes_count: sql`likes_count + 1` }).where("id", "=", postId)
      .returning(["actor_id", "group_id"]).executeTakeFirst();
    if (liked) await notify(trx, [{ recipientId: liked.actor_id, type: "favourite", actorId: actor.id, postId, groupId: liked.group_id }]);
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
    await publishStreamEvent(trx, { type: "update", postId: row.id });
    await notify(trx, [{ recipientId: original.actor_id, type: "reblog", actorId: actor.id, postId: original.id, groupId: original.group_id }]);
    return row;
  });
}
