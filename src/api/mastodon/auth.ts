import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { authenticateToken, type Authenticated, hasScope } from "../../domain/tokens.ts";
import type { Viewer } from "../../domain/visibility.ts";

/** Hono environment of the Mastodon API: the app's deps plus who is calling. */
export type ApiEnv = {
  Variables: {
    deps: AppContext;
    /** set by `optionalAuth` / `requireAuth`; undefined for anonymous requests */
    auth: Authenticated | undefined;
  };
};

export type ApiContext = Context<ApiEnv>;

const INVALID_TOKEN = { error: "The access token is invalid" };
const OUTSIDE_SCOPES = { error: "This action is outside the authorized scopes" };

/**
 * Mastodon's scope groups: `follow` (deprecated, still granted by many apps)
 * covers the follow and block sub-scopes, like `write` covers `write:follows`.
 */
const FOLLOW_SCOPE_COVERS = new Set(["read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"]);

export function scopeAllows(granted: string[], needed: string): boolean {
  if (hasScope(granted, needed)) return true;
  return granted.includes("follow") && FOLLOW_SCOPE_COVERS.has(needed);
}

type Parsed = { kind: "none" } | { kind: "invalid" } | { kind: "token"; token: string };

function bearer(header: string | undefined): Parsed {
  if (header === undefined) return { kind: "none" };
  const m = /^\s*(\S+)(?:\s+(\S*))?\s*$/.exec(header);
  if (!m) return { kind: "invalid" };
  // Another scheme (Basic...) is not ours to judge: the request is anonymous.
  if (m[1]!.toLowerCase() !== "bearer") return { kind: "none" };
  if (!m[2] || !/^[A-Za-z0-9\-._~+/]+=*$/.test(m[2])) return { kind: "invalid" };
  return { kind: "token", token: m[2] };
}

/** Reads the bearer token once per request; false when a token was given but is invalid. */
async function authenticate(c: ApiContext): Promise<boolean> {
  if (c.get("auth") !== undefined) return true;
  const parsed = bearer(c.req.header("authorization"));
  if (parsed.kind === "none") return true;
  if (parsed.kind === "invalid") return false;
  const auth = await authenticateToken(c.get("deps").db, parsed.token);
  if (!auth) return false;
  c.set("auth", auth);
  return true;
}

/**
 * Endpoints open to anonymous callers. A token, if given, must be valid and
 * grant one of `scopes` (Mastodon's `authorize_if_got_token!`).
 */
export function optionalAuth(...scopes: [string, ...string[]]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!(await authenticate(c))) return c.json(INVALID_TOKEN, 401);
    const auth = c.get("auth");
    if (auth && !scopes.some((s) => scopeAllows(auth.scopes, s))) return c.json(OUTSIDE_SCOPES, 403);
    await next();
  };
}

/**
 * Endpoints for signed-in callers whose token grants at least one of `scopes`
 * (each checked as Mastodon does: `write` covers `write:statuses`).
 */
export function requireAuth(...scopes: [string, ...string[]]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!(await authenticate(c))) return c.json(INVALID_TOKEN, 401);
    const auth = c.get("auth");
    if (!auth) return c.json(INVALID_TOKEN, 401);
    if (!scopes.some((s) => scopeAllows(auth.scopes, s))) return c.json(OUTSIDE_SCOPES, 403);
    await next();
  };
}

/** The signed-in account, in a handler behind `requireAuth`. */
export function currentAccount(c: ApiContext): Actor {
  const auth = c.get("auth");
  if (!auth) throw new Error("currentAccount() outside requireAuth");
  return auth.actor;
}

/** Who is asking, for the visibility rule. */
export function viewerOf(c: ApiContext): Viewer {
  const auth = c.get("auth");
  return auth ? { kind: "local", actorId: auth.actor.id } : { kind: "anonymous" };
}
