import { Hono } from "hono";
import type { Federation } from "@fedify/fedify";
import { sql } from "kysely";
import type { AppContext, AppEnv } from "./context.ts";
import { inboxSignatureGuard } from "../federation/inbox/guard.ts";
import { federationMiddleware } from "../federation/middleware.ts";
import { federationPolicyGuard } from "../federation/policy.ts";
import { limitBody } from "./http/body-limit.ts";
import { handleError, notFoundHandler } from "./http/errors.ts";
import { refuseNulInUrl } from "./http/nul-guard.ts";
import { securityHeaders } from "./http/security-headers.ts";

export interface AppOptions {
  deps: AppContext;
  federation: Federation<AppContext>;
  /** Routers mounted after federation (Mastodon API, web pages...). */
  routers?: Array<(app: Hono<AppEnv>) => void>;
}

export function createApp({ deps, federation, routers = [] }: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound(notFoundHandler);
  app.use(securityHeaders(deps.config.origin));
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(limitBody);
  app.use(refuseNulInUrl);
  app.get("/healthz", async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: "ok" });
    } catch {
      return c.json({ status: "unavailable", error: "database unreachable" }, 503);
    }
  });
  app.use(inboxSignatureGuard(deps.config));
  app.use(federationPolicyGuard());
  app.use(federationMiddleware(federation, deps));
  for (const mount of routers) mount(app);
  return app;
}
