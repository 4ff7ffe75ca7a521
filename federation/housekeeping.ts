import { getLogger } from "@logtape/logtape";
import type { Db } from "../src/db/database.ts";
import { trimHomeFeeds } from "../src/domain/home-feed.ts";
import { pruneProcessedActivities } from "../src/domain/maintenance.ts";
import { evictUnusedRemoteMedia } from "../src/media/remote-cache.ts";
import type { MediaStorage } from "../src/media/storage.ts";
import type { KyselyKvStore } from "./kv.ts";

const logger = getLogger(["plein", "housekeeping"]);
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;

/** Deletes expired KV entries, old inbox dedupe records and home-feed rows beyond each feed's newest; returns what it removed. */
export async function housekeep(db: Db, kv: KyselyKvStore): Promise<{ kv: number; activities: number; feed: number }> {
  const [expired, activities, feed] = await Promise.all([kv.sweep(), pruneProcessedActivities(db), trimHomeFeeds(db)]);
  return { kv: expired, activities, feed };
}

/**
 * Runs housekeeping now and every hour in worker processes, until `signal`
 * aborts: the above, and copies of other servers' files unused for a week.
 */
export function startHousekeeping(db: Db, kv: KyselyKvStore, storage: MediaStorage, signal: AbortSignal): void {
  const run = () => {
    housekeep(db, kv)
      .then((n) => logger.debug("Housekeeping removed {kv} KV entries, {activities} activity ids and {feed} home-feed rows", n))
      .catch((error: unknown) => logger.warn("Housekeeping failed: {error}", { error }));
    evictUnusedRemoteMedia(db, storage)
      .then((media) => logger.debug("Housekeeping removed {media} unused copies of remote files", { media }))
      .catch((error: unknown) => logger.warn("Evicting copies of remote files failed: {error}", { error }));
  };
  const timer = setInterval(run, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  run();
}
