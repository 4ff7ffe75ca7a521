/**
 * The delivery audit: where closed-group content went. Each delivery of a
 * post of the `group` scope (its Create, Update, Delete, the group's Announce
 * of it, a module's activity about it) to each inbox is recorded when it is
 * queued (or refused by the federation policy), and again each time an
 * attempt ends (delivered, failed and retrying, held by the circuit breaker,
 * failed for good). Rows are only added (the table itself refuses UPDATE,
 * DELETE and TRUNCATE, migrations/0009): a result is a new row, never an edit.
 *
 * A group's owner and admins read their group's audit; the instance's admins
 * read all of it.
 */
import type { Db } from "../db/database.ts";
import type { Actor, DeliveryAuditTable, DeliveryResult, Post } from "../db/schema.ts";
import type { Insertable, Selectable } from "kysely";
import { isInstanceAdmin, requireInstanceAdmin } from "./admins.ts";
import { forbidden, invalid } from "./errors.ts";
import { isRowId } from "./ids.ts";
import { isAdmin, membershipOf } from "./membership.ts";
import { keysetPage, type Page } from "./paging.ts";
import { normalizeHost } from "./policy.ts";
import { SCOPES } from "./scopes.ts";

export type DeliveryRecord = Selectable<DeliveryAuditTable>;
export type { DeliveryResult };

export const DELIVERY_RESULTS: readonly DeliveryResult[] = ["queued", "refused", "delivered", "retrying", "held", "failed"];

/** What one audited activity carries: the closed-group post and its group. */
export interface AuditSubject {
  groupId: string;
  groupIri: string;
  objectIri: string;
}

/** An audited activity, as the first record of it names it. */
export interface AuditedActivity extends AuditSubject {
  activityId: string;
  activityType: string;
}

/** One event of one delivery to one inbox. */
export interface DeliveryEvent {
  inbox: string;
  result: DeliveryResult;
  statusCode?: number | null;
  detail?: string | null;
  attempt?: number | null;
}

/** Is this post closed-group content (read by a group's current members only)? */
export function isClosedGroupContent(post: Pick<Post, "group_id" | "visibility">): boolean {
  return post.group_id !== null && SCOPES[post.visibility].audience === "group-members";
}

/** What a delivery of `post` is audited as; null when it is not closed-group content. */
export async function auditSubjectOf(db: Db, post: Pick<Post, "group_id" | "visibility" | "iri">): Promise<AuditSubject | null> {
  if (!isClosedGroupContent(post)) return null;
  const group = await db.selectFrom("actors").select(["id", "iri"]).where("id", "=", post.group_id!).executeTakeFirst();
  if (!group) return null;
  return { groupId: group.id, groupIri: group.iri, objectIri: post.iri };
}

/** The server an inbox belongs to, as the federation policy names servers. */
export function serverOf(inbox: string): string {
  return normalizeHost(new URL(inbox));
}

const DETAIL_LIMIT = 500;

/** Appends one record per event; never changes one. */
export async function recordDeliveries(db: Db, activity: AuditedActivity, events: readonly DeliveryEvent[]): Promise<void> {
  await recordDeliveryEvents(db, events.map((event) => ({ activity, event })));
}

/** Events of any activities, in one statement. */
export async function recordDeliveryEvents(db: Db, entries: ReadonlyArray<{ activity: AuditedActivity; event: DeliveryEvent }>): Promise<void> {
  if (entries.length === 0) return;
  const rows: Insertable<DeliveryAuditTable>[] = entries.map(({ activity, event: e }) => ({
    group_id: activity.groupId,
    group_iri: activity.groupIri,
    object_iri: activity.objectIri,
    activity_id: activity.activityId,
    activity_type: activity.activityType,
    server: serverOf(e.inbox),
    inbox: e.inbox,
    result: e.result,
    status_code: e.statusCode ?? null,
    detail: e.detail ? e.detail.slice(0, DETAIL_LIMIT) : null,
    attempt: e.attempt ?? null,
  }));
  // PostgreSQL takes at most 65,535 parameters a statement: 11 a row, so a
  // fan-out to 10,000 inboxes is written in slices.
  const write = async (executor: Db) => {
    for (let i = 0; i < rows.length; i += AUDIT_ROWS_PER_INSERT) {
      await executor.insertInto("delivery_audit").values(rows.slice(i, i + AUDIT_ROWS_PER_INSERT)).execute();
    }
  };
  // All or nothing: a retried job must not find half of its records written.
  if (rows.length <= AUDIT_ROWS_PER_INSERT || db.isTransaction) await write(db);
  else await db.transaction().execute(write);
}

