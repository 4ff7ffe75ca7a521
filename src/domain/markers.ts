/** Where an account stopped reading its home timeline and its notifications (Mastodon's markers). */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { MarkerTimeline } from "../db/schema.ts";

export const MARKER_TIMELINES: readonly MarkerTimeline[] = ["home", "notifications"];

export interface Marker {
  timeline: MarkerTimeline;
  lastReadId: string;
  /** how many times it was set */
  version: number;
  updatedAt: Date;
}

export async function getMarkers(db: Db, actorId: string, timelines: readonly MarkerTimeline[]): Promise<Marker[]> {
  if (timelines.length === 0) return [];
  const rows = await db.selectFrom("markers").selectAll()
    .where("actor_id", "=", actorId).where("timeline", "in", [...timelines]).execute();
  return rows.map((r) => ({ timeline: r.timeline, lastReadId: r.last_read_id, version: r.version, updatedAt: r.updated_at }));
}

/** Sets the markers given (each one's version goes up by one) and answers them. */
export async function setMarkers(db: Db, actorId: string, positions: Partial<Record<MarkerTimeline, string>>): Promise<Marker[]> {
  const entries = Object.entries(positions) as Array<[MarkerTimeline, string]>;
  if (entries.length === 0) return [];
  await db.transaction().execute(async (trx) => {
    for (const [timeline, lastReadId] of entries) {
      await trx.insertInto("markers").values({ actor_id: actorId, timeline, last_read_id: lastReadId })
        .onConflict((oc) => oc.columns(["actor_id", "timeline"]).doUpdateSet({
          last_read_id: lastReadId, version: sql<number>`markers.version + 1`, updated_at: sql<Date>`now()`,
        }))
        .execute();
    }
  });
  return getMarkers(db, actorId, entries.map(([t]) => t));
}
