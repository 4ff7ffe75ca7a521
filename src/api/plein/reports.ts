/** POST /api/plein/v1/reports: a person reports posts (or an account) to whoever keeps order. */
import type { Hono } from "hono";
import { findInstanceActor } from "../../domain/accounts.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { fileReport } from "../../domain/reports.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { type ApiEnv, currentAccount, requireAuth } from "../mastodon/auth.ts";
import { idList, optionalBoolean, optionalId, optionalString, readParams } from "../mastodon/params.ts";

export function mountReportRoutes(r: Hono<ApiEnv>): void {
  r.post("/reports", requireAuth("write:reports"), async (c) => {
    const deps = c.get("deps");
    const params = await readParams(c);
    const postIds = idList(params, "post_ids", 101);
    const accountId = optionalId(params, "account_id");
    const comment = optionalString(params, "comment") ?? "";
    if (postIds.length === 0 && !accountId) throw invalid("post_ids or account_id is required");
    if (accountId && !(await findActorById(deps.db, accountId))) throw notFound("No such account");
    const instance = await findInstanceActor(deps.db, deps.config.origin);
    if (!instance) throw new Error("The instance actor is missing");
    const id = await fileReport(deps.db, currentAccount(c), instance, {
      postIds,
      targetId: accountId ?? null,
      comment,
      forward: optionalBoolean(params, "forward") ?? false,
    });
    return c.json({ id });
  });
}
