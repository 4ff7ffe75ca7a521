/**
 * /api/plein/v1/groups: groups, their members and their moderation queue.
 * Handlers parse, call the domain and render; the domain decides.
 */
import { Hono } from "hono";
import type { AppContext } from "../../context.ts";
import type { Actor, Membership, MembershipRole } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { listGroups } from "../../domain/group-content.ts";
import {
  createGroup,
  findGroup,
  GROUP_VISIBILITIES,
  type GroupChanges,
  type GroupView,
  JOIN_MODES,
  POSTING,
  updateGroup,
} from "../../domain/groups.ts";
import {
  canSeeMembers,
  decideRequest,
  invite,
  isAdmin,
  join,
  knowsOfGroup,
  leave,
  listMemberships,
  membershipOf,
  removeMember,
  ROLES,
  setRole,
  transferOwnership,
  unban,
  updateOwnMembership,
} from "../../domain/membership.ts";
import { approvePost, pendingPosts, removePost } from "../../domain/moderation.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { defaultModules, findModule } from "../../modules/registry.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "../mastodon/auth.ts";
import {
  oneOf,
  optionalBoolean,
  optionalString,
  pageParams,
  type Params,
  pathId,
  queryParams,
  readParams,
  setLinkHeader,
} from "../mastodon/params.ts";
import { renderContent, renderGroup, renderMembers } from "./entities.ts";

/**
 * The group `id` names, if `viewer` may know of it (`knowsOfGroup`): a
 * secret group is a 404 for everyone else (forbidden and absent look the same).
 */
export async function visibleGroup(deps: AppContext, viewer: Viewer, id: string): Promise<GroupView> {
  const group = await findGroup(deps.db, id);
  if (!group || group.actor.gone_at || !(await knowsOfGroup(deps.db, viewer, group))) throw notFound();
  return group;
}

function modulesParam(params: Params): string[] | undefined {
  const v = params.modules;
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((m) => {
    if (typeof m !== "string" || !findModule(m)) throw invalid(`modules: "${String(m)}" is not a module of this instance`);
    return m;
  });
}

/**
 * `allowed_domains[]` (JSON: an array); an empty array, or one empty string
 * (a form cannot send an empty list), lifts the restriction.
 */
function allowedDomainsParam(params: Params): unknown[] | undefined {
  const v = params.allowed_domains;
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.length === 1 && list[0] === "" ? [] : list;
}

function groupChanges(params: Params): GroupChanges {
  const changes: GroupChanges = {};
  const displayName = optionalString(params, "display_name");
  const description = optionalString(params, "description");
  const visibility = oneOf(params, "visibility", GROUP_VISIBILITIES);
  const joinMode = oneOf(params, "join_mode", JOIN_MODES);
  const posting = oneOf(params, "posting", POSTING);
  const moderatePosts = optionalBoolean(params, "moderate_posts");
  const moderateComments = optionalBoolean(params, "moderate_comments");
  const modules = modulesParam(params);
  const allowedDomains = allowedDomainsParam(params);
  if (displayName !== undefined) changes.displayName = displayName;
  if (description !== undefined) changes.description = description;
  if (visibility !== undefined) changes.visibility = visibility;
  if (joinMode !== undefined) changes.joinMode = joinMode;
  if (posting !== undefined) changes.posting = posting;
  if (moderatePosts !== undefined) changes.moderatePosts = moderatePosts;
  if (moderateComments !== undefined) changes.moderateComments = moderateComments;
  if (modules !== undefined) changes.modules = modules;
  if (allowedDomains !== undefined) changes.allowedDomains = allowedDomains;
  return changes;
}

async function account(c: ApiContext, name = "account_id"): Promise<Actor> {
  const id = c.req.param(name);
  const actor = id ? await findActorById(c.get("deps").db, id) : undefined;
  if (!actor || (actor.local && actor.type === "Application")) throw notFound("No such account");
  return actor;
}

async function accountParam(c: ApiContext, params: Params): Promise<Actor> {
  const id = optionalString(params, "account_id");
  const actor = id ? await findActorById(c.get("deps").db, id) : undefined;
  if (!actor) throw invalid("account_id must name an account");
  return actor;
}

const STATES: readonly Membership["state"][] = ["member", "pending", "invited", "banned"];

