import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Follow } from "../db/schema.ts";
import { invalid } from "./errors.ts";
import { mutesOf } from "./mutes.ts";
import { domainsBlockedBy } from "./user-domain-blocks.ts";
import { keysetPage, type Page } from "./paging.ts";
import type { Viewer } from "./visibility.ts";

/** How one account relates to another, seen from `a`. */
export interface Relationship {
  actorId: string;
  following: boolean;
  requested: boolean;
  followedBy: boolean;
  requestedBy: boolean;
  blocking: boolean;
  blockedBy: boolean;
  muting: boolean;
  mutingNotifications: boolean;
  /** the follow's options (while following or requested) */
  showingReblogs: boolean;
  notifying: boolean;
  languages: string[] | null;
  /** `me`'s private note on the account ("" when none) */
  note: string;
  /** `me` blocks the account's server (src/domain/user-domain-blocks.ts) */
  domainBlocking: boolean;
}

/**
 * How `me` relates to each of `others` that exists, in the order asked (eight
 * queries in all). Following a group is being its member: for a Group,
 * `following` is a current membership and `requested` a pending one (an
 * invitation or a ban is neither); groups follow nobody.
 */
export async function relationshipsOf(db: Db, me: string, others: string[]): Promise<Relationship[]> {
  const asked = [...new Set(others)];
  if (asked.length === 0) return [];
  const known = await db.selectFrom("actors").select(["id", "type", "domain"]).where("id", "in", asked).execute();
  const isGroup = new Set(known.filter((a) => a.type === "Group").map((a) => a.id));
  const knownIds = new Set(known.map((a) => a.id));
  const ids = asked.filter((id) => knownIds.has(id));
  if (ids.length === 0) return [];
  const groupIds = ids.filter((id) => isGroup.has(id));
  const domainOf = new Map(known.map((a) => [a.id, a.domain]));
  const [out, inc, blocking, blockedBy, memberships, muting, notes, blockedDomains] = await Promise.all([
    db.selectFrom("follows").select(["followee_id as id", "state", "show_reblogs", "notify", "languages"])
      .where("follower_id", "=", me).where("followee_id", "in", ids).execute(),
    db.selectFrom("follows").select(["follower_id as id", "state"])
      .where("followee_id", "=", me).where("follower_id", "in", ids).execute(),
    db.selectFrom("blocks").select("target_id as id").where("actor_id", "=", me).where("target_id", "in", ids).execute(),
    db.selectFrom("blocks").select("actor_id as id").where("target_id", "=", me).where("actor_id", "in", ids).execute(),
    groupIds.length
      ? db.selectFrom("memberships").select(["group_id as id", "state"])
        .where("member_id", "=", me).where("group_id", "in", groupIds).execute()
      : Promise.resolve([]),
    mutesOf(db, me, ids),
    db.selectFrom("account_notes").select(["target_id as id", "note"]).where("actor_id", "=", me).where("target_id", "in", ids).execute(),
    domainsBlockedBy(db, me, known.map((a) => a.domain)),
  ]);
  const outBy = new Map(out.map((r) => [r.id, r.state]));
  const optionsBy = new Map(out.map((r) => [r.id, r]));
  const noteBy = new Map(notes.map((r) => [r.id, r.note]));
  const incBy = new Map(inc.map((r) => [r.id, r.state]));
  const membershipBy = new Map(memberships.map((r) => [r.id, r.state]));
  const blockingSet = new Set(blocking.map((r) => r.id));
  const blockedBySet = new Set(blockedBy.map((r) => r.id));
  return ids.map((id) => {
    const group = isGroup.has(id);
    return {
      actorId: id,
      following: group ? membershipBy.get(id) === "member" : outBy.get(id) === "accepted",
      requested: group ? membershipBy.get(id) === "pending" : outBy.get(id) === "pending",
      followedBy: !group && incBy.get(id) === "accepted",
      requestedBy: !group && incBy.get(id) === "pending",
      blocking: blockingSet.has(id),
      blockedBy: blockedBySet.has(id),
      muting: muting.has(id),
      mutingNotifications: muting.get(id)?.notifications ?? false,
      // A group membership has no follow options: boosts show, nothing notifies.
      showingReblogs: group ? membershipBy.get(id) === "member" || membershipBy.get(id) === "pending" : optionsBy.get(id)?.show_reblogs ?? false,
      notifying: !group && (optionsBy.get(id)?.notify ?? false),
      languages: group ? null : optionsBy.get(id)?.languages ?? null,
      note: noteBy.get(id) ?? "",
      domainBlocking: blockedDomains.has(domainOf.get(id) ?? ""),
    };
  });
}

/** An account in a follow list, with the follow row's id as the page cursor. */
export interface FollowListEntry {
  cursor: string;
  actor: Actor;
}


type Side = { of: "followee_id" | "follower_id"; show: "follower_id" | "followee_id"; state: Follow["state"] };

/** Only actors whose id starts with this (FEP-8fcf: the followers on one server). */
export interface FollowListFilter {
  actorIriPrefix?: string;
}

async function followList(db: Db, actorId: string, side: Side, page: Page, filter: FollowListFilter = {}): Promise<FollowListEntry[]> {
  let q = db.selectFrom("follows")
    .innerJoin("actors", "actors.id", `follows.${side.show}`)
    .selectAll("actors")
    .select("follows.id as follow_id")
    .where(`follows.${side.of}`, "=", actorId)
    .where("follows.state", "=", side.state)
    .where("actors.gone_at", "is", null);
  const prefix = filter.actorIriPrefix;
  if (prefix) q = q.where((eb) => eb(eb.fn("left", ["actors.iri", eb.val(prefix.length)]), "=", prefix));
  const rows = await keysetPage(q, "follows.id", page);
  return rows.map(({ follow_id, ...actor }) => ({ cursor: follow_id, actor }));
}

