/**
 * Who belongs to which group. A membership counts only in state "member":
 * a pending request, an invitation or a ban grants nothing (Pixelfed
 * CVE-2025-30741). Every change that another server must hear of queues its
 * delivery in the same transaction: the group answers joins with Accept or
 * Reject (a removal is a Reject of the member's Follow), invites with
 * Invite; a local member joins and leaves a remote group with Follow and
 * Undo Follow, and accepts its invitation with Accept.
 */
import { publishedChanged } from "./published-changes.ts";
import type { Db } from "../db/database.ts";
import type { Actor, Membership, MembershipRole } from "../db/schema.ts";
import { conflict, forbidden, invalid, notFound } from "./errors.ts";
import { groupDomainRefusal } from "./group-domains.ts";
import type { GroupView } from "./groups.ts";
import { enqueueDelivery } from "./jobs.ts";
import { notify } from "./notifications.ts";
import { keysetPage, type Page } from "./paging.ts";
import { assertFederatesWith, requestNeedsApproval } from "./policy.ts";
import { newActivityIri, newActivityIriOf } from "./urls.ts";
import { MODERATOR_ROLES, type Viewer } from "./visibility.ts";

export const ROLES: readonly MembershipRole[] = ["owner", "admin", "moderator", "member"];
const ADMIN_ROLES: readonly MembershipRole[] = ["owner", "admin"];
export const MEMBER_TEXT_LIMIT = 100;

export function membershipOf(db: Db, groupId: string, actorId: string): Promise<Membership | undefined> {
  return db.selectFrom("memberships").selectAll()
    .where("group_id", "=", groupId).where("member_id", "=", actorId).executeTakeFirst();
}

export function isMember(m: Membership | undefined): m is Membership {
  return m?.state === "member";
}

export function isAdmin(m: Membership | undefined): boolean {
  return isMember(m) && ADMIN_ROLES.includes(m.role);
}

export function isModerator(m: Membership | undefined): boolean {
  return isMember(m) && MODERATOR_ROLES.includes(m.role);
}

/** The membership, or a 404 for everyone who may not act on the group. */
async function requireRole(db: Db, group: GroupView, by: Actor, allowed: (m: Membership | undefined) => boolean, what: string): Promise<Membership> {
  const m = await membershipOf(db, group.actor.id, by.id);
  if (!allowed(m)) throw forbidden(`Only the group's ${what} can do that`);
  return m!;
}

async function groupAdmins(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom("memberships").select("member_id")
    .where("group_id", "=", groupId).where("state", "=", "member").where("role", "in", ADMIN_ROLES).execute();
  return rows.map((r) => r.member_id);
}

async function setState(trx: Db, m: Membership, state: Membership["state"], activityIri?: string | null): Promise<Membership> {
  return trx.updateTable("memberships")
    .set({ state, updated_at: new Date(), ...(activityIri !== undefined ? { activity_iri: activityIri } : {}) })
    .where("id", "=", m.id).returningAll().executeTakeFirstOrThrow();
}

/* ---------------- local people joining ---------------- */

/**
 * A local person joins a group. A local group decides at once by its join
 * mode (open: member; approval: a request for its admins; invite: only with
 * an invitation); a remote group is sent a Follow and decides itself.
 */
