/**
 * Reports for those who deal with them: the instance's admins see every
 * report received (from another server) or filed here, open ones or all, and
 * mark one dealt with; a group's moderators see the reports about its content.
 */
import type { Db } from "../db/database.ts";
import type { Selectable } from "kysely";
import type { Actor, ReportCategory, ReportsTable } from "../db/schema.ts";
import { requireInstanceAdmin } from "./admins.ts";
import { forbidden, notFound } from "./errors.ts";
import type { GroupView } from "./groups.ts";
import { isModerator, membershipOf } from "./membership.ts";
import { keysetPage, type Page } from "./paging.ts";

export interface ReportEntry {
  id: string;
  reporter: Actor | undefined;
  target: Actor | undefined;
  postIds: string[];
  comment: string;
  category: ReportCategory;
  /** came from another server (a Flag), not filed here */
  received: boolean;
  forwarded: boolean;
  createdAt: Date;
  resolvedAt: Date | null;
}

/** Reports, newest first; `open` leaves out those dealt with. Instance admins only. */
export async function reviewReports(db: Db, by: Pick<Actor, "id" | "local">, filter: { open: boolean }, page: Page): Promise<ReportEntry[]> {
  await requireInstanceAdmin(db, by);
  let q = db.selectFrom("reports").selectAll("reports");
  if (filter.open) q = q.where("reports.resolved_at", "is", null);
  return withActors(db, await keysetPage(q, "reports.id", page));
}

/**
 * Reports naming a post made in the group, newest first: for the group's
 * moderators (they are told of them as they come in).
 */
export async function groupReports(db: Db, group: GroupView, by: Pick<Actor, "id">, page: Page): Promise<ReportEntry[]> {
  if (!group.actor.local) throw notFound();
  if (!isModerator(await membershipOf(db, group.actor.id, by.id))) throw forbidden("Only the group's moderators can do that");
  const q = db.selectFrom("report_groups").innerJoin("reports", "reports.id", "report_groups.report_id")
    .selectAll("reports").where("report_groups.group_id", "=", group.actor.id);
  return withActors(db, await keysetPage(q, "reports.id", page));
}

async function withActors(db: Db, rows: Selectable<ReportsTable>[]): Promise<ReportEntry[]> {
  const ids = [...new Set(rows.flatMap((r) => [r.reporter_id, r.target_id]).filter((id): id is string => id !== null))];
  const actors = ids.length === 0 ? [] : await db.selectFrom("actors").selectAll().where("id", "in", ids).execute();
  const byId = new Map(actors.map((a) => [a.id, a]));
  return rows.map((r) => ({
    id: r.id,
    reporter: byId.get(r.reporter_id),
    target: r.target_id ? byId.get(r.target_id) : undefined,
    postIds: Array.isArray(r.post_ids) ? r.post_ids.filter((p): p is string => typeof p === "string") : [],
    comment: r.comment,
    category: r.category,
    received: r.activity_iri !== null,
    forwarded: r.forwarded,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
  }));
}

/** An instance admin marks a report dealt with (or open again). */
export async function resolveReport(db: Db, by: Pick<Actor, "id" | "local">, reportId: string, resolved: boolean): Promise<void> {
  await requireInstanceAdmin(db, by);
  const row = await db.updateTable("reports")
    .set(resolved ? { resolved_at: new Date(), resolved_by_id: by.id } : { resolved_at: null, resolved_by_id: null })
    .where("id", "=", reportId).returning("id").executeTakeFirst();
  if (!row) throw notFound("There is no such report");
}
