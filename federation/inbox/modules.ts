/**
 * Activities about a content module's objects (an RSVP to an Event, the
 * accepted answer of a question, a member's edit of a wiki page) go to the
 * modules first (src/modules, `activityPub.inbox`); the core handles what no
 * module took.
 */
import type { Activity } from "@fedify/vocab";
import type { Actor, Post } from "../../src/db/schema.ts";
import { findActorById } from "../../src/domain/remote-actors.ts";
import { canView } from "../../src/domain/visibility.ts";
import { allModules } from "../../src/modules/registry.ts";
import { fetchDocument } from "../remote.ts";
import { refreshRoster } from "../roster.ts";
import type { InboxCtx } from "./common.ts";

/**
 * May `actor` see `post`? The visibility rule answers for the actor; only a
 * group on another server knows its members, so for content in such a group
 * the rule answers for the actor's server, after asking the group (as a
 * signed fetch of the content would, federation/objects.ts).
 */
async function actorMaySee(ctx: InboxCtx, actor: Actor, post: Post): Promise<boolean> {
  const db = ctx.data.db;
  if (await canView(db, { kind: "remote", actorId: actor.id }, post.id)) return true;
  if (post.group_id === null) return false;
  const group = await findActorById(db, post.group_id);
  if (!group || group.local) return false;
  const origin = new URL(actor.iri).origin;
  await refreshRoster(ctx, group, origin);
  return canView(db, { kind: "server", origin }, post.id);
}

export async function moduleInbox(ctx: InboxCtx, activity: Activity, actor: Actor, activityIri: string, group?: Actor): Promise<boolean> {
  for (const module of allModules()) {
    const inbox = module.activityPub?.inbox;
    if (!inbox) continue;
    const handled = await inbox(activity, {
      app: ctx.data,
      actor,
      activityIri,
      ...(group ? { group } : {}),
      fetchObject: (id) => fetchDocument(ctx, id),
      canSee: (post) => actorMaySee(ctx, actor, post),
    });
    if (handled) return true;
  }
  return false;
}
