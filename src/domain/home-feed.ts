import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/**
 * How many candidates a home feed keeps (as Mastodon keeps 800): older ones
 * are trimmed by housekeeping, so the table grows with the number of local
 * accounts, not with every post ever delivered to them.
 */
export const HOME_FEED_KEEP = 800;

/**
 * Drops the home-feed rows of each local account beyond its newest `keep`;
 * returns how many. The local accounts are found on their partial index
 * (migration 0021), each one's cut-off on the feed's primary key (owner,
 * post), and its older rows are deleted as one range of that key. Finding
 * the cut-offs reads each account's newest `keep` rows: in steady state the
 * whole table, which `keep` bounds; once an hour, in a worker.
 */
export async function trimHomeFeeds(db: Db, keep = HOME_FEED_KEEP): Promise<number> {
  const { rows: cutoffs } = await sql<{ owner_id: string; cutoff: string }>`
    select a.id as owner_id, c.post_id as cutoff
      from actors a
      cross join lateral (select post_id from home_feed where owner_id = a.id
                          order by post_id desc offset ${keep} limit 1) c
     where a.local`.execute(db);
  let removed = 0;
  for (const { owner_id, cutoff } of cutoffs) {
    const res = await db.deleteFrom("home_feed").where("owner_id", "=", owner_id).where("post_id", "<=", cutoff).executeTakeFirst();
    removed += Number(res.numDeletedRows);
  }
  return removed;
}
