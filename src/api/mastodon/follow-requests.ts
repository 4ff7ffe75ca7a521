import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { notFound } from "../../domain/errors.ts";
import { acceptFollowRequest, rejectFollowRequest } from "../../domain/follows.ts";
import { hasPendingRequest, listFollowRequests, relationshipsOf } from "../../domain/relationships.ts";
import { findAccount } from "./accounts.ts";
import { type ApiEnv, currentAccount, requireAuth, viewerOf } from "./auth.ts";
import { renderAccountList } from "./entities/account.ts";
import { renderRelationship } from "./entities/relationship.ts";
import { pageParams, pathId, queryParams, setLinkHeader } from "./params.ts";

/** /api/v1/follow_requests: pending requests to follow a locked account, and the decision. */
export function mountFollowRequests(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/", requireAuth("read:follows"), async (c) => {
    const deps = c.get("deps");
    const entries = await listFollowRequests(deps.db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(await renderAccountList(deps, entries.map((e) => e.actor), viewerOf(c)));
  });

  for (const action of ["authorize", "reject"] as const) {
    r.post(`/:id/${action}`, requireAuth("write:follows"), async (c) => {
      const deps = c.get("deps");
      const me = currentAccount(c);
      const requester = await findAccount(deps.db, pathId(c));
      if (!(await hasPendingRequest(deps.db, requester.id, me.id))) throw notFound();
      if (action === "authorize") await acceptFollowRequest(deps.db, me, requester);
      else await rejectFollowRequest(deps.db, me, requester);
      const [rel] = await relationshipsOf(deps.db, me.id, [requester.id]);
      return c.json(renderRelationship(rel!));
    });
  }

  app.route("/api/v1/follow_requests", r);
}
