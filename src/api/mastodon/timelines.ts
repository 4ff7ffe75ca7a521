import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { homeTimeline, publicTimeline } from "../../domain/timelines.ts";
import { type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "./auth.ts";
import { renderStatuses } from "./entities/status.ts";
import { optionalBoolean, pageParams, queryParams, setLinkHeader } from "./params.ts";

/** /api/v1/timelines: home and public. Pages are keyset pages on post ids with Mastodon's Link header. */
export function mountTimelines(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/home", requireAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const posts = await homeTimeline(deps.db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderStatuses(deps, viewerOf(c), posts));
  });

  r.get("/public", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const params = queryParams(c);
    const page = pageParams(params);
    const source = optionalBoolean(params, "local") ? "local" : optionalBoolean(params, "remote") ? "remote" : "all";
    const posts = await publicTimeline(deps.db, viewer, page, source);
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderStatuses(deps, viewer, posts));
  });

  app.route("/api/v1/timelines", r);
}
