/**
 * Group traffic (FEP-1b12, Lemmy, Mobilizon): people of other servers
 * joining, leaving and accepting invitations into our groups; remote groups
 * answering our people, inviting them, and redistributing their content.
 */
import {
  type Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Follow,
  Invite,
  type Join,
  type Leave,
  type Object as APObject,
  type Reject,
  Tombstone,
  Update,
} from "@fedify/vocab";
import type { Actor } from "../../src/db/schema.ts";
import { findGroup, type GroupView } from "../../src/domain/groups.ts";
import {
  findMembershipByActivity,
  membershipOf,
  receiveInvite,
  receiveInviteAccepted,
  receiveJoin,
  receiveLeave,
  receiveMembershipAccepted,
  receiveMembershipEnded,
} from "../../src/domain/membership.ts";
import { receiveGroupRemoval } from "../../src/domain/moderation.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { hostsMemberOf } from "../../src/domain/group-roster.ts";
import { findActorById, findActorByIri } from "../../src/domain/remote-actors.ts";
import { fetchDocument, getOrFetchActor, isLocalUrl, persistPost, storeRemotePost } from "../remote.ts";
import { objectTypeOf } from "../translate/inbound.ts";
import { embeddedObject, type Handler, ignore, type InboxCtx, sameOrigin } from "./common.ts";
import { moduleInbox } from "./modules.ts";

/** A local group named by `iri`, with its settings. */
export async function localGroup(ctx: InboxCtx, iri: URL | null): Promise<GroupView | undefined> {
  if (!iri || !isLocalUrl(ctx.data.config, iri)) return undefined;
  const actor = await findActorByIri(ctx.data.db, iri.href);
  if (!actor?.local || actor.type !== "Group" || actor.gone_at) return undefined;
  return findGroup(ctx.data.db, actor.id);
}

/** A remote actor asks to join one of our groups (Follow, or Mobilizon's Join). */
export async function joinLocalGroup(ctx: InboxCtx, group: GroupView, actor: Actor, activityIri: string): Promise<void> {
  if (actor.type === "Group" || actor.type === "Application") ignore("only people join groups");
  await receiveJoin(ctx.data.db, group, actor, activityIri);
}

export const onJoin: Handler<Join> = async (ctx, activity, actor, activityIri) => {
  const group = await localGroup(ctx, activity.objectId);
  if (!group) ignore("the Join's object is not a local group");
  await joinLocalGroup(ctx, group, actor, activityIri);
};

/** A remote member leaves one of our groups (Mobilizon's and Lemmy's Leave; Undo Follow goes through undo.ts). */
export const onLeave: Handler<Leave> = async (ctx, activity, actor) => {
  const group = await localGroup(ctx, activity.objectId);
  if (!group) ignore("the Leave's object is not a local group");
  if (!(await receiveLeave(ctx.data.db, group, actor))) ignore("not a member");
};

/** Undo of a remote actor's Follow of one of our groups: they leave. True when it was one. */
export async function undoGroupFollow(ctx: InboxCtx, actor: Actor, followIri: URL | null, embedded: APObject | null): Promise<boolean> {
  const db = ctx.data.db;
  const byId = followIri ? await findMembershipByActivity(db, followIri.href) : undefined;
  let groupId = byId?.member_id === actor.id ? byId.group_id : undefined;
  if (!groupId && embedded instanceof Follow) groupId = (await localGroup(ctx, embedded.objectId))?.actor.id;
  if (!groupId) return false;
  const group = await findGroup(db, groupId);
  if (!group?.actor.local) return false;
  await receiveLeave(db, group, actor);
  return true;
}

/**
 * A remote group answers a local person's request to join (Accept or Reject
 * of our Follow), or ends their membership (a Reject later on). Only a
 * membership of which the signer is the group counts. True when it was one.
 */
export async function answerFromGroup(ctx: InboxCtx, activity: Accept | Reject, group: Actor, accepted: boolean): Promise<boolean> {
  if (group.type !== "Group") return false;
  const db = ctx.data.db;
  const objectId = activity.objectId;
  let membership = objectId ? await findMembershipByActivity(db, objectId.href) : undefined;
  if (membership && membership.group_id !== group.id) return false;
  if (!membership) {
    const embedded = await embeddedObject(activity);
    if (!(embedded instanceof Follow) || embedded.objectId?.href !== group.iri || !embedded.actorId) return false;
    const member = await findActorByIri(db, embedded.actorId.href);
    if (!member?.local) return false;
    membership = await membershipOf(db, group.id, member.id);
    if (!membership) return false;
  }
  const member = await findActorById(db, membership.member_id);
  if (!member?.local) return false;
  if (accepted) await receiveMembershipAccepted(db, group, member);
  else await receiveMembershipEnded(db, group, member);
  return true;
}

/** A remote person accepts our group's invitation (Accept of our Invite). True when it was one. */
export async function acceptOfInvite(ctx: InboxCtx, activity: Accept, actor: Actor): Promise<boolean> {
  const objectId = activity.objectId;
  const embedded = await embeddedObject(activity);
  const inviteIri = objectId ?? (embedded instanceof Invite ? embedded.id : null);
  let membership = inviteIri ? await findMembershipByActivity(ctx.data.db, inviteIri.href) : undefined;
  if (!membership && embedded instanceof Invite) {
    const group = await localGroup(ctx, embedded.actorId);
    if (group) membership = await membershipOf(ctx.data.db, group.actor.id, actor.id);
  }
  if (!membership || membership.member_id !== actor.id || membership.state !== "invited") return false;
  const group = await findGroup(ctx.data.db, membership.group_id);
  if (!group?.actor.local) return false;
  await receiveInviteAccepted(ctx.data.db, group, actor);
  return true;
}

