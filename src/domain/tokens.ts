import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { invalid } from "./errors.ts";
import { isRowId } from "./ids.ts";

export const KNOWN_SCOPES = ["read", "write", "follow", "push", "profile", "admin:read", "admin:write"] as const;

/** Mastodon's granular scopes (docs.joinmastodon.org/api/oauth-scopes), by the scope that covers them. */
const GRANULAR_SCOPES: Record<string, readonly string[]> = {
  // `groups` is Plein's own (src/api/plein); the rest are Mastodon's.
  read: ["accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "groups", "lists", "mutes", "notifications", "search", "statuses"],
  write: ["accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "groups", "lists", "media", "mutes", "notifications", "reports", "statuses"],
  "admin:read": ["accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks", "canonical_email_blocks"],
  "admin:write": ["accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks", "canonical_email_blocks"],
};

/** Every scope a token may carry: the groups and their granular scopes. */
export const ALL_SCOPES: readonly string[] = [
  ...KNOWN_SCOPES,
  ...Object.entries(GRANULAR_SCOPES).flatMap(([group, subs]) => subs.map((sub) => `${group}:${sub}`)),
];

/** The SHA-256 of a secret (token, code, client secret): what the database keeps. */
export const digest = (token: string) => createHash("sha256").update(token).digest("hex");

/** Parses a space-separated scope list; unknown scopes are an error, Mastodon's granular scopes (`read:statuses`) allowed. */
export function parseScopes(text: string): string[] {
  const scopes = text.split(/[ \t\r\n]+/).filter(Boolean);
  if (scopes.length === 0) throw invalid("At least one scope is required");
  for (const s of scopes) {
    if (!ALL_SCOPES.includes(s)) throw invalid(`Unknown scope "${s.slice(0, 100)}"`);
  }
  return [...new Set(scopes)];
}

/** A new random secret (token, code, client id or secret), URL-safe. */
export const newSecret = () => randomBytes(32).toString("base64url");

/** Issues a bearer token; only its digest is stored, so it is shown once. */
export async function issueToken(db: Db, actor: Actor, scopes: string[], applicationId?: string): Promise<string> {
  const token = newSecret();
  await db.insertInto("access_tokens").values({
    token_digest: digest(token),
    actor_id: actor.id,
    scopes: scopes.join(" "),
    application_id: applicationId ?? null,
  }).execute();
  return token;
}

export interface Authenticated {
  actor: Actor;
  scopes: string[];
  tokenId: string;
}

export async function authenticateToken(db: Db, token: string): Promise<Authenticated | undefined> {
  if (token.length < 16 || token.length > 512) return undefined;
  const row = await db.selectFrom("access_tokens")
    .innerJoin("actors", "actors.id", "access_tokens.actor_id")
    .selectAll("actors")
    .select(["access_tokens.id as token_id", "access_tokens.scopes as token_scopes"])
    .where("access_tokens.token_digest", "=", digest(token))
    .where("access_tokens.revoked_at", "is", null)
    .executeTakeFirst();
  if (!row) return undefined;
  const { token_id, token_scopes, ...actor } = row;
  return { actor, scopes: token_scopes.split(" "), tokenId: token_id };
}

/**
 * Does a granted scope list allow `needed`? A group covers its granular
 * scopes: `read` covers `read:statuses`, `admin:read` covers
 * `admin:read:accounts`; `read` never covers `admin:read`.
 */
export function hasScope(granted: string[], needed: string): boolean {
  if (granted.includes(needed)) return true;
  const parts = needed.split(":");
  const group = parts[0] === "admin" ? parts.slice(0, 2).join(":") : parts[0]!;
  return group !== needed && granted.includes(group);
}

export async function revokeToken(db: Db, tokenId: string): Promise<void> {
  await db.updateTable("access_tokens").set({ revoked_at: new Date() }).where("id", "=", tokenId).execute();
}

/** An app a person let in (one live OAuth token), as the sessions list shows it. */
export interface AuthorizedApp {
  tokenId: string;
  /** null for a token made without an app (the CLI) */
  appName: string | null;
  website: string | null;
  scopes: string[];
  since: Date;
  lastUsedAt: Date | null;
}

/** A person's live (unrevoked) OAuth tokens with their apps, newest first. */
export async function listAuthorizedApps(db: Db, actorId: string): Promise<AuthorizedApp[]> {
  const rows = await db.selectFrom("access_tokens")
    .leftJoin("applications", "applications.id", "access_tokens.application_id")
    .select(["access_tokens.id", "access_tokens.scopes", "access_tokens.created_at", "access_tokens.last_used_at", "applications.name", "applications.website"])
    .where("access_tokens.actor_id", "=", actorId).where("access_tokens.revoked_at", "is", null)
    .orderBy("access_tokens.id", "desc").limit(200).execute();
  return rows.map((r) => ({
    tokenId: r.id, appName: r.name, website: r.website, scopes: r.scopes.split(" "), since: r.created_at, lastUsedAt: r.last_used_at,
  }));
}

/** Revokes one of a person's own tokens; false when they have no live token by that id. */
export async function revokeOwnToken(db: Db, actorId: string, tokenId: string): Promise<boolean> {
  if (!isRowId(tokenId)) return false;
  const res = await db.updateTable("access_tokens").set({ revoked_at: new Date() })
    .where("id", "=", tokenId).where("actor_id", "=", actorId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
