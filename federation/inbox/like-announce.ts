import type { Announce, Like } from "@fedify/vocab";
import type { Actor, Post } from "../../src/db/schema.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { receiveAnnounce, receiveLike } from "../../src/domain/posts/sharing.ts";
import { canView, isBoostable } from "../../src/domain/visibility.ts";
import { fetchDocument, isLocalUrl, persistPost } from "../remote.ts";
import { visibilityOf } from "../translate/inbound.ts";
import { embeddedObject, type Handler, ignore, type InboxCtx, sameOrigin } from "./common.ts";
import { onGroupAnnounce } from "./group.ts";

/** A Like of a local post the actor may see. */
export const onLike: Handler<Like> = async (ctx, activity, actor, activityIri) => {
  const objectId = activity.objectId;
  if (!objectId || !isLocalUrl(ctx.data.config, objectId)) ignore("only likes of local posts are counted");
  const post = await getPostByIri(ctx.data.db, objectId.href);
  if (!post || post.reblog_of_id) ignore("no such post");
  if (!(await canView(ctx.data.db, { kind: "remote", actorId: actor.id }, post.id))) ignore("the actor cannot see the post");
  await receiveLike(ctx.data.db, actor, post.id, activityIri);
};

/**
 * The announced post. Known ids come from the database (an embedded copy is
 * never trusted over it). Otherwise an embedded copy is used only when the
 * announcer is its author (same actor, same origin); any other copy — another
 * origin, another author, no id — could be forged, so the canonical document
 * is fetched from the object's own id, and the Announce is dropped if that fails.
 */
async function announcedPost(ctx: InboxCtx, activity: Announce, actor: Actor): Promise<Post> {
  const { db, config } = ctx.data;
  const id = activity.objectId;
  if (!id) ignore("the announced object has no id");
  // Known posts (ours included) come from the database; an embedded copy is not even read.
  const known = await getPostByIri(db, id.href);
  if (known) return known;
  if (isLocalUrl(config, id)) ignore("no such local post");
  const embedded = await embeddedObject(activity);
  if (embedded && embedded.id?.href !== id.href) ignore("the announced object has no id");
  const selfAuthored = embedded !== null && sameOrigin(id, actor.iri)
    && embedded.attributionIds.length === 1 && embedded.attributionIds[0]!.href === actor.iri;
  const object = selfAuthored ? embedded : await fetchDocument(ctx, id);
  const stored = await persistPost(ctx, object, selfAuthored ? actor : undefined);
  if (!stored) ignore("the announced object could not be stored");
  return stored;
}

export const onAnnounce: Handler<Announce> = async (ctx, activity, actor, activityIri) => {
  if (actor.type === "Group") {
    await onGroupAnnounce(ctx, activity, actor);
    return;
  }
  const original = await announcedPost(ctx, activity, actor);
  if (original.reblog_of_id || original.deleted_at) ignore("cannot announce that");
  // Only public and unlisted posts can be boosted, and only by someone who can see them.
  if (!isBoostable(original.visibility)) ignore("the post cannot be announced");
  if (!(await canView(ctx.data.db, { kind: "remote", actorId: actor.id }, original.id))) ignore("the actor cannot see the post");
  const visibility = visibilityOf(activity.toIds, activity.ccIds, actor.followers_url);
  if (visibility === "direct") ignore("a direct announce is not a boost");
  const published = activity.published ? new Date(activity.published.epochMilliseconds) : new Date();
  await receiveAnnounce(ctx.data.db, actor, original, activityIri, visibility, published);
};
