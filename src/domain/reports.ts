/**
 * Reports of accounts and posts. Whoever keeps order hears of them: the
 * moderators of the group a reported post was made in (if it is ours), and
 * the instance's admins. A report about content in a group on another server
 * (or by an author there) can be forwarded to that server as a Flag.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, ReportCategory } from "../db/schema.ts";
import { invalid, notFound } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { type NewNotification, notify } from "./notifications.ts";
import { newActivityIriOf } from "./urls.ts";
import { canView, MODERATOR_ROLES } from "./visibility.ts";

export const REPORT_LIMITS = { posts: 100, commentChars: 5_000 } as const;

export interface IncomingReport {
  /** the reported local account, if any */
  targetId: string | null;
  /** reported posts (ours, or made in one of our groups) */
  postIds: string[];
  comment: string;
  activityIri: string;
}

/** The group moderators and instance admins to tell about reported posts. */
async function reportNotifications(db: Db, reportedBy: string, postIds: readonly string[], targetId: string | null): Promise<NewNotification[]> {
  const groups = postIds.length === 0 ? [] : await db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.group_id")
    .select(["posts.id as postId", "posts.group_id as groupId"])
    .where("posts.id", "in", [...postIds]).where("actors.local", "=", true).execute();
  const moderators = groups.length === 0 ? [] : await db.selectFrom("memberships").select(["group_id", "member_id"])
    .where("group_id", "in", [...new Set(groups.map((g) => g.groupId!))])
    .where("state", "=", "member").where("role", "in", MODERATOR_ROLES).execute();
  const admins = await db.selectFrom("users").select("actor_id").where("admin", "=", true).execute();
  const notes: NewNotification[] = [];
  for (const g of groups) {
    for (const m of moderators.filter((m) => m.group_id === g.groupId)) {
      notes.push({ recipientId: m.member_id, type: "report", actorId: reportedBy, postId: g.postId, groupId: g.groupId });
    }
  }
  for (const a of admins) notes.push({ recipientId: a.actor_id, type: "report", actorId: reportedBy, postId: postIds[0] ?? null });
  // One notification per person and post.
  const seen = new Set<string>();
  return notes.filter((n) => {
    const key = `${n.recipientId}:${n.postId ?? targetId ?? ""}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A remote server reports accounts or posts (inbound Flag). Idempotent per activity id. */
export async function receiveReport(db: Db, reporter: Actor, report: IncomingReport): Promise<string | null> {
  if (report.targetId === null && report.postIds.length === 0) throw invalid("A report names an account or a post");
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("reports").select("id")
      .where("activity_iri", "=", report.activityIri).where("reporter_id", "=", reporter.id).executeTakeFirst();
    if (existing) return existing.id;
    const postIds = [...new Set(report.postIds)].slice(0, REPORT_LIMITS.posts);
    const row = await trx.insertInto("reports").values({
      reporter_id: reporter.id,
      target_id: report.targetId,
      post_ids: JSON.stringify(postIds),
      comment: report.comment.slice(0, REPORT_LIMITS.commentChars),
      activity_iri: report.activityIri,
    }).returning("id").executeTakeFirstOrThrow();
    await recordReportGroups(trx, row.id, postIds);
    await notify(trx, await reportNotifications(trx, reporter.id, postIds, report.targetId));
    return row.id;
  });
}

export interface NewReport {
  /** the reported account (local or remote) */
  targetId?: string | null;
  postIds: string[];
  comment: string;
  /** also tell the server of the reported content (its group's, or its author's) */
  forward: boolean;
  category?: ReportCategory;
  /** the posts must be the target's (Mastodon's reports: a report is of one account) */
  postsOfTargetOnly?: boolean;
}

export const REPORT_CATEGORIES: readonly ReportCategory[] = ["spam", "legal", "violation", "other"];

/**
 * A local person reports posts they can see (and their author, or an
 * account). Group moderators and admins here are told; with `forward`, the
 * server of a remote group the posts were made in (or of their author) is
 * sent a Flag by our instance actor, naming nobody who reported.
 */
export async function fileReport(db: Db, reporter: Actor, instanceActor: Actor, input: NewReport): Promise<string> {
  const postIds = [...new Set(input.postIds)];
  if (postIds.length === 0 && !input.targetId) throw invalid("A report names an account or a post");
  if (postIds.length > REPORT_LIMITS.posts) throw invalid(`At most ${REPORT_LIMITS.posts} posts per report`);
  if (input.comment.length > REPORT_LIMITS.commentChars) throw invalid(`The comment is longer than ${REPORT_LIMITS.commentChars} characters`);
  for (const id of postIds) {
    if (!(await canView(db, { kind: "local", actorId: reporter.id }, id))) throw notFound("No such post");
  }
  return db.transaction().execute(async (trx) => {
    const posts = postIds.length === 0 ? [] : await trx.selectFrom("posts")
      .leftJoin("actors as groups", "groups.id", "posts.group_id")
      .innerJoin("actors as authors", "authors.id", "posts.actor_id")
      .select(["posts.id", "posts.actor_id", "groups.id as groupId", "groups.local as groupLocal", "authors.local as authorLocal"])
      .where("posts.id", "in", postIds).execute();
    const targetId = input.targetId ?? posts[0]?.actor_id ?? null;
    if (input.postsOfTargetOnly && posts.some((p) => p.actor_id !== targetId)) throw invalid("A reported status is not the account's");
    const row = await trx.insertInto("reports").values({
      reporter_id: reporter.id,
      target_id: targetId,
      post_ids: JSON.stringify(postIds),
      comment: input.comment,
      activity_iri: null,
      category: input.category ?? "other",
    }).returning("id").executeTakeFirstOrThrow();
    await recordReportGroups(trx, row.id, postIds);
    await notify(trx, await reportNotifications(trx, reporter.id, postIds, targetId));
    if (input.forward) {
      // A post in a remote group is the group's to judge; otherwise its author's server's.
      const recipients = new Set<string>();
      for (const p of posts) {
        if (p.groupId && p.groupLocal === false) recipients.add(p.groupId);
        else if (!p.authorLocal) recipients.add(p.actor_id);
      }
      if (posts.length === 0 && targetId) {
        const target = await trx.selectFrom("actors").select(["id", "local"]).where("id", "=", targetId).executeTakeFirst();
        if (target && !target.local) recipients.add(target.id);
      }
      for (const recipientId of recipients) {
        await enqueueDelivery(trx, {
          type: "flag", reportId: row.id, recipientId, id: newActivityIriOf(instanceActor, "flag"),
        }, instanceActor.id);
      }
      if (recipients.size > 0) await trx.updateTable("reports").set({ forwarded: true }).where("id", "=", row.id).execute();
    }
    return row.id;
  });
}

/** A report as its reporter sees it back. */
export interface FiledReport {
  id: string;
  category: ReportCategory;
  comment: string;
  forwarded: boolean;
  createdAt: Date;
  postIds: string[];
  target: Actor | undefined;
}

export async function findFiledReport(db: Db, reporterId: string, reportId: string): Promise<FiledReport | undefined> {
  const report = await db.selectFrom("reports").selectAll()
    .where("id", "=", reportId).where("reporter_id", "=", reporterId).executeTakeFirst();
  if (!report) return undefined;
  const target = report.target_id ? await db.selectFrom("actors").selectAll().where("id", "=", report.target_id).executeTakeFirst() : undefined;
  return {
    id: report.id,
    category: report.category,
    comment: report.comment,
    forwarded: report.forwarded,
    createdAt: report.created_at,
    postIds: Array.isArray(report.post_ids) ? report.post_ids.filter((p): p is string => typeof p === "string") : [],
    target,
  };
}

/** What a forwarded report names: the ids of its posts (and account) that concern one recipient. */
export async function reportForRecipient(db: Db, reportId: string, recipientId: string): Promise<{ comment: string; objectIris: string[] } | undefined> {
  const report = await db.selectFrom("reports").selectAll().where("id", "=", reportId).executeTakeFirst();
  if (!report) return undefined;
  const postIds = Array.isArray(report.post_ids) ? report.post_ids.filter((p): p is string => typeof p === "string") : [];
  const posts = postIds.length === 0 ? [] : await db.selectFrom("posts").select(["iri", "actor_id", "group_id"])
    .where("id", "in", postIds).execute();
  const concerned = posts.filter((p) => p.group_id === recipientId || p.actor_id === recipientId).map((p) => p.iri);
  const target = report.target_id
    ? await db.selectFrom("actors").select(["iri", "local"]).where("id", "=", report.target_id).executeTakeFirst()
    : undefined;
  const objectIris = [...(target && !target.local ? [target.iri] : []), ...concerned];
  return { comment: report.comment, objectIris };
}

/** Which groups the reported posts were made in (for the groups' moderators' list). */
async function recordReportGroups(trx: Db, reportId: string, postIds: readonly string[]): Promise<void> {
  if (postIds.length === 0) return;
  await trx.insertInto("report_groups")
    .columns(["group_id", "report_id"])
    .expression((eb) => eb.selectFrom("posts").select(["posts.group_id as group_id", sql<string>`${reportId}::bigint`.as("report_id")])
      .where("posts.id", "in", [...postIds]).where("posts.group_id", "is not", null).distinct())
    .onConflict((oc) => oc.doNothing())
    .execute();
}
