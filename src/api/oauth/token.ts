import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DomainError } from "../../domain/errors.ts";
import {
  authenticateClient, clientCredentialsToken, codeHasChallenge, exchangeCode, OAuthError, type OAuthErrorCode,
  refreshTokens, revokeClientToken,
} from "../../domain/oauth.ts";
import type { ApiContext, ApiEnv } from "../mastodon/auth.ts";
import { type Params, readParams } from "../mastodon/params.ts";
import { renderToken } from "./entities.ts";

/** An OAuth error answer (RFC 6749 section 5.2): 401 for a client that failed to authenticate, else 400. */
export function oauthError(c: Context, code: OAuthErrorCode, description: string): Response {
  c.header("Cache-Control", "no-store");
  return c.json({ error: code, error_description: description }, code === "invalid_client" ? 401 : 400);
}

/** The request's parameters, each a single text value; anything else is a malformed request. */
async function oauthParams(c: ApiContext): Promise<Record<string, string | undefined>> {
  let params: Params;
  try {
    params = await readParams(c);
  } catch (err) {
    if (err instanceof DomainError || err instanceof HTTPException) throw new OAuthError("invalid_request", err.message);
    throw err;
  }
  const out: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== "string") throw new OAuthError("invalid_request", `${key.slice(0, 50)} must be a single text value`);
    out[key] = value;
  }
  return out;
}

/** client_secret_basic (RFC 6749 section 2.3.1) or client_secret_post. */
function clientCredentials(c: ApiContext, params: Record<string, string | undefined>): { id: string | undefined; secret: string | undefined } {
  const m = /^\s*basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(c.req.header("authorization") ?? "");
  if (m) {
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new OAuthError("invalid_client", "Malformed Basic credentials");
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  return { id: params.client_id, secret: params.client_secret };
}

async function catchOAuth(c: Context, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof OAuthError) return oauthError(c, err.code, err.message);
    if (err instanceof URIError) return oauthError(c, "invalid_client", "Malformed Basic credentials");
    throw err;
  }
}

/** POST /oauth/token and POST /oauth/revoke. */
export function tokenRoutes(): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  r.post("/token", (c) => catchOAuth(c, async () => {
    const db = c.get("deps").db;
    const params = await oauthParams(c);
    const client = clientCredentials(c, params);
    const grantType = params.grant_type;
    if (!grantType) throw new OAuthError("invalid_request", "grant_type is missing");
    let issued;
    if (grantType === "authorization_code") {
      // A public client (no secret) may redeem a code only if it proves the PKCE verifier.
      const isPublic = client.secret === undefined && client.id !== undefined && params.code !== undefined
        && await codeHasChallenge(db, client.id, params.code);
      const app = await authenticateClient(db, client.id, client.secret, isPublic);
      issued = await exchangeCode(db, app, { code: params.code, redirectUri: params.redirect_uri, codeVerifier: params.code_verifier });
    } else if (grantType === "client_credentials") {
      const app = await authenticateClient(db, client.id, client.secret);
      issued = await clientCredentialsToken(db, app, params.scope);
    } else if (grantType === "refresh_token") {
      const app = await authenticateClient(db, client.id, client.secret);
      issued = await refreshTokens(db, app, params.refresh_token, params.scope);
    } else {
      throw new OAuthError("unsupported_grant_type", "The authorization grant type is not supported");
    }
    c.header("Cache-Control", "no-store");
    return c.json(renderToken(issued));
  }));
  r.post("/revoke", (c) => catchOAuth(c, async () => {
    const db = c.get("deps").db;
    const params = await oauthParams(c);
    const client = clientCredentials(c, params);
    const app = await authenticateClient(db, client.id, client.secret);
    if (!params.token) throw new OAuthError("invalid_request", "token is missing");
    await revokeClientToken(db, app, params.token);
    return c.json({});
  }));
  return r;
}
