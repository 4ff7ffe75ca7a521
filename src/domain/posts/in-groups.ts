/**
 * Posting in a group: who may, in which scope, whether it waits for a
 * moderator, and how it travels. A post made in a local group is
 * redistributed by the group to its members (an Announce, FEP-1b12); one
 * made in a remote group is sent to the group, which redistributes it.
 */
import type { Db } from "../../db/database.ts";
import type { Actor, ModerationState, Post, Visibility } from "../../db/schema.ts";
import { forbidden, notFound } from "../errors.ts";
import { findGroup, type GroupView, groupScope, moduleEnabled } from "../groups.ts";
import { enqueueDelivery } from "../jobs.ts";
import { isModerator, membershipOf } from "../membership.ts";
import { type NewNotification, notify } from "../notifications.ts";
import { newActivityIriOf } from "../urls.ts";
import { canView, federates, MODERATOR_ROLES, readableByAnyone } from "../visibility.ts";

export interface GroupPlacement {
  group: GroupView;
  visibility: Visibility;
  moderation: ModerationState;
}

/**
 * Where a new post goes: in the group named (or the group of the post it
 * answers), with the group's scope whatever the client chose; null for a
 * post outside groups. Only current members post in a group; a local group
 * also checks that the content's module is switched on, that members (not
 * only admins) may start posts, and whether a moderator must approve first.
 */
export async function placeInGroup(db: Db, author: Actor, groupId: string | null | undefined, parent: Post | undefined, module: string | undefined): Promise<GroupPlacement | null> {
  const id = parent?.group_id ?? groupId ?? null;
  if (id === null) return null;
  if (groupId && parent?.group_id && groupId !== parent.group_id) throw forbidden("A reply stays in the group of the post it answers");
  const group = await findGroup(db, id);
  if (!group) throw notFound("No such group");
  const membership = await membershipOf(db, group.actor.id, author.id);
  if (membership?.state !== "member") throw forbidden("Only members post in this group");
  const moderator = isModerator(membership);
  const settings = group.settings;
  if (!parent) {
    if (module !== undefined && !moduleEnabled(group, module)) throw forbidden(`This group does not use ${module}`);
    if (settings?.posting === "admins" && !["owner", "admin"].includes(membership.role)) {
      throw forbidden("Only the group's admins start posts here");
    }
  }
  const moderated = settings !== null && !moderator && (parent ? settings.moderate_comments : settings.moderate_posts);
  return { group, visibility: scopeIn(group, parent), moderation: moderated ? "pending" : "approved" };
}

/**
 * The scope of a new post in `group`: a reply keeps its thread's scope, but
 * whatever is posted in a closed or secret local group is for its members,
 * replies to a thread started while the group was public included.
 */
function scopeIn(group: GroupView, parent: Pick<Post, "group_id" | "visibility"> | undefined): Visibility {
  const scope = groupScope(group);
  const closed = group.settings !== null && scope === "group";
  return !closed && parent && parent.group_id === group.actor.id ? parent.visibility : scope;
}

/**
 * A remote author's post that names a group (or answers a post in one). In a
 * local group the author must be a current member, the module switched on,
 * and the group's scope kept (nothing public enters a closed group); its
 * moderation settings apply. A remote group decides for itself: its content
 * is taken as addressed. Returns null when the post is in no group.
 */
export async function placeRemoteInGroup(
  db: Db, author: Actor, groupId: string | null, parent: Pick<Post, "group_id" | "visibility"> | undefined, module: string | undefined, visibility: Visibility,
): Promise<GroupPlacement | null> {
  const id = parent?.group_id ?? groupId;
  if (id === null || id === undefined) return null;
  const group = await findGroup(db, id);
  if (!group) return null;
  // A remote group decides who posts; a reply in one of its closed threads stays as closed as the thread.
  if (!group.actor.local) return { group, visibility: parent?.visibility === "group" ? "group" : visibility, moderation: "approved" };
  const membership = await membershipOf(db, group.actor.id, author.id);
  if (membership?.state !== "member") throw forbidden("The author is not a member of the group");
  const settings = group.settings!;
  if (!parent) {
    if (module !== undefined && !moduleEnabled(group, module)) throw forbidden(`The group does not use ${module}`);
    if (settings.posting === "admins" && !["owner", "admin"].includes(membership.role)) throw forbidden("Only the group's admins start posts there");
  }
  const scope = scopeIn(group, parent);
  if (scope === "group" && visibility !== "group") throw forbidden("Content of a closed group is addressed to its members only");
  const moderated = !isModerator(membership) && (parent ? settings.moderate_comments : settings.moderate_posts);
  return { group, visibility: scope === "group" ? "group" : visibility, moderation: moderated ? "pending" : "approved" };
}

/**
 * A remote author edits their post made in a group: in a local group only
 * while a current member (a member who left, was removed or banned no longer
 * speaks in it, and the group would redistribute the edit). A remote group
 * decides for itself.
 */
export async function assertMayEditInGroup(db: Db, author: Actor, groupId: string): Promise<void> {
  const group = await findGroup(db, groupId);
  if (!group?.actor.local) return;
  const membership = await membershipOf(db, group.actor.id, author.id);
  if (membership?.state !== "member") throw forbidden("The author is no longer a member of the group");
}

