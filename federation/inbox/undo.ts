import { Activity, Announce, Block, Follow, Like, type Undo } from "@fedify/vocab";
import { receiveUnblock } from "../../src/domain/blocks.ts";
import { dropFollow } from "../../src/domain/follows.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { deleteRemotePost } from "../../src/domain/posts/remote.ts";
import { receiveUnlike } from "../../src/domain/posts/sharing.ts";
import { findActorByIri } from "../../src/domain/remote-actors.ts";
import { findFollowByActivityIri, findLikePost } from "../../src/domain/remote-activity.ts";
import { isLocalUrl } from "../remote.ts";
import { embeddedObject, type Handler, ignore, sameOrigin } from "./common.ts";
import { undoGroupFollow } from "./group.ts";

/**
 * Undo of the actor's own Follow, Like, Announce or Block. Whatever the
 * embedded activity says, only rows of the signer are touched: its id must be
 * of the signer's origin and its actor must be the signer. An embedded
 * activity without an id is matched by what it names (the signer's follow of
 * X, like of Y...), which again only reaches the signer's own rows.
 */
export const onUndo: Handler<Undo> = async (ctx, activity, actor) => {
  const { db, config } = ctx.data;
  const objectId = activity.objectId;
  const embedded = await embeddedObject(activity);
  if (objectId && !sameOrigin(objectId, actor.iri)) ignore("the undone activity is of another origin");
  if (embedded && embedded.id && !sameOrigin(embedded.id, actor.iri)) ignore("the undone activity is of another origin");
  if (embedded instanceof Activity) {
    const actors = embedded.actorIds;
    if (actors.length > 0 && (actors.length !== 1 || actors[0]!.href !== actor.iri)) ignore("the undone activity is someone else's");
  }

  if (embedded instanceof Follow || (!embedded && objectId)) {
    if (await undoGroupFollow(ctx, actor, objectId, embedded)) return;
    if (objectId) {
      const row = await findFollowByActivityIri(db, objectId.href);
      if (row && row.follower_id === actor.id) {
        await dropFollow(db, actor.id, row.followee_id);
        return;
      }
    }
    if (embedded instanceof Follow) {
      const target = embedded.objectId;
      const followee = target && isLocalUrl(config, target) ? await findActorByIri(db, target.href) : undefined;
      if (followee?.local) await dropFollow(db, actor.id, followee.id);
      return;
    }
  }
  if (embedded instanceof Like || (!embedded && objectId)) {
    if (objectId && (await findLikePost(db, actor.id, objectId.href))) {
      await receiveUnlike(db, actor, { activityIri: objectId.href });
      return;
    }
    if (embedded instanceof Like && embedded.objectId) {
      const post = await getPostByIri(db, embedded.objectId.href);
      if (post) await receiveUnlike(db, actor, { postId: post.id });
      return;
    }
  }
  if (embedded instanceof Announce || (!embedded && objectId)) {
    if (objectId) {
      const boost = await getPostByIri(db, objectId.href);
      if (boost && boost.reblog_of_id && boost.actor_id === actor.id) {
        await deleteRemotePost(db, actor, boost.iri);
        return;
      }
    }
    if (embedded instanceof Announce) return;
  }
  if (embedded instanceof Block || (!embedded && objectId)) {
    if (objectId && (await receiveUnblock(db, actor, { activityIri: objectId.href }))) return;
    if (embedded instanceof Block) {
      const target = embedded.objectId;
      const blocked = target && isLocalUrl(config, target) ? await findActorByIri(db, target.href) : undefined;
      if (blocked?.local) await receiveUnblock(db, actor, { targetId: blocked.id });
      return;
    }
  }
  ignore("nothing of the actor's matches the undone activity");
};
