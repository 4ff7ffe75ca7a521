import type { Context } from "hono";
import { ALL_SCOPES } from "../../domain/tokens.ts";
import type { ApiEnv } from "../mastodon/auth.ts";

/** RFC 8414 metadata, in the shape Mastodon 4.3 publishes at /.well-known/oauth-authorization-server. */
export function authorizationServerMetadata(c: Context<ApiEnv>): Response {
  const origin = c.get("deps").config.origin;
  const at = (path: string) => new URL(path, origin).href;
  return c.json({
    issuer: at("/"),
    service_documentation: "https://docs.joinmastodon.org/",
    authorization_endpoint: at("/oauth/authorize"),
    token_endpoint: at("/oauth/token"),
    app_registration_endpoint: at("/api/v1/apps"),
    revocation_endpoint: at("/oauth/revoke"),
    scopes_supported: ALL_SCOPES,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    code_challenge_methods_supported: ["S256"],
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
  });
}
