/**
 * Which servers host members of a group. For our own groups the memberships
 * table knows every member; for a remote group it knows our own people, and
 * what the group's members collection said about other servers lately
 * (`group_servers`): whether our people's content in that group may be
 * fetched by them.
 */
import type { Db } from "../db/database.ts";

/** Does this server have a current member of the group (one of our own people)? */
export async function hostsMemberOf(db: Db, groupId: string): Promise<boolean> {
  const row = await db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
    .select("memberships.id")
    .where("memberships.group_id", "=", groupId).where("memberships.state", "=", "member")
    .where("actors.local", "=", true)
    .limit(1).executeTakeFirst();
  return row !== undefined;
}

/** How long what a remote group said about a server's members counts. */
export const ROSTER_TTL_SECONDS = 60;

/** Is the roster entry for (group, origin) missing or older than ROSTER_TTL_SECONDS? */
export async function rosterIsStale(db: Db, groupId: string, origin: string): Promise<boolean> {
  const row = await db.selectFrom("group_servers").select("checked_at")
    .where("group_id", "=", groupId).where("origin", "=", origin).executeTakeFirst();
  return !row || Date.now() - row.checked_at.getTime() > ROSTER_TTL_SECONDS * 1000;
}

/** Records what a remote group's members collection says about the servers at `origin`. */
export async function recordRoster(db: Db, groupId: string, origin: string, hostsMember: boolean): Promise<void> {
  await db.insertInto("group_servers").values({ group_id: groupId, origin, hosts_member: hostsMember, checked_at: new Date() })
    .onConflict((oc) => oc.columns(["group_id", "origin"]).doUpdateSet({ hosts_member: hostsMember, checked_at: new Date() }))
    .execute();
}
