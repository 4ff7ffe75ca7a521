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
 * returns how many. Each account's cut-off is found on the feed's primary
 * key (owner, post): an index walk of `keep` rows per account, never a scan
 * of the whole table.
 */
export async function trimHomeFeeds(db: Db, keep = HOME_FEED_KEEP): Promise<number> {
  const res = await sql`
    delete from home_feed h
     using (select a.id as owner_id, c.post_id as cutoff
              from actors a
              cross join lateral (select post_id from home_feed where owner_id = a.id
                                  order by post_id desc offset ${keep} limit 1) c
             where a.local) t
     where h.owner_id = t.owner_id and h.post_id <= t.cutoff`.execute(db);
  return Number(res.numAffectedRows ?? 0n);
}
