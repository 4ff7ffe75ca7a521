import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../../context.ts";
import type { ApiEnv } from "../mastodon/auth.ts";
import { appsRoutes } from "./apps.ts";
import { authorizeRoutes } from "./authorize.ts";
import { authorizationServerMetadata } from "./metadata.ts";
import { tokenRoutes } from "./token.ts";

/**
 * OAuth 2 for Mastodon apps: registration, the authorization pages, the
 * token and revocation endpoints and the server's metadata. The JSON
 * endpoints answer browsers of every origin (Elk and Phanpy run there); the
 * pages do not.
 */
export function mountOAuth(app: Hono<AppEnv>): void {
  const browserClients = cors({ origin: "*", allowMethods: ["GET", "POST", "OPTIONS"], maxAge: 86400 });
  const api = new Hono<ApiEnv>();
  api.use("/v1/apps", browserClients);
  api.use("/v1/apps/*", browserClients);
  api.route("/v1/apps", appsRoutes());
  app.route("/api", api);

  const oauth = new Hono<ApiEnv>();
  oauth.use("/token", browserClients);
  oauth.use("/revoke", browserClients);
  oauth.route("/", tokenRoutes());
  oauth.route("/", authorizeRoutes());
  app.route("/oauth", oauth);

  const wellKnown = new Hono<ApiEnv>();
  wellKnown.use("/oauth-authorization-server", browserClients);
  wellKnown.get("/oauth-authorization-server", authorizationServerMetadata);
  app.route("/.well-known", wellKnown);
}
