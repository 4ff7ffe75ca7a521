import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { allModules } from "../../modules/registry.ts";
import type { ApiEnv } from "../mastodon/auth.ts";
import { mountAttachmentRoutes } from "./attachments.ts";
import { mountAuditRoutes } from "./audit.ts";
import { mountContentRoutes } from "./content.ts";
import { mountFederationRoutes } from "./federation.ts";
import { mountGroupRoutes } from "./groups.ts";
import { openApiDocument } from "./openapi.ts";
import { mountReportRoutes } from "./reports.ts";

/** Plein's own API under /api/plein/v1: groups, membership, moderation, content of every module, the delivery audit. */
export function mountPleinApi(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  r.get("/openapi.json", (c) => c.json(openApiDocument(c.get("deps").config.origin)));
  mountGroupRoutes(r);
  mountContentRoutes(r);
  mountAttachmentRoutes(r);
  mountReportRoutes(r);
  mountFederationRoutes(r);
  mountAuditRoutes(r);
  for (const module of allModules()) module.routes?.(r);
  app.route("/api/plein/v1", r);
}
