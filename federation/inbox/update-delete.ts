import { type Delete, isActor, type Update } from "@fedify/vocab";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { deleteRemotePost } from "../../src/domain/posts/remote.ts";
import { receiveGroupRemoval } from "../../src/domain/moderation.ts";
import { markActorGone } from "../../src/domain/remote-actors.ts";
import { getOrFetchActor, storeRemotePost } from "../remote.ts";
import { objectTypeOf } from "../translate/inbound.ts";
import { type Handler, ignore, sameOrigin } from "./common.ts";
import { moduleInbox } from "./modules.ts";
import { ownObject } from "./create.ts";

/**
 * Update of the actor itself (its profile: refetched from its origin, the
 * embedded copy is not trusted) or of one of its stored posts. An object of
 * another origin or of another actor is never changed; an edit never changes a
 * post's audience (the domain keeps scope and mentions).
 */
export const onUpdate: Handler<Update> = async (ctx, activity, actor, activityIri) => {
  // A module may let others than the author edit (a wiki page edited by a group's members).
  if (await moduleInbox(ctx, activity, actor, activityIri)) return;
  const objectId = activity.objectId;
  if (objectId?.href === actor.iri) {
    await getOrFetchActor(ctx, objectId, { refresh: true });
    return;
  }
  const object = await ownObject(ctx, activity, actor);
  if (isActor(object)) ignore("an actor can only update itself");
  if (!objectTypeOf(object)) ignore(`objects of type ${object.constructor.name} are not stored`);
  if (!object.attributionIds.some((a) => a.href === actor.iri)) ignore("the object is not attributed to the actor");
  const existing = await getPostByIri(ctx.data.db, object.id!.href);
  if (!existing) ignore("Update of an object we do not have");
  if (existing.actor_id !== actor.id) ignore("the object belongs to another actor");
  if (!(await storeRemotePost(ctx, object, actor, "update"))) ignore("unsupported object");
};

/** Delete of one of the actor's posts, or of the actor itself. */
export const onDelete: Handler<Delete> = async (ctx, activity, actor) => {
  const objectId = activity.objectId;
  if (!objectId) ignore("Delete without an object id");
  if (objectId.href === actor.iri) {
    await markActorGone(ctx.data.db, actor.id);
    return;
  }
  if (actor.type === "Group") {
    // A group withdraws content made in it (its moderators removed it).
    if (await receiveGroupRemoval(ctx.data.db, actor, objectId.href)) return;
  }
  if (!sameOrigin(objectId, actor.iri)) ignore("the object is not of the actor's origin");
  if (!(await deleteRemotePost(ctx.data.db, actor, objectId.href))) ignore("nothing to delete");
};