/** A remote group invites one of our people. */
export const onInvite: Handler<Invite> = async (ctx, activity, actor, activityIri) => {
  if (actor.type !== "Group") ignore("only groups invite here");
  const target = activity.targetId ?? activity.toIds[0] ?? null;
  if (!target || !isLocalUrl(ctx.data.config, target)) ignore("the invitee is not local");
  const invitee = await findActorByIri(ctx.data.db, target.href);
  if (!invitee?.local || invitee.type !== "Person") ignore("no such local person");
  if (activity.objectId && activity.objectId.href !== actor.iri) ignore("a group invites into itself only");
  await receiveInvite(ctx.data.db, actor, invitee, activityIri);
};

/* ---------------- content a remote group redistributes ---------------- */

/**
 * The object an announced Create or Update carries, if it may be trusted:
 * embedded with an id on the group's own origin (the group vouches for its
 * server's content), or else fetched from the object's own id (an embedded
 * copy of another origin could be forged by the group).
 */
async function vouchedObject(ctx: InboxCtx, group: Actor, inner: Activity): Promise<APObject> {
  const embedded = await embeddedObject(inner);
  const id = embedded?.id ?? inner.objectId;
  if (!id) ignore("the announced object has no id");
  if (embedded && sameOrigin(id, group.iri)) return embedded;
  return fetchDocument(ctx, id);
}

/** The activity or object a group's Announce carries: embedded (checked below) or fetched by its id. */
async function announced(ctx: InboxCtx, activity: Announce): Promise<APObject> {
  const embedded = await embeddedObject(activity);
  if (embedded) return embedded;
  const id = activity.objectId;
  if (!id) ignore("the Announce names nothing");
  const known = await getPostByIri(ctx.data.db, id.href);
  if (known) ignore("already known");
  return fetchDocument(ctx, id);
}

/**
 * A remote group redistributes content (FEP-1b12: an Announce of a Create,
 * Update or Delete, or of the object itself, as Lemmy also sends), or a
 * content module's activity (which the module handles). Taken only
 * from a group this server has a current member in; the content must name
 * the group (its audience, or addressed to it), and its author is checked
 * against the object's origin as for any other post.
 */
export async function onGroupAnnounce(ctx: InboxCtx, activity: Announce, group: Actor): Promise<void> {
  const db = ctx.data.db;
  if (!(await hostsMemberOf(db, group.id))) ignore("nobody here is a member of the announcing group");
  const item = await announced(ctx, activity);
  if (item instanceof Delete) {
    const target = item.objectId;
    if (!target) ignore("the Delete names nothing");
    if (sameOrigin(target, group.iri) || (item.actorId && sameOrigin(item.actorId, group.iri))) {
      if (!(await receiveGroupRemoval(db, group, target.href))) ignore("nothing of the group's to remove");
      return;
    }
    ignore("a group removes content of its own origin, or by its own Delete");
  }
  // A module may take it first (a member's edit of a wiki page, the accepted
  // answer of a question: activities about its objects that the group vouches for).
  if (item instanceof Activity && item.id && await moduleInbox(ctx, item, group, item.id.href, group)) return;
  if (item instanceof Create || item instanceof Update) {
    const object = await vouchedObject(ctx, group, item);
    await storeGroupContent(ctx, group, object, item instanceof Update);
    return;
  }
  if (item instanceof Activity || item instanceof Tombstone) ignore(`a group's Announce of ${item.constructor.name} is not handled`);
  // An object announced as itself (Lemmy's Announce/Page for Mastodon compatibility, or Plein's for other servers).
  const object = item.id && sameOrigin(item.id, group.iri) ? item : item.id ? await fetchDocument(ctx, item.id) : ignore("no id");
  await storeGroupContent(ctx, group, object, false);
}

/** Stores (or updates) an object a group redistributed, as a post in that group. */
async function storeGroupContent(ctx: InboxCtx, group: Actor, object: APObject, update: boolean): Promise<void> {
  if (!object.id) ignore("the object has no id");
  if (!objectTypeOf(object)) ignore(`objects of type ${object.constructor.name} are not stored`);
  // Addressed to the group, or the group's own (Mobilizon attributes a group's events to the group, addressed to the public).
  const names = [...object.audienceIds, ...object.toIds, ...object.ccIds, ...object.attributionIds].some((u) => u.href === group.iri
    || (group.followers_url !== null && u.href === group.followers_url));
  if (!names) ignore("the object is not addressed to the group");
  const attribution = object.attributionIds.find((a) => sameOrigin(a, object.id!));
  if (!attribution) ignore("the object is not attributed to an actor of its origin");
  const author = await getOrFetchActor(ctx, attribution);
  if (!author || author.local) ignore("the author could not be resolved");
  const existing = await getPostByIri(ctx.data.db, object.id.href);
  if (existing) {
    if (existing.actor_id !== author.id) ignore("the object belongs to another actor");
    if (!update) return;
    await storeRemotePost(ctx, object, author, "update", { group });
    return;
  }
  await persistPost(ctx, object, author, { group });
}
