import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { instanceStats } from "../../domain/stats.ts";
import type { ApiEnv } from "./auth.ts";
import { renderInstanceV1, renderInstanceV2 } from "./entities/instance.ts";

/** /api/v1/instance and /api/v2/instance: what clients read before signing in. */
export function mountInstance(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  r.get("/v1/instance", async (c) => {
    const deps = c.get("deps");
    return c.json(renderInstanceV1(deps.config.origin, await instanceStats(deps.db)));
  });
  r.get("/v2/instance", async (c) => {
    const deps = c.get("deps");
    return c.json(renderInstanceV2(deps.config.origin, await instanceStats(deps.db)));
  });
  app.route("/api", r);
}