const AUDIT_ROWS_PER_INSERT = 2_000;

/** The audited activity with this id, if its delivery was recorded when queued. */
export async function auditedActivity(db: Db, activityId: string): Promise<AuditedActivity | undefined> {
  const row = await db.selectFrom("delivery_audit")
    .select(["group_id", "group_iri", "object_iri", "activity_id", "activity_type"])
    .where("activity_id", "=", activityId)
    .limit(1)
    .executeTakeFirst();
  return row && {
    groupId: row.group_id, groupIri: row.group_iri, objectIri: row.object_iri, activityId: row.activity_id, activityType: row.activity_type,
  };
}

/* ---------------- reading ---------------- */

export interface AuditFilter {
  groupId?: string;
  /** a server's host name (an inbox URL or host:port is reduced to it) */
  server?: string;
  /** the id (IRI) of the post */
  objectIri?: string;
}

const MAX_FILTER_LENGTH = 2048;

/** Checks and normalises a filter from outside; a malformed value is an `invalid` error. */
export function auditFilter(input: { groupId?: string | undefined; server?: string | undefined; objectIri?: string | undefined }): AuditFilter {
  const filter: AuditFilter = {};
  if (input.groupId !== undefined) {
    if (!isRowId(input.groupId)) throw invalid("group must be a group's id");
    filter.groupId = input.groupId;
  }
  if (input.server !== undefined) {
    const raw = input.server.trim();
    if (raw === "" || raw.length > 253 || /[\s/?#@\\]/.test(raw) || !URL.canParse(`https://${raw}/`)) {
      throw invalid("server must be a host name, such as example.nl");
    }
    filter.server = normalizeHost(raw);
  }
  if (input.objectIri !== undefined) {
    if (input.objectIri.length > MAX_FILTER_LENGTH || !URL.canParse(input.objectIri)) throw invalid("object must be an object's id (a URL)");
    filter.objectIri = input.objectIri;
  }
  return filter;
}

/** Records matching `filter`, newest first, keyset-paged on their id. */
export function listDeliveryRecords(db: Db, filter: AuditFilter, page: Page): Promise<DeliveryRecord[]> {
  let q = db.selectFrom("delivery_audit").selectAll("delivery_audit");
  if (filter.groupId !== undefined) q = q.where("group_id", "=", filter.groupId);
  if (filter.server !== undefined) q = q.where("server", "=", filter.server);
  if (filter.objectIri !== undefined) q = q.where("object_iri", "=", filter.objectIri);
  return keysetPage(q, "delivery_audit.id", page);
}

/** May `reader` read the audit of the group `groupId`: its owner and admins, or an instance admin. */
export async function mayReadGroupAudit(db: Db, reader: Pick<Actor, "id" | "local">, groupId: string): Promise<boolean> {
  if (await isInstanceAdmin(db, reader)) return true;
  return reader.local && isAdmin(await membershipOf(db, groupId, reader.id));
}

/** A group's audit, for its owner and admins (and the instance's admins); anyone else is refused. */
export async function groupDeliveryAudit(
  db: Db, reader: Pick<Actor, "id" | "local">, groupId: string, filter: Omit<AuditFilter, "groupId">, page: Page,
): Promise<DeliveryRecord[]> {
  if (!(await mayReadGroupAudit(db, reader, groupId))) throw forbidden("The delivery audit is for the group's admins");
  return listDeliveryRecords(db, { ...filter, groupId }, page);
}

/** The whole audit, for the instance's admins only. */
export async function instanceDeliveryAudit(db: Db, reader: Pick<Actor, "id" | "local">, filter: AuditFilter, page: Page): Promise<DeliveryRecord[]> {
  await requireInstanceAdmin(db, reader);
  return listDeliveryRecords(db, filter, page);
}