export async function join(db: Db, origin: URL, group: GroupView, actor: Actor): Promise<Membership> {
  if (!actor.local || actor.type !== "Person") throw forbidden("Only local people can join from here");
  if (group.actor.gone_at) throw invalid("That group is gone");
  await assertFederatesWith(db, group.actor);
  return db.transaction().execute(async (trx) => {
    const existing = await membershipOf(trx, group.actor.id, actor.id);
    if (existing?.state === "banned") throw forbidden("You are banned from this group");
    if (existing?.state === "member" || existing?.state === "pending") return existing;
    if (!group.actor.local) {
      if (existing?.state === "invited" && existing.activity_iri) {
        // Accepting the group's invitation makes one a member.
        await enqueueDelivery(trx, {
          type: "group.invite.accept", memberId: actor.id, groupId: group.actor.id, inviteIri: existing.activity_iri,
          id: newActivityIriOf(actor, "accept"),
        }, actor.id);
        return setState(trx, existing, "member");
      }
      const activityIri = newActivityIri(origin, "follow");
      const row = await trx.insertInto("memberships").values({
        group_id: group.actor.id, member_id: actor.id, state: "pending", activity_iri: activityIri,
      }).returningAll().executeTakeFirstOrThrow();
      await enqueueDelivery(trx, { type: "follow", followerId: actor.id, followeeId: group.actor.id, activityIri }, actor.id);
      return row;
    }
    // Local people are always allowed (src/domain/group-domains.ts); asked all the same, so the rule stays in one place.
    const refusal = group.settings ? groupDomainRefusal(group.settings, actor) : null;
    if (refusal) throw forbidden(refusal);
    const mode = group.settings?.join_mode ?? "open";
    if (existing?.state === "invited" || mode === "open") {
      if (existing) return setState(trx, existing, "member");
      return trx.insertInto("memberships").values({ group_id: group.actor.id, member_id: actor.id, state: "member" })
        .returningAll().executeTakeFirstOrThrow();
    }
    if (mode === "invite") throw forbidden("This group is open by invitation only");
    const row = await trx.insertInto("memberships").values({ group_id: group.actor.id, member_id: actor.id, state: "pending" })
      .returningAll().executeTakeFirstOrThrow();
    await notify(trx, (await groupAdmins(trx, group.actor.id)).map((recipientId) => ({
      recipientId, type: "group_request" as const, actorId: actor.id, groupId: group.actor.id,
    })));
    return row;
  });
}

/** A local person leaves a group (or withdraws a request, or declines an invitation). The owner hands over first. */
export async function leave(db: Db, group: GroupView, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const m = await membershipOf(trx, group.actor.id, actor.id);
    if (!m || m.state === "banned") return;
    if (m.role === "owner" && group.actor.local) throw forbidden("The owner hands the group to someone else before leaving");
    await trx.deleteFrom("memberships").where("id", "=", m.id).execute();
    if (!group.actor.local && actor.local && m.activity_iri && m.state !== "invited") {
      await enqueueDelivery(trx, {
        type: "follow.undo", followerId: actor.id, followeeId: group.actor.id, activityIri: m.activity_iri,
        id: newActivityIriOf(actor, "undo"),
      }, actor.id);
    }
  });
}

/* ---------------- a local group and remote people ---------------- */

/**
 * A remote actor asks to join a local group (inbound Follow or Join). Open
 * groups and invitees are accepted at once; approval groups hold the request
 * for their admins; a banned actor, or anyone uninvited to an invite-only
 * group, gets a Reject. Returns the membership, or null when rejected.
 */
export async function receiveJoin(db: Db, group: GroupView, actor: Actor, activityIri: string): Promise<Membership | null> {
  if (!group.actor.local || !group.settings) throw notFound();
  if (actor.local) throw forbidden();
  const answer = (type: "follow.accept" | "follow.reject", trx: Db, reason?: string) => enqueueDelivery(trx, {
    type, followerId: actor.id, followeeId: group.actor.id, activityIri,
    id: newActivityIriOf(group.actor, type === "follow.accept" ? "accept" : "reject"),
    ...(reason ? { reason } : {}),
  }, group.actor.id);
  const refusal = groupDomainRefusal(group.settings, actor);
  // A silenced server's people wait for approval even in an open group.
  const openToThem = group.settings.join_mode === "open" && !(await requestNeedsApproval(db, actor));
  return db.transaction().execute(async (trx) => {
    const existing = await membershipOf(trx, group.actor.id, actor.id);
    if (existing?.state === "banned" || (!existing && group.settings!.join_mode === "invite")) {
      await answer("follow.reject", trx);
      return null;
    }
    // Outside the group's domains: refused with the reason, and nothing kept (a request or invitation
    // from before the restriction goes too). A member from before stays a member.
    if (refusal && existing?.state !== "member") {
      if (existing) await trx.deleteFrom("memberships").where("id", "=", existing.id).execute();
      await answer("follow.reject", trx, refusal);
      return null;
    }
    if (existing?.state === "member" || existing?.state === "invited" || (!existing && openToThem)) {
      const row = existing
        ? await setState(trx, existing, "member", activityIri)
        : await trx.insertInto("memberships").values({
          group_id: group.actor.id, member_id: actor.id, state: "member", activity_iri: activityIri,
        }).returningAll().executeTakeFirstOrThrow();
      await answer("follow.accept", trx);
      return row;
    }
    if (existing) return setState(trx, existing, "pending", activityIri);
    const row = await trx.insertInto("memberships").values({
      group_id: group.actor.id, member_id: actor.id, state: "pending", activity_iri: activityIri,
    }).returningAll().executeTakeFirstOrThrow();
    await notify(trx, (await groupAdmins(trx, group.actor.id)).map((recipientId) => ({
      recipientId, type: "group_request" as const, actorId: actor.id, groupId: group.actor.id,
    })));
    return row;
  });
}

