import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/** How long the inbox remembers activity ids; senders stop retrying long before. */
export const PROCESSED_ACTIVITY_RETENTION_DAYS = 30;

/** Forgets processed inbound activity ids older than the retention period; returns how many. */
export async function pruneProcessedActivities(db: Db, days = PROCESSED_ACTIVITY_RETENTION_DAYS): Promise<number> {
  const res = await db.deleteFrom("processed_activities")
    .where("processed_at", "<", sql<Date>`now() - ${days}::double precision * interval '1 day'`)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