/** The actor a post was made in, if it is a local group (it redistributes the post itself). */
async function localGroupOf(trx: Db, post: Post): Promise<Actor | undefined> {
  if (post.group_id === null) return undefined;
  const group = await trx.selectFrom("actors").selectAll().where("id", "=", post.group_id).executeTakeFirst();
  return group?.local && group.type === "Group" ? group : undefined;
}

/**
 * Queues what other servers must hear about a local post (its creation, edit
 * or deletion): from its local group as an Announce to the members, or from
 * its author (to the remote group, or to followers and the mentioned).
 * Nothing for a post awaiting moderation, or of a scope that never leaves.
 */
export async function queuePostDelivery(trx: Db, post: Post, activity: "create" | "update" | "delete"): Promise<void> {
  if (!federates(post.visibility) || (post.moderation !== "approved" && activity !== "delete")) return;
  const group = await localGroupOf(trx, post);
  if (group) {
    if (post.moderation !== "approved") return;
    await enqueueDelivery(trx, {
      type: "group.announce", groupId: group.id, postId: post.id, activity, id: newActivityIriOf(group, "announce"),
    }, group.id);
    return;
  }
  if (post.local) await enqueueDelivery(trx, { type: `post.${activity}`, postId: post.id }, post.actor_id);
}

/**
 * Who hears of a new post here: the local people it mentions, the local
 * author of the post it answers, the members who follow everything in its
 * group (for a new thread), and, when it waits for approval, the group's
 * moderators. Call in the transaction that stores the post.
 */
export async function notifyOfPost(trx: Db, post: Post, mentionIds: readonly string[]): Promise<void> {
  const notes: NewNotification[] = [];
  const base = { actorId: post.actor_id, postId: post.id, groupId: post.group_id };
  if (post.moderation === "pending" && post.group_id) {
    const moderators = await trx.selectFrom("memberships").select("member_id")
      .where("group_id", "=", post.group_id).where("state", "=", "member").where("role", "in", MODERATOR_ROLES).execute();
    notes.push(...moderators.map((m) => ({ ...base, recipientId: m.member_id, type: "moderation" as const })));
    await notify(trx, notes);
    return;
  }
  notes.push(...mentionIds.map((recipientId) => ({ ...base, recipientId, type: "mention" as const })));
  if (post.in_reply_to_id) {
    const parent = await trx.selectFrom("posts").select("actor_id").where("id", "=", post.in_reply_to_id).executeTakeFirst();
    if (parent && !mentionIds.includes(parent.actor_id)) notes.push({ ...base, recipientId: parent.actor_id, type: "mention" });
  } else if (post.group_id) {
    const followers = await trx.selectFrom("memberships").select("member_id")
      .where("group_id", "=", post.group_id).where("state", "=", "member").where("notify", "=", "all").execute();
    notes.push(...followers.filter((f) => !mentionIds.includes(f.member_id))
      .map((f) => ({ ...base, recipientId: f.member_id, type: "status" as const })));
  }
  notes.push(...await subscribersOf(trx, post, new Set(notes.map((n) => n.recipientId))));
  await notify(trx, notes);
}

/**
 * The followers who asked to be notified of the author's posts (Mastodon's
 * follow option `notify`) and may see this one: for a post that answers nobody
 * else (a reply to another is for those following the conversation).
 */
async function subscribersOf(trx: Db, post: Post, already: ReadonlySet<string>): Promise<NewNotification[]> {
  if (post.reblog_of_id || (post.in_reply_to_iri !== null && post.in_reply_to_id === null)) return [];
  if (post.in_reply_to_id) {
    const parent = await trx.selectFrom("posts").select("actor_id").where("id", "=", post.in_reply_to_id).executeTakeFirst();
    if (parent?.actor_id !== post.actor_id) return [];
  }
  const subscribers = await trx.selectFrom("follows").select("follower_id")
    .where("followee_id", "=", post.actor_id).where("notify", "=", true).where("state", "=", "accepted").execute();
  const notes: NewNotification[] = [];
  // A post anyone may read needs no check per follower (a block ends the follow); others do.
  const open = readableByAnyone(post.visibility);
  for (const { follower_id } of subscribers) {
    if (already.has(follower_id) || (!open && !(await canView(trx, { kind: "local", actorId: follower_id }, post.id)))) continue;
    notes.push({ recipientId: follower_id, type: "status", actorId: post.actor_id, postId: post.id, groupId: post.group_id });
  }
  return notes;
}

/**
 * The local people who boost a post hear that it was edited (Mastodon's
 * "update"). Call in the transaction that stores the edit.
 */
export async function notifyOfEdit(trx: Db, post: Post): Promise<void> {
  const boosters = await trx.selectFrom("posts").select("actor_id").distinct()
    .where("reblog_of_id", "=", post.id).where("deleted_at", "is", null).where("local", "=", true).execute();
  await notify(trx, boosters.map((b) => ({
    recipientId: b.actor_id, type: "update" as const, actorId: post.actor_id, postId: post.id, groupId: post.group_id,
  })));
}
