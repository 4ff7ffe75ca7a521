import { type SqlBool, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { scopesRead } from "./scopes.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface AccountCounts {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}


/**
 * The posts not counted in `post_counts` (migration 0017): those not anyone
 * may read, or awaiting moderation. Written as the partial indexes
 * `posts_actor_restricted` and `posts_group_restricted` are, so that they serve it.
 */
const restricted = sql<SqlBool>`not (posts.visibility in (${sql.join(scopesRead("anyone").map((v) => sql.lit(v)))}) and posts.moderation = 'approved')`;

/**
 * Counts for many accounts in a fixed number of queries, none reading more
 * than the rows it counts. Local people are counted from our tables
 * (accepted follows only; posts the viewer may see, so counts never reveal
 * closed posts). A local group's followers are its current members (state
 * "member", not gone: the rule of countMembers in membership.ts) and its
 * statuses the posts made in it that the viewer may see. Remote accounts,
 * remote groups among them, report their own numbers; the last status of a
 * group is the last post made in it that the viewer sees.
 *
 * What the viewer may see of an author's (a group's) posts is the posts
 * anyone may read, counted as they are stored (`post_counts`), none of them
 * if the author blocks the viewer (less those of authors blocking the viewer,
 * for a group), plus the others the visibility rule lets the viewer see,
 * counted here.
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
  const ids = actors.map((a) => a.id);
  const me = viewer.kind === "local" || viewer.kind === "remote" ? viewer.actorId : undefined;
  // An anonymous viewer sees of restricted posts nothing at all.
  const seesRestricted = viewer.kind !== "anonymous";
  const [followers, following, stored, blockers, posts, members, groupPosts, blockedInGroups] = await Promise.all([
    localIds.length
      ? db.selectFrom("follows").select(["followee_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("followee_id", "in", localIds).where("state", "=", "accepted").groupBy("followee_id").execute()
      : none,
    localIds.length
      ? db.selectFrom("follows").select(["follower_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("follower_id", "in", localIds).where("state", "=", "accepted").groupBy("follower_id").execute()
      : none,
    db.selectFrom("post_counts").select(["actor_id as id", "statuses", "last_status_at", "group_statuses", "last_group_status_at"])
      .where("actor_id", "in", ids).execute(),
    me
      ? db.selectFrom("blocks").select("actor_id as id").where("actor_id", "in", ids).where("target_id", "=", me).execute()
      : none,
    peopleIds.length && seesRestricted
      ? db.selectFrom("posts")
        .select(["posts.actor_id as id", (eb) => eb.fn.countAll<string>().as("n"), (eb) => eb.fn.max("posts.published_at").as("last")])
        .where("posts.actor_id", "in", peopleIds).where(restricted).where(visibleTo(viewer)).groupBy("posts.actor_id").execute()
      : none,
    groupIds.length
      ? db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
        .select(["memberships.group_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("memberships.group_id", "in", groupIds).where("memberships.state", "=", "member")
        .where("actors.gone_at", "is", null).groupBy("memberships.group_id").execute()
      : none,
    inGroups.length && seesRestricted
      ? db.selectFrom("posts")
        .select(["posts.group_id as id", (eb) => eb.fn.countAll<string>().as("n"), (eb) => eb.fn.max("posts.published_at").as("last")])
        .where("posts.group_id", "in", inGroups).where(restricted).where(visibleTo(viewer)).groupBy("posts.group_id").execute()
      : none,
    // Stored counts of groups include posts of authors who block the viewer: those are taken off.
    inGroups.length && me
      ? db.selectFrom("blocks").innerJoin("posts", "posts.actor_id", "blocks.actor_id")
        .select(["posts.group_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("blocks.target_id", "=", me).where("posts.group_id", "in", inGroups)
        .where((eb) => eb.not(restricted)).where("posts.deleted_at", "is", null)
        .groupBy("posts.group_id").execute()
      : none,
  ]);
  for (const r of followers) counts.get(r.id)!.followers = Number(r.n);
  for (const r of following) counts.get(r.id)!.following = Number(r.n);
  for (const r of members) counts.get(r.id)!.followers = Number(r.n);
  const counted = (id: string) => localIds.includes(id) || groupIds.includes(id);
  const blocking = new Set(blockers.map((b) => b.id));
  const groupIdSet = new Set(inGroups);
  for (const r of stored) {
    // A group's statuses are the posts made in it, whoever wrote them; a person's, its own unless it blocks the viewer.
    const isGroup = groupIdSet.has(r.id);
    if (!isGroup && blocking.has(r.id)) continue;
    const c = counts.get(r.id)!;
    if (counted(r.id)) c.statuses = isGroup ? r.group_statuses : r.statuses;
    const last = isGroup ? r.last_group_status_at : r.last_status_at;
    c.lastStatusAt = last ? new Date(last) : null;
  }
  for (const r of blockedInGroups) {
    if (r.id === null) continue;
    const c = counts.get(r.id)!;
    if (counted(r.id)) c.statuses = Math.max(0, c.statuses - Number(r.n));
  }
  for (const r of [...posts, ...groupPosts]) {
    if (r.id === null) continue;
    const c = counts.get(r.id)!;
    if (counted(r.id)) c.statuses += Number(r.n);
    const last = r.last ? new Date(r.last) : null;
    if (last && (!c.lastStatusAt || last > c.lastStatusAt)) c.lastStatusAt = last;
  }
  return counts;
}

/**
 * Every stored post count written afresh from the posts, as the trigger keeps
 * them one post at a time (for data loaded with the triggers off: the
 * benchmarks' and the EXPLAIN checks' seeds).
 */
export async function rebuildPostCounts(db: Db): Promise<void> {
  await sql`delete from post_counts`.execute(db);
  await sql`
    insert into post_counts (actor_id, statuses, last_status_at)
    select actor_id, count(*), max(published_at) from posts
    where not (${restricted}) and deleted_at is null group by actor_id`.execute(db);
  // A group has a row of its own only if it also posted itself: inserted here when not.
  await sql`
    insert into post_counts (actor_id, group_statuses, last_group_status_at)
    select group_id, count(*), max(published_at) from posts
    where not (${restricted}) and deleted_at is null and group_id is not null group by group_id
    on conflict (actor_id) do update set group_statuses = excluded.group_statuses, last_group_status_at = excluded.last_group_status_at`.execute(db);
}
