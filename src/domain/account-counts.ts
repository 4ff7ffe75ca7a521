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
 * Counts for many accounts in a fixed number of queries. Local people are
 * counted from our tables (accepted follows only; posts the viewer may see,
 * so counts never reveal closed posts). A local group's followers are its
 * current members (state "member", not gone: the rule of countMembers in
 * membership.ts) and its statuses the posts made in it that the viewer may
 * see. Remote accounts, remote groups among them, report their own numbers;
 * the last status of a group is the last post made in it that the viewer sees.
 */
export async function accountCounts(db: Db, viewer: Viewer, actors: Actor[]): Promise<Map<string, AccountCounts>> {
  const people = actors.filter((a) => a.type !== "Group");
  const peopleIds = people.map((a) => a.id);
  const localIds = people.filter((a) => a.local).map((a) => a.id);
  const groups = actors.filter((a) => a.type === "Group");
  const groupIds = groups.filter((a) => a.local).map((a) => a.id);
  const inGroups = groups.map((a) => a.id);
  const counts = new Map<string, AccountCounts>();
  for (const a of actors) {
    counts.set(a.id, {
      followers: a.local ? 0 : a.followers_count,
      following: a.local ? 0 : a.following_count,
      statuses: a.local ? 0 : a.posts_count,
      lastStatusAt: null,
    });
  }
  if (actors.length === 0) return counts;
  const none = Promise.resolve([]);
  const [followers, following, posts, members, groupPosts] = await Promise.all([
    localIds.length
      ? db.selectFrom("follows").select(["followee_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("followee_id", "in", localIds).where("state", "=", "accepted").groupBy("followee_id").execute()
      : none,
    localIds.length
      ? db.selectFrom("follows").select(["follower_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("follower_id", "in", localIds).where("state", "=", "accepted").groupBy("follower_id").execute()
      : none,
    peopleIds.length
      ? db.selectFrom("posts")
        .select(["posts.actor_id as id", (eb) => eb.fn.countAll<string>().as("n"), (eb) => eb.fn.max("posts.published_at").as("last")])
        .where("posts.actor_id", "in", peopleIds).where(visibleTo(viewer)).groupBy("posts.actor_id").execute()
      : none,
    groupIds.length
      ? db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
        .select(["memberships.group_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("memberships.group_id", "in", groupIds).where("memberships.state", "=", "member")
        .where("actors.gone_at", "is", null).groupBy("memberships.group_id").execute()
      : none,
    inGroups.length
      ? db.selectFrom("posts")
        .select(["posts.group_id as id", (eb) => eb.fn.countAll<string>().as("n"), (eb) => eb.fn.max("posts.published_at").as("last")])
        .where("posts.group_id", "in", inGroups).where(visibleTo(viewer)).groupBy("posts.group_id").execute()
      : none,
  ]);
  for (const r of followers) counts.get(r.id)!.followers = Number(r.n);
  for (const r of following) counts.get(r.id)!.following = Number(r.n);
  for (const r of members) counts.get(r.id)!.followers = Number(r.n);
  for (const r of [...posts, ...groupPosts]) {
    if (r.id === null) continue;
    const c = counts.get(r.id)!;
    if (localIds.includes(r.id) || groupIds.includes(r.id)) c.statuses = Number(r.n);
    c.lastStatusAt = r.last ? new Date(r.last) : null;
  }
  return counts;
}
