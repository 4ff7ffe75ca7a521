import { type Activity, type Create, Note } from "@fedify/vocab";
import type { Actor, Post } from "../../src/db/schema.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { findLocalPollByIri, receiveRemoteVote } from "../../src/domain/polls.ts";
import { FederationRefusedError } from "../policy.ts";
import { fetchDocument, persistPost, resolvePost } from "../remote.ts";
import { objectTypeOf } from "../translate/inbound.ts";
import { embeddedObject, type Handler, ignore, type InboxCtx, sameOrigin } from "./common.ts";
import type { Object as APObject } from "@fedify/vocab";

/**
 * The object an actor vouches for in a Create or Update: embedded with an id of
 * the actor's origin, or (only an id given) fetched from that id. An embedded
 * object without an id, or of another origin, is refused.
 */
export async function ownObject(ctx: InboxCtx, activity: Activity, actor: Actor): Promise<APObject> {
  const embedded = await embeddedObject(activity);
  const id = embedded ? embedded.id : activity.objectId;
  if (!id) ignore("the object has no id");
  if (!sameOrigin(id, actor.iri)) ignore("the object is not of the actor's origin");
  if (embedded) return embedded;
  return fetchDocument(ctx, id);
}

/**
 * A remote actor publishes an object. It must be attributed to the actor. An
 * object id we already store keeps its author and its audience: a Create that
 * reuses a known id never changes it (the domain returns the stored post).
 */
export const onCreate: Handler<Create> = async (ctx, activity, actor) => {
  const object = await ownObject(ctx, activity, actor);
  if (!objectTypeOf(object)) ignore(`objects of type ${object.constructor.name} are not stored`);
  if (!object.attributionIds.some((a) => a.href === actor.iri)) ignore("the object is not attributed to the actor");
  if (await receivedAsVote(ctx, object, actor)) return;
  const existing = await getPostByIri(ctx.data.db, object.id!.href);
  if (existing) {
    if (existing.actor_id !== actor.id) ignore("the object id belongs to another actor");
    return;
  }
  const stored = await persistPost(ctx, object, actor);
  if (stored) await fetchMissingAncestors(ctx, stored);
};

/**
 * A vote on one of our polls, as Mastodon sends one: a Note named after the
 * option, replying to the Question, without content. Taken (counted or
 * ignored by the domain's rules), never stored as a reply; true when it was one.
 */
async function receivedAsVote(ctx: InboxCtx, object: APObject, actor: Actor): Promise<boolean> {
  if (!(object instanceof Note) || String(object.content ?? "").trim() !== "" || object.replyTargetId === null) return false;
  const title = object.name;
  if (title === null) return false;
  const poll = await findLocalPollByIri(ctx.data.db, object.replyTargetId.href);
  if (!poll) return false;
  await receiveRemoteVote(ctx.data.db, actor, poll, title.toString(), object.id!.href);
  return true;
}

/** How many unknown ancestors one inbound reply may make us fetch. */
export const MAX_ANCESTOR_FETCHES = 3;

/**
 * A reply whose parent we do not have: fetch the parent (and its parent...) so
 * the thread reads whole, as Mastodon does; bounded, and a parent that cannot be
 * fetched (gone, not visible to our server) simply stays missing.
 */
async function fetchMissingAncestors(ctx: InboxCtx, post: Post): Promise<void> {
  let current = post;
  for (let i = 0; i < MAX_ANCESTOR_FETCHES; i++) {
    if (current.in_reply_to_id || !current.in_reply_to_iri) return;
    // A parent on a server the federation policy blocks stays missing too.
    const parent = await resolvePost(ctx, current.in_reply_to_iri).catch((error: unknown) => {
      if (error instanceof FederationRefusedError) return undefined;
      throw error;
    });
    if (!parent) return;
    current = parent;
  }
}