export function mountGroupRoutes(r: Hono<ApiEnv>): void {
  const g = new Hono<ApiEnv>();

  g.get("/", optionalAuth("read:groups"), async (c) => {
    const deps = c.get("deps");
    const params = queryParams(c);
    const viewer = viewerOf(c);
    const query = optionalString(params, "q")?.trim();
    if (query !== undefined && query.length > 100) throw invalid("q is longer than 100 characters");
    const actors = await listGroups(deps.db, viewer, {
      ...(query ? { query } : {}),
      mine: optionalBoolean(params, "mine") ?? false,
    }, pageParams(params));
    setLinkHeader(c, actors.map((a) => a.id));
    const groups = await Promise.all(actors.map(async (a) => renderGroup(deps, (await findGroup(deps.db, a.id))!, viewer)));
    return c.json(groups);
  });

  g.post("/", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const params = await readParams(c);
    const name = optionalString(params, "name");
    if (!name) throw invalid("name is required");
    const changes = groupChanges(params);
    const group = await createGroup(deps.db, deps.config.origin, currentAccount(c), {
      name,
      ...changes,
      modules: changes.modules ?? defaultModules(),
    });
    return c.json(await renderGroup(deps, group, viewerOf(c)), 200);
  });

  g.get("/:id", optionalAuth("read:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    return c.json(await renderGroup(deps, await visibleGroup(deps, viewer, pathId(c)), viewer));
  });

  g.patch("/:id", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const changes = groupChanges(await readParams(c));
    const admin = isAdmin(await membershipOf(deps.db, group.actor.id, me.id));
    return c.json(await renderGroup(deps, await updateGroup(deps.db, deps.config.origin, group, me, changes, admin), viewer));
  });

  /* ---------- membership of the caller ---------- */

  g.post("/:id/join", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    await join(deps.db, deps.config.origin, group, currentAccount(c));
    return c.json(await renderGroup(deps, group, viewer));
  });

  g.post("/:id/leave", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    await leave(deps.db, group, currentAccount(c));
    return c.json(await renderGroup(deps, group, viewer));
  });

  g.patch("/:id/membership", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const params = await readParams(c);
    const title = optionalString(params, "title");
    const organisation = optionalString(params, "organisation");
    const notify = oneOf(params, "notify", ["all", "mentions", "none"] as const);
    await updateOwnMembership(deps.db, group, currentAccount(c), {
      ...(title !== undefined ? { title } : {}),
      ...(organisation !== undefined ? { organisation } : {}),
      ...(notify !== undefined ? { notify } : {}),
    });
    return c.json(await renderGroup(deps, group, viewer));
  });

  /* ---------- members ---------- */

  g.get("/:id/members", optionalAuth("read:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const params = queryParams(c);
    const state = oneOf(params, "state", STATES) ?? "member";
    // Requests, invitations and bans are the admins' business; members the members' (or anyone's in a public group).
    const me = viewer.kind === "local" ? viewer.actorId : null;
    const allowed = state === "member"
      ? await canSeeMembers(deps.db, viewer, group)
      : me !== null && isAdmin(await membershipOf(deps.db, group.actor.id, me));
    if (!allowed) return c.json([]);
    const entries = await listMemberships(deps.db, group.actor.id, state, pageParams(params));
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(await renderMembers(deps, entries, viewer));
  });

  g.post("/:id/requests/:account_id/approve", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await decideRequest(deps.db, group, currentAccount(c), await account(c), true);
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/requests/:account_id/reject", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await decideRequest(deps.db, group, currentAccount(c), await account(c), false);
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/invitations", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    const params = await readParams(c);
    await invite(deps.db, group, currentAccount(c), await accountParam(c, params));
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/members/:account_id/remove", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await removeMember(deps.db, group, currentAccount(c), await account(c));
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/members/:account_id/ban", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await removeMember(deps.db, group, currentAccount(c), await account(c), { ban: true });
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/members/:account_id/unban", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await unban(deps.db, group, currentAccount(c), await account(c));
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.put("/:id/members/:account_id/role", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    const role = oneOf(await readParams(c), "role", ROLES.filter((r): r is Exclude<MembershipRole, "owner"> => r !== "owner"));
    if (!role) throw invalid("role is required: admin, moderator or member");
    await setRole(deps.db, group, currentAccount(c), await account(c), role);
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  g.post("/:id/transfer", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await transferOwnership(deps.db, group, currentAccount(c), await accountParam(c, await readParams(c)));
    return c.json(await renderGroup(deps, group, viewerOf(c)));
  });

  /* ---------- moderation ---------- */

  g.get("/:id/moderation", requireAuth("read:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const posts = await pendingPosts(deps.db, group, currentAccount(c), pageParams(queryParams(c)));
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderContent(deps, posts, viewer));
  });

  g.post("/:id/moderation/:post_id/approve", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const post = await approvePost(deps.db, group, currentAccount(c), pathId(c, "post_id"));
    return c.json((await renderContent(deps, [post], viewer))[0]);
  });

  g.post("/:id/moderation/:post_id/remove", requireAuth("write:groups"), async (c) => {
    const deps = c.get("deps");
    const group = await visibleGroup(deps, viewerOf(c), pathId(c));
    await removePost(deps.db, group, currentAccount(c), pathId(c, "post_id"));
    return c.json({});
  });

  r.route("/groups", g);
}
