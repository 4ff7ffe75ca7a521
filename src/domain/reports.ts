import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { invalid } from "./errors.ts";

export const REPORT_LIMITS = { posts: 100, commentChars: 5_000 } as const;

export interface IncomingReport {
  /** the reported local account, if any */
  targetId: string | null;
  /** reported local posts */
  postIds: string[];
  comment: string;
  activityIri: string;
}

/** A remote server reports local accounts or posts (inbound Flag). Idempotent per activity id. */
export async function receiveReport(db: Db, reporter: Actor, report: IncomingReport): Promise<string | null> {
  if (report.targetId === null && report.postIds.length === 0) throw invalid("A report names an account or a post");
  const existing = await db.selectFrom("reports").select("id")
    .where("activity_iri", "=", report.activityIri).where("reporter_id", "=", reporter.id).executeTakeFirst();
  if (existing) return existing.id;
  const row = await db.insertInto("reports").values({
    reporter_id: reporter.id,
    target_id: report.targetId,
    post_ids: JSON.stringify([...new Set(report.postIds)].slice(0, REPORT_LIMITS.posts)),
    comment: report.comment.slice(0, REPORT_LIMITS.commentChars),
    activity_iri: report.activityIri,
  }).returning("id").executeTakeFirstOrThrow();
  return row.id;
}
