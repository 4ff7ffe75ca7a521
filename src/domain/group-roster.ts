/**
 * Which servers host members of a group. For our own groups the memberships
 * table knows every member; for a remote group it knows our own people.
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
