import type { Db } from "../db/database.ts";

/**
 * The inbox's log of activity ids it has acted on (idempotent inbox). An id is
 * recorded only after the activity passed the origin checks and was handled,
 * so a forged activity cannot claim the dedupe key of a real one, and a crash
 * mid-way leaves it to be retried.
 */

/** Records `activityIri` as handled; true the first time, false if it was already recorded. */
export async function recordProcessed(db: Db, activityIri: string): Promise<boolean> {
  const row = await db.insertInto("processed_activities").values({ activity_iri: activityIri })
    .onConflict((oc) => oc.column("activity_iri").doNothing())
    .returning("activity_iri").executeTakeFirst();
  return row !== undefined;
}

export async function wasProcessed(db: Db, activityIri: string): Promise<boolean> {
  const row = await db.selectFrom("processed_activities").select("activity_iri")
    .where("activity_iri", "=", activityIri).executeTakeFirst();
  return row !== undefined;
}
