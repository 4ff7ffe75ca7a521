import { createHash, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/database.ts";
import type { Actor, Application } from "../db/schema.ts";
import { DomainError, invalid } from "./errors.ts";
import { digest, hasScope, newSecret, parseScopes } from "./tokens.ts";

/** The out-of-band redirect: the code is shown on a page instead of sent to the app. */
export const OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob";
/** How long an authorization code may wait for its exchange. */
export const CODE_LIFETIME_MS = 10 * 60 * 1000;

const MAX_NAME = 200;
const MAX_URI = 2000;
const MAX_REDIRECT_URIS = 10;
/** Schemes a browser would run or read locally instead of handing to an app. */
const UNSAFE_SCHEMES = new Set(["javascript:", "data:", "vbscript:", "file:", "blob:", "about:", "filesystem:"]);

/** The error codes of RFC 6749 section 5.2 (and 4.1.2.1); the edge picks the HTTP status. */
export type OAuthErrorCode =
  | "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client"
  | "unsupported_grant_type" | "invalid_scope" | "unsupported_response_type" | "access_denied";

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.code = code;
  }
}

export interface NewApplication {
  name: string;
  website?: string;
  /** one or more, newline-separated in a string or as a list */
  redirectUris: string | string[];
  /** space-separated; "read" when absent */
  scopes?: string;
}

export interface RegisteredApplication {
  application: Application;
  /** shown once: only its digest is stored */
  clientSecret: string;
}

function checkRedirectUri(uri: string): string {
  if (uri === OOB_REDIRECT) return uri;
  if (uri.length > MAX_URI) throw invalid("redirect_uris: a redirect URI is too long");
  if (!URL.canParse(uri)) throw invalid("redirect_uris must be absolute URIs");
  const url = new URL(uri);
  if (UNSAFE_SCHEMES.has(url.protocol)) throw invalid(`redirect_uris: the scheme ${url.protocol} is not allowed`);
  if (url.hash !== "" || uri.includes("#")) throw invalid("redirect_uris must not contain a fragment");
  return uri;
}

/** The redirect URIs as registered: split on newlines, trimmed, each an absolute URI without a fragment. */
export function parseRedirectUris(input: string | string[]): string[] {
  const parts = (Array.isArray(input) ? input : input.split("\n")).map((u) => u.trim()).filter(Boolean);
  if (parts.length === 0) throw invalid("redirect_uris can't be blank");
  if (parts.length > MAX_REDIRECT_URIS) throw invalid(`redirect_uris: at most ${MAX_REDIRECT_URIS} URIs`);
  return [...new Set(parts.map(checkRedirectUri))];
}

export async function registerApplication(db: Db, input: NewApplication): Promise<RegisteredApplication> {
  const name = input.name.trim();
  if (name === "") throw invalid("client_name can't be blank");
  if (name.length > MAX_NAME) throw invalid(`client_name is too long (at most ${MAX_NAME} characters)`);
  let website: string | null = null;
  if (input.website !== undefined && input.website.trim() !== "") {
    website = input.website.trim();
    if (website.length > MAX_URI || !URL.canParse(website) || !/^https?:$/.test(new URL(website).protocol)) {
      throw invalid("website must be an http(s) URL");
    }
  }
  const redirectUris = parseRedirectUris(input.redirectUris);
  const scopes = parseScopes(input.scopes === undefined || input.scopes.trim() === "" ? "read" : input.scopes);
  const clientSecret = newSecret();
  const application = await db.insertInto("applications").values({
    name,
    website,
    redirect_uris: redirectUris,
    scopes: scopes.join(" "),
    client_id: newSecret(),
    client_secret_digest: digest(clientSecret),
  }).returningAll().executeTakeFirstOrThrow();
  return { application, clientSecret };
}

export function findApplication(db: Db, clientId: string): Promise<Application | undefined> {
  if (clientId.length === 0 || clientId.length > 200) return Promise.resolve(undefined);
  return db.selectFrom("applications").selectAll().where("client_id", "=", clientId).executeTakeFirst();
}

