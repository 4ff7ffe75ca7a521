/**
 * The wiki's deliveries, queued in the transaction of the revision they are
 * about (DeliveryJob "module", built by activitypub.ts `deliver`):
 * - "propose": a member's edit of a page of a group on another server, sent
 *   by the editor to the group (its id is the revision's activity id);
 * - "announce": the group's server announces a revision to the group's members.
 */
import type { Db } from "../../db/database.ts";
import type { Actor } from "../../db/schema.ts";
import { isRowId } from "../../domain/ids.ts";
import { enqueueDelivery } from "../../domain/jobs.ts";
import { newActivityIriOf } from "../../domain/urls.ts";
import type { WikiRevision } from "./tables.ts";

export type WikiJob = { kind: "propose" | "announce"; revision: string };

export function parseWikiJob(payload: Record<string, unknown>): WikiJob | null {
  const { kind, revision } = payload;
  if ((kind !== "propose" && kind !== "announce") || !isRowId(revision)) return null;
  return { kind, revision };
}

export async function queueRevisionAnnounce(trx: Db, group: Actor, revision: WikiRevision): Promise<void> {
  const payload: WikiJob = { kind: "announce", revision: revision.id };
  await enqueueDelivery(trx, {
    type: "module", module: "wiki", senderId: group.id, payload, id: newActivityIriOf(group, "announce"),
  }, group.id);
}

export async function queueProposal(trx: Db, editor: Actor, revision: WikiRevision): Promise<void> {
  const payload: WikiJob = { kind: "propose", revision: revision.id };
  await enqueueDelivery(trx, {
    type: "module", module: "wiki", senderId: editor.id, payload, id: revision.activity_iri,
  }, editor.id);
}
