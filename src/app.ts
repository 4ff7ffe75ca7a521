import { Hono } from "hono";
import type { Federation } from "@fedify/fedify";
import { sql } from "kysely";
import type { AppContext, AppEnv } from "./context.ts";
import { inboxSignatureGuard } from "../federation/inbox/guard.ts";
import { federationMiddleware } from "../federation/middleware.ts";
import { publishedDocumentCache } from "../federation/document-cache.ts";
import { federationPolicyGuard } from "../federation/policy.ts";
import { discoveryCors } from "./api/browser-clients.ts";
import { limitBody } from "./http/body-limit.ts";
import { handleError, notFoundHandler } from "./http/errors.ts";
import { refuseNulInUrl } from "./http/nul-guard.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { httpMetrics, labelAnswers, metricsHandler } from "./ops/metrics-endpoint.ts";
import type { Registry } from "prom-client";

export interface AppOptions {
  deps: AppContext;
  federation: Federation<AppContext>;
  /** Routers mounted after federation (Mastodon API, web pages...). */
  routers?: Array<(app: Hono<AppEnv>) => void>;
  /** The metrics /metrics serves when PLEIN_METRICS_TOKEN is set (src/ops/metrics-endpoint.ts). */
  metrics?: Registry;
  /** Set while the process shuts down: /healthz answers 503, so balancers stop sending. */
  draining?: () => boolean;
}

export function createApp({ deps, federation, routers = [], metrics, draining = () => false }: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound(notFoundHandler);
  app.use(httpMetrics());
  app.use(securityHeaders(deps.config.origin));
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(limitBody);
  app.use(refuseNulInUrl);
  if (metrics && deps.config.metricsToken !== undefined) app.get("/metrics", metricsHandler(metrics, deps.config.metricsToken));
  app.get("/healthz", async (c) => {
    if (draining()) return c.json({ status: "draining", error: "shutting down" }, 503);
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: "ok" });
    } catch {
      return c.json({ status: "unavailable", error: "database unreachable" }, 503);
    }
  });
  app.use(inboxSignatureGuard(deps.config));
  app.use(federationPolicyGuard());
  app.use("/.well-known/*", discoveryCors);
  app.use("/nodeinfo/*", discoveryCors);
  app.use(labelAnswers("fedify", federationMiddleware(federation, deps, publishedDocumentCache({
    ttlMs: deps.config.documentCacheSeconds * 1000, maxEntries: 10_000,
  }))));
  for (const mount of routers) mount(app);
  return app;
}
