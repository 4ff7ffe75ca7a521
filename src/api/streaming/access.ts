/**
 * Who is streaming and what they may stream: the access token (query
 * `access_token`, `Authorization: Bearer`, or for WebSockets the
 * `Sec-WebSocket-Protocol` header, as Mastodon accepts), then per stream the
 * account and scopes it needs.
 */
import type { Db } from "../../db/database.ts";
import { ownedList } from "../../domain/lists.ts";
import { authenticateToken } from "../../domain/tokens.ts";
import { scopeAllows } from "../mastodon/auth.ts";
import type { StreamClient } from "./hub.ts";
import { needsAccount, scopesFor, type StreamRefusal, type StreamRequest } from "./streams.ts";

export interface TokenSources {
  query?: string | null | undefined;
  authorization?: string | undefined;
  protocol?: string | undefined;
}

/** The token a request carries, if any; "" stands for a malformed Authorization header. */
export function tokenOf(sources: TokenSources): string | undefined {
  if (sources.query) return sources.query;
  if (sources.authorization !== undefined) {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(sources.authorization);
    if (m) return m[1]!;
    if (/^\s*bearer\b/i.test(sources.authorization)) return "";
  }
  const protocol = sources.protocol?.split(",")[0]?.trim();
  return protocol || undefined;
}

export type Access = Pick<StreamClient, "viewer" | "scopes" | "token">;

/** Anonymous access without a token; undefined for a token that is not valid. */
export async function accessOf(db: Db, token: string | undefined): Promise<Access | undefined> {
  if (token === undefined) return { viewer: { kind: "anonymous" }, scopes: [] };
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return undefined;
  const auth = await authenticateToken(db, token);
  return auth ? { viewer: { kind: "local", actorId: auth.actor.id }, scopes: auth.scopes, token } : undefined;
}

/** Why `access` may not have `stream` (Mastodon's answers), or undefined when it may. */
export function refusalFor(access: Access, stream: StreamRequest): StreamRefusal | undefined {
  if (access.viewer.kind === "anonymous") {
    return needsAccount(stream.name) ? { error: "Missing access token", status: 401 } : undefined;
  }
  if (!scopesFor(stream.name).some((s) => scopeAllows([...access.scopes], s))) {
    return { error: "Access token does not have the required scopes", status: 401 };
  }
  return undefined;
}

/**
 * What `refusalFor` cannot tell without the database: a list is streamed to
 * its owner only (another's list and no list get Mastodon's one answer).
 */
export async function ownerRefusalFor(db: Db, access: Access, stream: StreamRequest): Promise<StreamRefusal | undefined> {
  if (stream.name !== "list") return undefined;
  const owner = access.viewer.kind === "local" ? access.viewer.actorId : undefined;
  if (owner !== undefined && stream.list !== undefined && (await ownedList(db, owner, stream.list)) !== undefined) return undefined;
  return { error: "Not authorized to stream this list", status: 401 };
}

export const INVALID_TOKEN: StreamRefusal = { error: "Invalid access token", status: 401 };
