import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import type { AppContext } from "../../context.ts";
import type { AppEnv } from "../../context.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import { findActorByHandle, findActorByIri } from "../../domain/remote-actors.ts";
import { relationshipsOf } from "../../domain/relationships.ts";
import { findableActors, findPostForSearch, searchActors, searchTags } from "../../domain/search.ts";
import { handleDomain } from "../../domain/urls.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { type ApiEnv, optionalAuth, viewerOf } from "./auth.ts";
import { renderAccountList } from "./entities/account.ts";
import type { MastodonSearch } from "./entities/search.ts";
import { renderStatuses, tagUrl } from "./entities/status.ts";
import { limitParam, offsetParam, oneOf, optionalBoolean, optionalString, queryParams } from "./params.ts";

const logger = getLogger(["plein", "api", "search"]);

const MAX_QUERY_CHARS = 512;
const MAX_OFFSET = 1_000;
const HANDLE = /^@?([^@\s/]+)@([^@\s/]+)$/;
const TAG = /^#?([\p{L}\p{M}\p{N}_]{1,100})$/u;

function isUrl(q: string): boolean {
  if (!/^https?:\/\//i.test(q)) return false;
  try {
    new URL(q);
    return true;
  } catch {
    return false;
  }
}

/** A failed remote lookup is an empty result, never an error. */
async function safely<T>(what: string, lookup: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    logger.debug("Search lookup of {what} failed: {error}", { what, error });
    return undefined;
  }
}

interface SearchInput {
  q: string;
  limit: number;
  offset: number;
  /** remote lookups are allowed (resolve=true and signed in) */
  resolve: boolean;
  /** only accounts this account follows */
  followedBy?: string;
}

async function findAccounts(deps: AppContext, input: SearchInput): Promise<Actor[]> {
  const { db, config, resolver } = deps;
  const found: Actor[] = [];
  const q = input.q.replace(/^acct:/i, "");
  if (isUrl(q)) {
    if (input.offset > 0) return [];
    const actor = (await findActorByIri(db, q)) ?? (input.resolve ? await safely(q, () => resolver.resolveActor(q)) : undefined);
    return actor ? onlyFollowed(deps, input, [actor]) : [];
  }
  const handle = HANDLE.exec(q);
  let prefix = q.replace(/^@/, "");
  let domain: string | undefined;
  if (handle) {
    const [, username, host] = handle as unknown as [string, string, string];
    prefix = username;
    domain = host;
    if (input.offset === 0) {
      const local = host.toLowerCase() === handleDomain(config.origin).toLowerCase();
      const exact = (await findActorByHandle(db, username, host))
        ?? (input.resolve && !local ? await safely(q, () => resolver.resolveActor(`${username}@${host}`)) : undefined);
      if (exact) found.push(exact);
    }
  }
  if (prefix === "" || prefix.includes("@")) return onlyFollowed(deps, input, found);
  const rest = await searchActors(db, { username: prefix, domain, limit: input.limit, offset: input.offset, ...(input.followedBy ? { followedBy: input.followedBy } : {}) });
  for (const a of rest) if (!found.some((f) => f.id === a.id)) found.push(a);
  return (await onlyFollowed(deps, input, found)).filter((a) => !(a.local && a.type === "Application")).slice(0, input.limit);
}

/** With `following`, only the accounts the searcher follows. */
async function onlyFollowed(deps: AppContext, input: SearchInput, actors: Actor[]): Promise<Actor[]> {
  if (!input.followedBy || actors.length === 0) return actors;
  const rels = await relationshipsOf(deps.db, input.followedBy, actors.map((a) => a.id));
  const followed = new Set(rels.filter((r) => r.following).map((r) => r.actorId));
  return actors.filter((a) => followed.has(a.id));
}

/**
 * Mastodon's account search (`/api/v1/accounts/search`): the accounts part
 * of `/api/v2/search`, optionally among those the signed-in account follows.
 */
export async function searchAccounts(deps: AppContext, viewer: Viewer, input: Omit<SearchInput, "followedBy"> & { following: boolean }): Promise<Actor[]> {
  const me = viewer.kind === "local" ? viewer.actorId : undefined;
  const found = await findAccounts(deps, {
    q: input.q, limit: input.limit, offset: input.offset, resolve: input.resolve && me !== undefined,
    ...(input.following && me ? { followedBy: me } : {}),
  });
  return findable(deps, viewer, found);
}

/** Leaves out the secret groups the viewer does not know of (src/domain/search.ts). */
function findable(deps: AppContext, viewer: Viewer, actors: Actor[]): Promise<Actor[]> {
  return findableActors(deps.db, viewer, actors);
}

async function findStatuses(deps: AppContext, viewer: Viewer, input: SearchInput): Promise<Post[]> {
  // Statuses are found by URL only (no full-text search yet).
  if (!isUrl(input.q) || input.offset > 0) return [];
  const post = await findPostForSearch(deps.db, deps.resolver, viewer, input.q, input.resolve);
  return post ? [post] : [];
}

/** /api/v2/search: accounts (handle, URL or name prefix), statuses (URL) and hashtags (prefix). */
export function mountSearch(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/v2/search", optionalAuth("read:search"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const params = queryParams(c);
    const q = optionalString(params, "q")?.trim();
    if (!q) throw invalid("q is required");
    if (q.length > MAX_QUERY_CHARS) throw invalid(`q is longer than ${MAX_QUERY_CHARS} characters`);
    const type = oneOf(params, "type", ["accounts", "statuses", "hashtags"] as const);
    const input: SearchInput = {
      q,
      limit: limitParam(params),
      offset: offsetParam(params, MAX_OFFSET),
      // Remote lookups make us fetch from other servers: only for signed-in users.
      resolve: (optionalBoolean(params, "resolve") ?? false) && viewer.kind === "local",
    };
    const want = (t: NonNullable<typeof type>) => type === undefined || type === t;
    const tag = TAG.exec(q);
    const [actors, posts, tags] = await Promise.all([
      want("accounts") ? findAccounts(deps, input).then((found) => findable(deps, viewer, found)) : [],
      want("statuses") ? findStatuses(deps, viewer, input) : [],
      want("hashtags") && tag ? searchTags(deps.db, viewer, tag[1]!.toLowerCase(), input.limit, input.offset) : [],
    ]);
    const result: MastodonSearch = {
      accounts: await renderAccountList(deps, actors, viewer),
      statuses: await renderStatuses(deps, viewer, posts),
      hashtags: tags.map((name) => ({ name, url: tagUrl(deps.config.origin, name), history: [] })),
    };
    return c.json(result);
  });

  app.route("/api", r);
}
