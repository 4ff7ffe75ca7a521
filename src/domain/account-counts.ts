import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface AccountCounts {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}

/**
 * Counts for many accounts in three queries. Local accounts are counted from
 * our tables (accepted follows only; posts the viewer may see, so counts
 * never reveal closed posts); remote ones report their own numbers.
 */
export async function accountCounts(db: Db, viewer: Viewer, actors: Actor[]): Promise<Map<string, AccountCounts>> {
  const ids = actors.map((a) => a.id);
  const localIds = actors.filter((a) => a.local).map((a) => a.id);
  const counts = new Map<string, AccountCounts>();
  for (const a of actors) {
    counts.set(a.id, {
      followers: a.local ? 0 : a.followers_count,
      following: a.local ? 0 : a.following_count,
      statuses: a.local ? 0 : a.posts_count,
      lastStatusAt: null,
    });
  }
  if (ids.length === 0) return counts;
  const [followers, following, posts] = await Promise.all([
    localIds.length
      ? db.selectFrom("follows").select(["followee_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("followee_id", "in", localIds).where("state", "=", "accepted").groupBy("followee_id").execute()
      : [],
    localIds.length
      ? db.selectFrom("follows").select(["follower_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("follower_id", "in", localIds).where("state", "=", "accepted").groupBy("follower_id").execute()
      : [],
    db.selectFrom("posts")
      .select(["posts.actor_id as id", (eb) => eb.fn.countAll<string>().as("n"), (eb) => eb.fn.max("posts.published_at").as("last")])
      .where("posts.actor_id", "in", ids).where(visibleTo(viewer)).groupBy("posts.actor_id").execute(),
  ]);
  for (const r of followers) counts.get(r.id)!.followers = Number(r.n);
  for (const r of following) counts.get(r.id)!.following = Number(r.n);
  for (const r of posts) {
    const c = counts.get(r.id)!;
    if (localIds.includes(r.id)) c.statuses = Number(r.n);
    c.lastStatusAt = r.last ? new Date(r.last) : null;
  }
  return counts;
}