/** Accepted followers of an account, newest follow first. */
export function listFollowers(db: Db, actorId: string, page: Page, filter?: FollowListFilter): Promise<FollowListEntry[]> {
  return followList(db, actorId, { of: "followee_id", show: "follower_id", state: "accepted" }, page, filter);
}

/** Accounts an account follows (accepted), newest follow first. */
export function listFollowing(db: Db, actorId: string, page: Page): Promise<FollowListEntry[]> {
  return followList(db, actorId, { of: "follower_id", show: "followee_id", state: "accepted" }, page);
}

/** Pending requests to follow an account, newest first. */
export function listFollowRequests(db: Db, actorId: string, page: Page): Promise<FollowListEntry[]> {
  return followList(db, actorId, { of: "followee_id", show: "follower_id", state: "pending" }, page);
}

/** Is there a pending request from `followerId` to `followeeId`? */
export async function hasPendingRequest(db: Db, followerId: string, followeeId: string): Promise<boolean> {
  const row = await db.selectFrom("follows").select("id")
    .where("follower_id", "=", followerId).where("followee_id", "=", followeeId).where("state", "=", "pending")
    .executeTakeFirst();
  return row !== undefined;
}

/** How many follow requests wait for `actorId` to decide. */
export async function countFollowRequests(db: Db, actorId: string): Promise<number> {
  const row = await db.selectFrom("follows").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("followee_id", "=", actorId).where("state", "=", "pending").executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Accepted followers (or followings) of an account that are not gone. */
export async function countFollows(db: Db, actorId: string, direction: "followers" | "following"): Promise<number> {
  const [self, other] = direction === "followers"
    ? ["follows.followee_id", "follows.follower_id"] as const
    : ["follows.follower_id", "follows.followee_id"] as const;
  const row = await db.selectFrom("follows").innerJoin("actors", "actors.id", other)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where(self, "=", actorId)
    .where("follows.state", "=", "accepted")
    .where("actors.gone_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Does the account hide its network (who follows it, whom it follows)? Its own
 * choice (Mastodon's `hide_collections`) when it made one; a local account that
 * never chose hides it while locked, as locked accounts always did in
 * ActivityPub. Of a remote account we know only what it told us.
 */
export function hidesNetwork(actor: Pick<Actor, "local" | "hide_collections" | "manually_approves_followers">): boolean {
  return actor.hide_collections ?? (actor.local && actor.manually_approves_followers);
}

/**
 * The one rule for the lists of an account's followers and follows, on every
 * surface (Mastodon API, ActivityPub collections). Mastodon's rule: the owner
 * always sees them; nobody else when the account hides its network or blocks
 * the viewer; everyone otherwise. Totals are not covered: they stay public.
 */
export async function canSeeNetwork(db: Db, viewer: Viewer, owner: Actor): Promise<boolean> {
  const viewerId = viewer.kind === "local" || viewer.kind === "remote" ? viewer.actorId : undefined;
  if (viewerId === owner.id) return true;
  if (hidesNetwork(owner)) return false;
  if (viewerId === undefined) return true;
  const blocked = await db.selectFrom("blocks").select("actor_id")
    .where("actor_id", "=", owner.id).where("target_id", "=", viewerId).executeTakeFirst();
  return blocked === undefined;
}

/** At most this long, as Mastodon. */
export const MAX_NOTE_CHARS = 2_000;

/** `me`'s private note on an account; empty removes it. Nobody else ever sees it. */
export async function setAccountNote(db: Db, me: Actor, target: Actor, note: string): Promise<void> {
  if ([...note].length > MAX_NOTE_CHARS) throw invalid(`comment: at most ${MAX_NOTE_CHARS} characters`);
  if (note.trim() === "") {
    await db.deleteFrom("account_notes").where("actor_id", "=", me.id).where("target_id", "=", target.id).execute();
    return;
  }
  await db.insertInto("account_notes").values({ actor_id: me.id, target_id: target.id, note })
    .onConflict((oc) => oc.columns(["actor_id", "target_id"]).doUpdateSet({ note, updated_at: sql<Date>`now()` }))
    .execute();
}

/**
 * For each of `targetIds`, the accounts `me` follows that follow it (Mastodon's
 * familiar followers), leaving out those who hide their network (whom they
 * follow is theirs to show) and gone accounts; at most `perTarget` each.
 * Whether the target's own followers may be shown is the caller's question
 * (`canSeeNetwork`).
 */
export async function familiarFollowers(db: Db, me: string, targetIds: readonly string[], perTarget: number): Promise<Map<string, Actor[]>> {
  // From the accounts `me` follows (a bounded walk), each asked by the (follower, followee) key.
  const lists = await Promise.all(targetIds.map((targetId) => db.selectFrom("follows as mine")
    .innerJoin("follows as theirs", (join) => join.onRef("theirs.follower_id", "=", "mine.followee_id")
      .on("theirs.followee_id", "=", targetId).on("theirs.state", "=", "accepted"))
    .innerJoin("actors", "actors.id", "theirs.follower_id")
    .selectAll("actors")
    .where("mine.follower_id", "=", me).where("mine.state", "=", "accepted")
    .where("actors.gone_at", "is", null)
    .where(sql<boolean>`not coalesce(actors.hide_collections, actors.local and actors.manually_approves_followers)`)
    .orderBy("theirs.id", "desc").limit(perTarget)
    .execute()));
  return new Map(targetIds.map((id, i) => [id, lists[i]!]));
}
