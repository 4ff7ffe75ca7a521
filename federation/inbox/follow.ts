import { type Accept, type Activity, Follow, type Reject, type TentativeAccept } from "@fedify/vocab";
import type { Actor, Follow as FollowRow } from "../../src/db/schema.ts";
import { dropFollow, markFollowAccepted, receiveFollow } from "../../src/domain/follows.ts";
import { findActorById, findActorByIri } from "../../src/domain/remote-actors.ts";
import { findFollowByActivityIri, findFollowPair } from "../../src/domain/remote-activity.ts";
import { isLocalUrl } from "../remote.ts";
import { embeddedObject, type Handler, ignore, type InboxCtx } from "./common.ts";
import { acceptOfInvite, answerFromGroup, joinLocalGroup, localGroup } from "./group.ts";
import { moduleInbox } from "./modules.ts";

/** TentativeAccept is only ever about a module's object (an RSVP "maybe" to an Event). */
export const onTentativeAccept: Handler<TentativeAccept> = async (ctx, activity, actor, activityIri) => {
  if (!(await moduleInbox(ctx, activity, actor, activityIri))) ignore("no module takes this TentativeAccept");
};

async function localActor(ctx: InboxCtx, iri: URL | null): Promise<Actor | undefined> {
  if (!iri || !isLocalUrl(ctx.data.config, iri)) return undefined;
  const actor = await findActorByIri(ctx.data.db, iri.href);
  return actor?.local && !actor.gone_at ? actor : undefined;
}

/** A remote actor asks to follow a local one; following a local group is asking to join it. */
export const onFollow: Handler<Follow> = async (ctx, activity, actor, activityIri) => {
  const followee = await localActor(ctx, activity.objectId);
  if (!followee) ignore("the Follow's object is not a local actor");
  if (followee.type === "Group") {
    const group = await localGroup(ctx, activity.objectId);
    if (!group) ignore("no such group");
    await joinLocalGroup(ctx, group, actor, activityIri);
    return;
  }
  await receiveFollow(ctx.data.db, actor, followee, activityIri);
};

/**
 * Which of our follows an Accept or Reject answers. Only a follow of which the
 * signer is the followee qualifies. The embedded Follow (if any) is ours, so
 * it carries our origin, not the signer's: it only identifies the row (by id,
 * or by its actor and object) and nothing in it is trusted beyond that.
 */
async function answeredFollow(ctx: InboxCtx, activity: Activity, signer: Actor): Promise<FollowRow> {
  const { db, config } = ctx.data;
  const objectId = activity.objectId;
  if (objectId && isLocalUrl(config, objectId)) {
    const row = await findFollowByActivityIri(db, objectId.href);
    if (row) {
      if (row.followee_id !== signer.id) ignore("only the followee can answer a follow request");
      return row;
    }
  }
  const embedded = await embeddedObject(activity);
  if (embedded instanceof Follow && embedded.objectId?.href === signer.iri) {
    const follower = await localActor(ctx, embedded.actorId);
    if (follower) {
      const row = await findFollowPair(db, follower.id, signer.id);
      if (row) return row;
    }
  }
  return ignore("it answers no follow request of ours addressed to its actor");
}

export const onAccept: Handler<Accept> = async (ctx, activity, actor, activityIri) => {
  if (await moduleInbox(ctx, activity, actor, activityIri)) return;
  if (await answerFromGroup(ctx, activity, actor, true)) return;
  if (await acceptOfInvite(ctx, activity, actor)) return;
  const row = await answeredFollow(ctx, activity, actor);
  const follower = await findActorById(ctx.data.db, row.follower_id);
  if (!follower?.local) ignore("the follower is not local");
  await markFollowAccepted(ctx.data.db, follower, actor);
};

export const onReject: Handler<Reject> = async (ctx, activity, actor, activityIri) => {
  if (await moduleInbox(ctx, activity, actor, activityIri)) return;
  if (await answerFromGroup(ctx, activity, actor, false)) return;
  const row = await answeredFollow(ctx, activity, actor);
  await dropFollow(ctx.data.db, row.follower_id, actor.id);
};