/** A remote member leaves a local group (inbound Undo Follow or Leave). */
export async function receiveLeave(db: Db, group: GroupView, actor: Actor): Promise<boolean> {
  const res = await db.deleteFrom("memberships")
    .where("group_id", "=", group.actor.id).where("member_id", "=", actor.id)
    .where("state", "!=", "banned").where("role", "!=", "owner")
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** A remote member accepts a local group's invitation (inbound Accept of our Invite). */
export async function receiveInviteAccepted(db: Db, group: GroupView, actor: Actor): Promise<boolean> {
  // An invitation from before the group's domains left the invitee's out admits nobody.
  if (group.settings && groupDomainRefusal(group.settings, actor)) return false;
  const res = await db.updateTable("memberships").set({ state: "member", updated_at: new Date() })
    .where("group_id", "=", group.actor.id).where("member_id", "=", actor.id).where("state", "=", "invited")
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/* ---------------- a remote group answering local people ---------------- */

/** The remote group accepted a local person's join request (or took them in). */
export async function receiveMembershipAccepted(db: Db, group: Actor, member: Actor): Promise<boolean> {
  const res = await db.updateTable("memberships").set({ state: "member", updated_at: new Date() })
    .where("group_id", "=", group.id).where("member_id", "=", member.id).where("state", "in", ["pending", "member"])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The remote group declined a local person's request, or removed them. */
export async function receiveMembershipEnded(db: Db, group: Actor, member: Actor): Promise<boolean> {
  const res = await db.deleteFrom("memberships")
    .where("group_id", "=", group.id).where("member_id", "=", member.id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** A remote group invites a local person (inbound Invite). */
export async function receiveInvite(db: Db, group: Actor, invitee: Actor, inviteIri: string): Promise<Membership | null> {
  if (group.local || !invitee.local) throw forbidden();
  return db.transaction().execute(async (trx) => {
    const existing = await membershipOf(trx, group.id, invitee.id);
    if (existing) return null;
    const row = await trx.insertInto("memberships").values({
      group_id: group.id, member_id: invitee.id, state: "invited", activity_iri: inviteIri,
    }).returningAll().executeTakeFirstOrThrow();
    await notify(trx, [{ recipientId: invitee.id, type: "group_invite", actorId: group.id, groupId: group.id }]);
    return row;
  });
}

/* ---------------- the group's admins ---------------- */

/** An admin approves or declines a request to join a local group. */
export async function decideRequest(db: Db, group: GroupView, by: Actor, member: Actor, approve: boolean): Promise<Membership | null> {
  if (!group.actor.local) throw notFound();
  await requireRole(db, group, by, isAdmin, "admins");
  return db.transaction().execute(async (trx) => {
    const m = await membershipOf(trx, group.actor.id, member.id);
    if (m?.state !== "pending") throw notFound("There is no such request");
    const refusal = approve && group.settings ? groupDomainRefusal(group.settings, member) : null;
    if (refusal) throw forbidden(refusal);
    const answerType = approve ? "follow.accept" as const : "follow.reject" as const;
    if (!member.local && m.activity_iri) {
      await enqueueDelivery(trx, {
        type: answerType, followerId: member.id, followeeId: group.actor.id, activityIri: m.activity_iri,
        id: newActivityIriOf(group.actor, approve ? "accept" : "reject"),
      }, group.actor.id);
    }
    if (!approve) {
      await trx.deleteFrom("memberships").where("id", "=", m.id).execute();
      return null;
    }
    await notify(trx, [{ recipientId: member.id, type: "group_approved", actorId: by.id, groupId: group.actor.id }]);
    return setState(trx, m, "member");
  });
}

/** An admin invites someone into a local group; a remote invitee's server is sent an Invite. */
export async function invite(db: Db, group: GroupView, by: Actor, invitee: Actor): Promise<Membership> {
  if (!group.actor.local) throw notFound();
  await requireRole(db, group, by, isAdmin, "admins");
  if (invitee.type === "Group" || invitee.type === "Application") throw invalid("Only people can be invited");
  if (invitee.gone_at) throw invalid("That account is gone");
  const refusal = group.settings ? groupDomainRefusal(group.settings, invitee) : null;
  if (refusal) throw forbidden(refusal);
  return db.transaction().execute(async (trx) => {
    const existing = await membershipOf(trx, group.actor.id, invitee.id);
    if (existing?.state === "member" || existing?.state === "invited") return existing;
    if (existing?.state === "banned") throw conflict("Lift the ban before inviting");
    const inviteIri = newActivityIriOf(group.actor, "invite");
    // A pending request is answered by the invitation: it becomes an invitation, accepted when the invitee joins.
    const row = existing
      ? await setState(trx, existing, "invited", inviteIri)
      : await trx.insertInto("memberships").values({
        group_id: group.actor.id, member_id: invitee.id, state: "invited", activity_iri: inviteIri,
      }).returningAll().executeTakeFirstOrThrow();
    if (invitee.local) {
      await notify(trx, [{ recipientId: invitee.id, type: "group_invite", actorId: by.id, groupId: group.actor.id }]);
    } else {
      await enqueueDelivery(trx, { type: "group.invite", groupId: group.actor.id, inviteeId: invitee.id, id: inviteIri }, group.actor.id);
    }
    return row;
  });
}

/**
 * An admin removes a member (or bans them: they cannot come back until the
 * ban is lifted). The owner cannot be removed; only the owner removes admins.
 * A remote member's server is told with a Reject of the member's Follow, and
 * delivery to it ends at once (the audience counts current members only).
 */
export async function removeMember(db: Db, group: GroupView, by: Actor, member: Actor, options: { ban?: boolean } = {}): Promise<void> {
  if (!group.actor.local) throw notFound();
  const mine = await requireRole(db, group, by, isAdmin, "admins");
  await db.transaction().execute(async (trx) => {
    const m = await membershipOf(trx, group.actor.id, member.id);
    if (!m && !options.ban) throw notFound("Not a member");
    if (m?.role === "owner") throw forbidden("The owner cannot be removed");
    if (m?.role === "admin" && mine.role !== "owner") throw forbidden("Only the owner removes admins");
    if (m && !member.local && m.activity_iri && m.state !== "banned") {
      await enqueueDelivery(trx, {
        type: "follow.reject", followerId: member.id, followeeId: group.actor.id, activityIri: m.activity_iri,
        id: newActivityIriOf(group.actor, "reject"),
      }, group.actor.id);
    }
    if (options.ban) {
      if (m) await trx.updateTable("memberships").set({ state: "banned", role: "member", updated_at: new Date() }).where("id", "=", m.id).execute();
      else await trx.insertInto("memberships").values({ group_id: group.actor.id, member_id: member.id, state: "banned" }).execute();
    } else {
      await trx.deleteFrom("memberships").where("id", "=", m!.id).execute();
    }
  });
}

/** An admin lifts a ban. */
export async function unban(db: Db, group: GroupView, by: Actor, member: Actor): Promise<void> {
  await requireRole(db, group, by, isAdmin, "admins");
  await db.deleteFrom("memberships").where("group_id", "=", group.actor.id).where("member_id", "=", member.id)
    .where("state", "=", "banned").execute();
}

/** Roles: only the owner makes or unmakes admins; admins make moderators. Ownership moves by transferOwnership. */
export async function setRole(db: Db, group: GroupView, by: Actor, member: Actor, role: MembershipRole): Promise<Membership> {
  if (!group.actor.local) throw notFound();
  const mine = await requireRole(db, group, by, isAdmin, "admins");
  if (role === "owner") throw invalid("Hand over ownership instead");
  const m = await membershipOf(db, group.actor.id, member.id);
  if (!isMember(m)) throw notFound("Not a member");
  if (m.role === "owner") throw forbidden("The owner's role changes only by handing over ownership");
  if ((role === "admin" || m.role === "admin") && mine.role !== "owner") throw forbidden("Only the owner makes or unmakes admins");
  const updated = await db.updateTable("memberships").set({ role, updated_at: new Date() }).where("id", "=", m.id)
    .returningAll().executeTakeFirstOrThrow();
  publishedChanged(); // the group's document names its moderators
  return updated;
}

/** The owner hands the group to another current member and becomes an admin. */
export async function transferOwnership(db: Db, group: GroupView, by: Actor, to: Actor): Promise<void> {
  if (!group.actor.local) throw notFound();
  const mine = await requireRole(db, group, by, (m) => isMember(m) && m.role === "owner", "owner");
  await db.transaction().execute(async (trx) => {
    const target = await membershipOf(trx, group.actor.id, to.id);
    if (!isMember(target) || target.id === mine.id) throw invalid("Ownership goes to another current member");
    await trx.updateTable("memberships").set({ role: "admin", updated_at: new Date() }).where("id", "=", mine.id).execute();
    await trx.updateTable("memberships").set({ role: "owner", updated_at: new Date() }).where("id", "=", target.id).execute();
  });
  publishedChanged(); // the group's document names its admins
}

export interface OwnMembershipChanges {
  title?: string | null;
  organisation?: string | null;
  notify?: Membership["notify"];
}

/** A member chooses how they present themselves in the group, and what they are notified of. */
export async function updateOwnMembership(db: Db, group: GroupView, actor: Actor, changes: OwnMembershipChanges): Promise<Membership> {
  const m = await membershipOf(db, group.actor.id, actor.id);
  if (!isMember(m)) throw notFound("Not a member");
  for (const [name, value] of [["title", changes.title], ["organisation", changes.organisation]] as const) {
    if (value && [...value].length > MEMBER_TEXT_LIMIT) throw invalid(`The ${name} is longer than ${MEMBER_TEXT_LIMIT} characters`);
  }
  return db.updateTable("memberships").set({
    ...(changes.title !== undefined ? { title: changes.title?.trim() || null } : {}),
    ...(changes.organisation !== undefined ? { organisation: changes.organisation?.trim() || null } : {}),
    ...(changes.notify !== undefined ? { notify: changes.notify } : {}),
    updated_at: new Date(),
  }).where("id", "=", m.id).returningAll().executeTakeFirstOrThrow();
}

/* ---------------- lists ---------------- */

export interface MemberEntry {
  cursor: string;
  membership: Membership;
  actor: Actor;
}

/** The group's memberships in one state, newest first (current members, requests, invitations, bans). */
export async function listMemberships(db: Db, groupId: string, state: Membership["state"], page: Page, filter: { actorIriPrefix?: string } = {}): Promise<MemberEntry[]> {
  let q = db.selectFrom("memberships")
    .innerJoin("actors", "actors.id", "memberships.member_id")
    .selectAll("actors")
    .select(["memberships.id as m_id", "memberships.group_id as m_group_id", "memberships.member_id as m_member_id",
      "memberships.role as m_role", "memberships.state as m_state", "memberships.activity_iri as m_activity_iri",
      "memberships.title as m_title", "memberships.organisation as m_organisation", "memberships.notify as m_notify",
      "memberships.created_at as m_created_at", "memberships.updated_at as m_updated_at"])
    .where("memberships.group_id", "=", groupId)
    .where("memberships.state", "=", state)
    .where("actors.gone_at", "is", null);
  const prefix = filter.actorIriPrefix;
  if (prefix) q = q.where((eb) => eb(eb.fn("left", ["actors.iri", eb.val(prefix.length)]), "=", prefix));
  const rows = await keysetPage(q, "memberships.id", page);
  return rows.map(({ m_id, m_group_id, m_member_id, m_role, m_state, m_activity_iri, m_title, m_organisation, m_notify,
    m_created_at, m_updated_at, ...actor }) => ({
    cursor: m_id,
    membership: {
      id: m_id, group_id: m_group_id, member_id: m_member_id, role: m_role, state: m_state, activity_iri: m_activity_iri,
      title: m_title, organisation: m_organisation, notify: m_notify, created_at: m_created_at, updated_at: m_updated_at,
    },
    actor,
  }));
}

/** Current members (state "member" only: requests and invitations do not count). */
export async function countMembers(db: Db, groupId: string): Promise<number> {
  const row = await db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("memberships.group_id", "=", groupId).where("memberships.state", "=", "member")
    .where("actors.gone_at", "is", null).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * May `viewer` see who is in the group? Anyone for a public group (or a
 * remote one: its own server decides); for a closed or secret group only its
 * current members, and servers that host one (they need the list to know
 * which servers may read the group's content).
 */
export async function canSeeMembers(db: Db, viewer: Viewer, group: GroupView): Promise<boolean> {
  if (!group.settings || group.settings.visibility === "public") return true;
  switch (viewer.kind) {
    case "anonymous":
      return false;
    case "local":
    case "remote":
      return isMember(await membershipOf(db, group.actor.id, viewer.actorId));
    case "server": {
      const prefix = `${new URL(viewer.origin).origin}/`;
      const row = await db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
        .select("memberships.id")
        .where("memberships.group_id", "=", group.actor.id).where("memberships.state", "=", "member")
        .where("actors.local", "=", false).where("actors.gone_at", "is", null)
        .where((eb) => eb(eb.fn("left", ["actors.iri", eb.val(prefix.length)]), "=", prefix))
        .limit(1).executeTakeFirst();
      return row !== undefined;
    }
  }
}

/**
 * May `viewer` know that the group exists? Public and closed groups: anyone.
 * A secret group is not findable (issue 7): only those it knows of (its
 * members, those it invited, those who asked to join) learn of it; to anyone
 * else, a banned person included, it is absent, as if it did not exist.
 */
export async function knowsOfGroup(db: Db, viewer: Viewer, group: GroupView): Promise<boolean> {
  if (group.settings?.visibility !== "secret") return true;
  if (viewer.kind !== "local" && viewer.kind !== "remote") return false;
  const m = await membershipOf(db, group.actor.id, viewer.actorId);
  return m !== undefined && m.state !== "banned";
}

/** The ids of a group's owner, admins and moderators. */
export async function groupModerators(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
    .select("actors.iri")
    .where("memberships.group_id", "=", groupId).where("memberships.state", "=", "member")
    .where("memberships.role", "in", MODERATOR_ROLES).where("actors.gone_at", "is", null)
    .orderBy("memberships.id").execute();
  return rows.map((r) => r.iri);
}

/** The groups `actorId` is a current member of. */
export async function groupsOf(db: Db, actorId: string): Promise<string[]> {
  const rows = await db.selectFrom("memberships").select("group_id")
    .where("member_id", "=", actorId).where("state", "=", "member").execute();
  return rows.map((r) => r.group_id);
}

/** The membership a remote Follow, Invite or our own Follow activity stands for. */
export function findMembershipByActivity(db: Db, activityIri: string): Promise<Membership | undefined> {
  return db.selectFrom("memberships").selectAll().where("activity_iri", "=", activityIri).executeTakeFirst();
}
