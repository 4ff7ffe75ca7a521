/**
 * Activities about a content module's objects (an RSVP to an Event, the
 * accepted answer of a question, a member's edit of a wiki page) go to the
 * modules first (src/modules, `activityPub.inbox`); the core handles what no
 * module took.
 */
import type { Activity } from "@fedify/vocab";
import type { Actor } from "../../src/db/schema.ts";
import { allModules } from "../../src/modules/registry.ts";
import { fetchDocument } from "../remote.ts";
import type { InboxCtx } from "./common.ts";

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
    });
    if (handled) return true;
  }
  return false;
}
