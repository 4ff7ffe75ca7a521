/**
 * POST /api/v1/reports: Mastodon's report of an account (and some of its
 * statuses), filed as Plein's reports are (src/domain/reports.ts): the
 * admins and the group moderators concerned are told, and with `forward` the
 * reported server is sent a Flag.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { ReportCategory } from "../../db/schema.ts";
import { findInstanceActor } from "../../domain/accounts.ts";
import { invalid } from "../../domain/errors.ts";
import { fileReport, findFiledReport, type FiledReport, REPORT_CATEGORIES } from "../../domain/reports.ts";
import { findAccount } from "./accounts.ts";
import { type ApiEnv, currentAccount, requireAuth, viewerOf } from "./auth.ts";
import { type MastodonAccount, renderAccount } from "./entities/account.ts";
import { idList, oneOf, optionalBoolean, optionalId, optionalString, type Params, readParams } from "./params.ts";

/** Mastodon's limit on a report's comment. */
const MAX_COMMENT = 1000;
const MAX_STATUSES = 100;

/** https://docs.joinmastodon.org/entities/Report/ */
interface MastodonReport {
  id: string;
  action_taken: boolean;
  action_taken_at: string | null;
  category: ReportCategory;
  comment: string;
  forwarded: boolean;
  created_at: string;
  status_ids: string[] | null;
  rule_ids: string[] | null;
  target_account: MastodonAccount;
}

function renderReport(report: FiledReport, target: MastodonAccount): MastodonReport {
  return {
    id: report.id,
    // Plein keeps no resolution of reports yet: none has had action taken.
    action_taken: false,
    action_taken_at: null,
    category: report.category,
    comment: report.comment,
    forwarded: report.forwarded,
    created_at: report.createdAt.toISOString(),
    status_ids: report.postIds.length > 0 ? report.postIds : null,
    rule_ids: null,
    target_account: target,
  };
}

/** The instance has no rules (GET /api/v1/instance/rules is empty), so any rule id names nothing. */
function checkRuleIds(params: Params) {
  const v = params["rule_ids"];
  const given = Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== "";
  if (given) throw invalid("rule_ids: no such rule");
}

export function mountReports(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.post("/", requireAuth("write:reports"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const params = await readParams(c);
    const accountId = optionalId(params, "account_id");
    if (!accountId) throw invalid("account_id is required");
    const comment = optionalString(params, "comment") ?? "";
    if (comment.length > MAX_COMMENT) throw invalid(`comment: at most ${MAX_COMMENT} characters`);
    const category = oneOf(params, "category", REPORT_CATEGORIES) ?? "other";
    checkRuleIds(params);
    const statusIds = idList(params, "status_ids", MAX_STATUSES + 1);
    if (statusIds.length > MAX_STATUSES) throw invalid(`status_ids: at most ${MAX_STATUSES}`);
    const target = await findAccount(deps.db, accountId);
    if (target.id === me.id) throw invalid("You cannot report yourself");
    const instance = await findInstanceActor(deps.db, deps.config.origin);
    if (!instance) throw new Error("The instance actor is missing");
    const id = await fileReport(deps.db, me, instance, {
      targetId: target.id,
      postIds: statusIds,
      comment,
      forward: optionalBoolean(params, "forward") ?? false,
      category,
      postsOfTargetOnly: true,
    });
    const report = await findFiledReport(deps.db, me.id, id);
    if (!report) throw new Error("The report just filed is missing");
    return c.json(renderReport(report, await renderAccount(deps, target, viewerOf(c))));
  });

  app.route("/api/v1/reports", r);
}