function sameDigest(secret: string, storedDigest: string): boolean {
  const a = Buffer.from(digest(secret), "hex");
  const b = Buffer.from(storedDigest, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The client of a token or revocation request. `secret` may be absent only
 * when `allowPublic` (an authorization code bound to a PKCE challenge).
 */
export async function authenticateClient(
  db: Db, clientId: string | undefined, secret: string | undefined, allowPublic = false,
): Promise<Application> {
  if (!clientId) throw new OAuthError("invalid_client", "Client authentication failed: client_id is missing");
  const app = await findApplication(db, clientId);
  if (!app) throw new OAuthError("invalid_client", "Client authentication failed: unknown client");
  if (secret === undefined) {
    if (allowPublic) return app;
    throw new OAuthError("invalid_client", "Client authentication failed: client_secret is missing");
  }
  if (!sameDigest(secret, app.client_secret_digest)) throw new OAuthError("invalid_client", "Client authentication failed: wrong client_secret");
  return app;
}

/** The scopes asked for, each covered by one the app registered ("read" by default). */
export function requestedScopes(app: Application, scope: string | undefined): string[] {
  let scopes: string[];
  try {
    scopes = parseScopes(scope === undefined || scope.trim() === "" ? "read" : scope);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed");
  }
  const registered = app.scopes.split(" ");
  const outside = scopes.filter((s) => !hasScope(registered, s));
  if (outside.length > 0) throw new OAuthError("invalid_scope", "The requested scope exceeds the scopes the application registered");
  return scopes;
}

/** The redirect URI of an authorization request: exactly one the app registered (or its only one, when absent). */
export function requestedRedirectUri(app: Application, redirectUri: string | undefined): string {
  if (redirectUri === undefined || redirectUri === "") {
    if (app.redirect_uris.length === 1) return app.redirect_uris[0]!;
    throw new OAuthError("invalid_request", "redirect_uri is required");
  }
  if (!app.redirect_uris.includes(redirectUri)) {
    throw new OAuthError("invalid_request", "The redirect_uri does not match one registered by the application");
  }
  return redirectUri;
}

export type ChallengeMethod = "S256" | "plain";
export interface Challenge {
  challenge: string;
  method: ChallengeMethod;
}

const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** RFC 7636: a challenge is 43 to 128 unreserved characters; the method defaults to plain. */
export function parseChallenge(challenge: string | undefined, method: string | undefined): Challenge | undefined {
  if (challenge === undefined || challenge === "") {
    if (method !== undefined && method !== "") throw new OAuthError("invalid_request", "code_challenge_method without code_challenge");
    return undefined;
  }
  if (!PKCE_VALUE.test(challenge)) throw new OAuthError("invalid_request", "code_challenge must be 43 to 128 unreserved characters");
  const m = method === undefined || method === "" ? "plain" : method;
  if (m !== "S256" && m !== "plain") throw new OAuthError("invalid_request", "code_challenge_method must be S256 or plain");
  return { challenge, method: m };
}

export interface AuthorizationGrant {
  app: Application;
  actor: Actor;
  redirectUri: string;
  scopes: string[];
  challenge: Challenge | undefined;
}

/** Issues a code for a person's consent; only its digest is stored. */
export async function createAuthorizationCode(db: Db, grant: AuthorizationGrant, now = new Date()): Promise<string> {
  const code = newSecret();
  await db.deleteFrom("oauth_codes").where("expires_at", "<", now).execute();
  await db.insertInto("oauth_codes").values({
    code_digest: digest(code),
    application_id: grant.app.id,
    actor_id: grant.actor.id,
    redirect_uri: grant.redirectUri,
    scopes: grant.scopes.join(" "),
    code_challenge: grant.challenge?.challenge ?? null,
    code_challenge_method: grant.challenge?.method ?? null,
    expires_at: new Date(now.getTime() + CODE_LIFETIME_MS),
  }).execute();
  return code;
}

function verifierMatches(verifier: string, challenge: string, method: ChallengeMethod): boolean {
  if (!PKCE_VALUE.test(verifier)) return false;
  const computed = method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  const a = Buffer.from(computed);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface IssuedTokens {
  /** the access token's row */
  id: string;
  accessToken: string;
  refreshToken: string | undefined;
  scopes: string[];
  createdAt: Date;
}

async function insertToken(db: Db, app: Application, actorId: string | null, scopes: string[], withRefresh: boolean): Promise<IssuedTokens> {
  const accessToken = newSecret();
  const refreshToken = withRefresh ? newSecret() : undefined;
  const row = await db.insertInto("access_tokens").values({
    token_digest: digest(accessToken),
    actor_id: actorId,
    scopes: scopes.join(" "),
    application_id: app.id,
    refresh_token_digest: refreshToken === undefined ? null : digest(refreshToken),
  }).returning(["id", "created_at"]).executeTakeFirstOrThrow();
  return { id: row.id, accessToken, refreshToken, scopes, createdAt: row.created_at };
}

export interface CodeExchange {
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/**
 * grant_type=authorization_code. The code is spent as it is read, so it
 * works once whatever happens next (a wrong verifier spends it too); a
 * second use revokes the token the first one gave (RFC 6749 section 4.1.2).
 */
export async function exchangeCode(db: Db, app: Application, input: CodeExchange, now = new Date()): Promise<IssuedTokens> {
  if (!input.code) throw new OAuthError("invalid_request", "code is missing");
  if (input.code.length > 200) throw new OAuthError("invalid_grant", "The authorization code is invalid");
  const codeDigest = digest(input.code);
  const row = await db.updateTable("oauth_codes")
    .set({ used_at: now })
    .where("code_digest", "=", codeDigest)
    .where("application_id", "=", app.id)
    .where("used_at", "is", null)
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const spent = await db.selectFrom("oauth_codes").select("access_token_id")
      .where("code_digest", "=", codeDigest).where("application_id", "=", app.id).executeTakeFirst();
    if (spent?.access_token_id) {
      await db.updateTable("access_tokens").set({ revoked_at: now })
        .where("id", "=", spent.access_token_id).where("revoked_at", "is", null).execute();
    }
    throw new OAuthError("invalid_grant", "The authorization code is invalid, was used already, or belongs to another client");
  }
  if (row.expires_at.getTime() <= now.getTime()) throw new OAuthError("invalid_grant", "The authorization code has expired");
  if (input.redirectUri !== row.redirect_uri) throw new OAuthError("invalid_grant", "The redirect_uri does not match the authorization request");
  if (row.code_challenge !== null && row.code_challenge_method !== null) {
    if (!input.codeVerifier) throw new OAuthError("invalid_grant", "code_verifier is missing");
    if (!verifierMatches(input.codeVerifier, row.code_challenge, row.code_challenge_method)) {
      throw new OAuthError("invalid_grant", "The code_verifier does not match the code_challenge");
    }
  }
  const issued = await insertToken(db, app, row.actor_id, row.scopes.split(" "), true);
  await db.updateTable("oauth_codes").set({ access_token_id: issued.id }).where("code_digest", "=", codeDigest).execute();
  return issued;
}

/** Whether an authorization code was bound to a PKCE challenge (then the client may skip its secret). */
export async function codeHasChallenge(db: Db, clientId: string, code: string): Promise<boolean> {
  if (code.length > 200) return false;
  const row = await db.selectFrom("oauth_codes")
    .innerJoin("applications", "applications.id", "oauth_codes.application_id")
    .select("oauth_codes.code_challenge")
    .where("oauth_codes.code_digest", "=", digest(code))
    .where("applications.client_id", "=", clientId)
    .executeTakeFirst();
  return row !== undefined && row.code_challenge !== null;
}

/** grant_type=client_credentials: a token of the app itself, no account behind it. */
export function clientCredentialsToken(db: Db, app: Application, scope: string | undefined): Promise<IssuedTokens> {
  return insertToken(db, app, null, requestedScopes(app, scope), false);
}

/**
 * grant_type=refresh_token: the old pair is revoked as the new one is made
 * (a refresh token works once); `scope` may narrow, never widen.
 */
export async function refreshTokens(db: Db, app: Application, refreshToken: string | undefined, scope: string | undefined): Promise<IssuedTokens> {
  if (!refreshToken) throw new OAuthError("invalid_request", "refresh_token is missing");
  if (refreshToken.length > 200) throw new OAuthError("invalid_grant", "The refresh token is invalid");
  return db.transaction().execute(async (trx) => {
    const old = await trx.updateTable("access_tokens")
      .set({ revoked_at: new Date() })
      .where("refresh_token_digest", "=", digest(refreshToken))
      .where("application_id", "=", app.id)
      .where("revoked_at", "is", null)
      .returning(["actor_id", "scopes"])
      .executeTakeFirst();
    if (!old) throw new OAuthError("invalid_grant", "The refresh token is invalid, revoked, or belongs to another client");
    const granted = old.scopes.split(" ");
    let scopes = granted;
    if (scope !== undefined && scope.trim() !== "") {
      scopes = requestedScopes({ ...app, scopes: old.scopes }, scope);
    }
    return insertToken(trx, app, old.actor_id, scopes, true);
  });
}

/** RFC 7009: revokes an access or refresh token of this app; unknown tokens are ignored. */
export async function revokeClientToken(db: Db, app: Application, token: string): Promise<void> {
  if (token.length === 0 || token.length > 512) return;
  const d = digest(token);
  await db.updateTable("access_tokens")
    .set({ revoked_at: new Date() })
    .where("application_id", "=", app.id)
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("token_digest", "=", d), eb("refresh_token_digest", "=", d)]))
    .execute();
}

/** The application a valid bearer token (of a person or of the app itself) was issued to. */
export async function applicationOfToken(db: Db, token: string): Promise<Application | undefined> {
  if (token.length < 16 || token.length > 512) return undefined;
  return db.selectFrom("access_tokens")
    .innerJoin("applications", "applications.id", "access_tokens.application_id")
    .selectAll("applications")
    .where("access_tokens.token_digest", "=", digest(token))
    .where("access_tokens.revoked_at", "is", null)
    .executeTakeFirst();
}
