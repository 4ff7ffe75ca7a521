import type { Db } from "../db/database.ts";
import type { Follow } from "../db/schema.ts";

/** Rows the inbox finds by the id of the activity that made them. */

export function findFollowByActivityIri(db: Db, activityIri: string): Promise<Follow | undefined> {
  return db.selectFrom("follows").selectAll().where("activity_iri", "=", activityIri).executeTakeFirst();
}

export function findFollowPair(db: Db, followerId: string, followeeId: string): Promise<Follow | undefined> {
  return db.selectFrom("follows").selectAll()
    .where("follower_id", "=", followerId).where("followee_id", "=", followeeId).executeTakeFirst();
}

export async function findLikePost(db: Db, actorId: string, activityIri: string): Promise<string | undefined> {
  const row = await db.selectFrom("likes").select("post_id")
    .where("actor_id", "=", actorId).where("activity_iri", "=", activityIri).executeTakeFirst();
  return row?.post_id;
}
