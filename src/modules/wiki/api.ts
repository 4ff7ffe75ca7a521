/**
 * The wiki in Plein's API (/api/plein/v1). Pages are created and edited
 * through the core's content routes (POST /groups/:id/posts with
 * module=wiki, PATCH /posts/:id) with these fields:
 * - `title` (required for a new page), `text`;
 * - `parent_id`: the page to nest under (empty or null: the top of the wiki);
 * - `base_revision`: the revision the edit was made on; an edit of an older
 *   one is refused with 409 (edits without it always become a new revision).
 * Its own routes: the group's wiki as a tree, a page's revisions, one
 * revision, and restoring an old revision as a new one.
 */
import type { Hono } from "hono";
import type { AppContext } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "../../api/mastodon/auth.ts";
import { renderAccountList } from "../../api/mastodon/entities/account.ts";
import { limitParam, optionalId, optionalString, type Params, pathId, queryParams, readParams } from "../../api/mastodon/params.ts";
import { renderContent } from "../../api/plein/entities.ts";
import { visibleGroup } from "../../api/plein/groups.ts";
import type { ModuleInput } from "../module.ts";
import type { ApiWikiData } from "./data.ts";
import { visibleWikiPage, type WikiNode, wikiTree } from "./pages.ts";
import { restoreRevision } from "./restore.ts";
import { getRevision, listRevisions } from "./revisions.ts";
import type { WikiRevision } from "./tables.ts";

/** Revision numbers fit an integer column. */
const REVISION = /^[1-9][0-9]{0,8}$/;

function revisionParam(params: Params, name: string): number | undefined {
  const v = optionalString(params, name);
  if (v === undefined || v === "") return undefined;
  if (!REVISION.test(v.trim())) throw invalid(`${name} must be a revision number`);
  return Number(v.trim());
}

/** A wiki page's fields of a create or edit request. */
export function parseWiki(params: Params, mode: "create" | "edit"): ModuleInput<ApiWikiData> {
  const title = optionalString(params, "title")?.trim();
  if (mode === "create" && !title) throw invalid("title is required for a wiki page");
  if (title === "") throw invalid("title can't be blank");
  if (title !== undefined && title.length > LIMITS.nameChars) throw invalid(`title is longer than ${LIMITS.nameChars} characters`);
  const data: ApiWikiData = { from: "api", mode };
  const rawParent = params.parent_id;
  if (rawParent === null || rawParent === "") data.parentId = null;
  else if (rawParent !== undefined) data.parentId = optionalId(params, "parent_id")!;
  const base = revisionParam(params, "base_revision");
  if (base !== undefined) data.baseRevision = base;
  return { post: title !== undefined ? { name: title } : {}, data };
}

interface TreeNodeJson {
  id: string;
  uri: string;
  title: string | null;
  revision: number;
  parent_id: string | null;
  edited_at: string | null;
  children: TreeNodeJson[];
}

function treeJson(node: WikiNode, parentId: string | null): TreeNodeJson {
  return {
    id: node.post.id,
    uri: node.post.iri,
    title: node.post.name,
    revision: node.page.revision,
    parent_id: parentId,
    edited_at: node.post.edited_at?.toISOString() ?? null,
    children: node.children.map((c) => treeJson(c, node.post.id)),
  };
}

async function revisionsJson(deps: AppContext, viewer: Viewer, revisions: WikiRevision[], withContent: boolean) {
  const editors: Actor[] = await findActorsByIds(deps.db, [...new Set(revisions.map((r) => r.editor_id))]);
  const accounts = await renderAccountList(deps, editors, viewer);
  const accountById = new Map(editors.map((e, i) => [e.id, accounts[i]!]));
  return revisions.map((r) => ({
    number: r.number,
    /** an edit this server sent to the group's server, not yet numbered by it */
    pending: r.number === null,
    page_id: r.page_id,
    editor: accountById.get(r.editor_id) ?? null,
    title: r.title,
    parent_id: r.parent_id,
    created_at: new Date(r.created_at).toISOString(),
    activity_id: r.activity_iri,
    ...(withContent ? { content: r.content_html, text: r.content_source } : {}),
  }));
}

function numberParam(c: ApiContext): number {
  const n = c.req.param("number");
  if (n === undefined || !REVISION.test(n)) throw notFound();
  return Number(n);
}

export function wikiRoutes(r: Hono<ApiEnv>): void {
  r.get("/groups/:id/wiki", optionalAuth("read:groups", "read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const { roots, truncated } = await wikiTree(deps.db, viewer, group.actor.id);
    return c.json({ group_id: group.actor.id, truncated, pages: roots.map((n) => treeJson(n, null)) });
  });

  r.get("/posts/:id/revisions", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await visibleWikiPage(deps.db, viewer, pathId(c));
    const params = queryParams(c);
    const before = revisionParam(params, "before");
    const revisions = await listRevisions(deps.db, post.id, { limit: limitParam(params, 40, 100), ...(before !== undefined ? { before } : {}) });
    return c.json(await revisionsJson(deps, viewer, revisions, false));
  });

  r.get("/posts/:id/revisions/:number", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await visibleWikiPage(deps.db, viewer, pathId(c));
    const revision = await getRevision(deps.db, post.id, numberParam(c));
    if (!revision) throw notFound();
    const [json] = await revisionsJson(deps, viewer, [revision], true);
    return c.json(json);
  });

  // An old revision's title and text become the page's newest revision (by the caller).
  r.post("/posts/:id/revisions/:number/restore", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const me = currentAccount(c);
    const post = await visibleWikiPage(deps.db, viewer, pathId(c));
    const revision = await getRevision(deps.db, post.id, numberParam(c));
    if (!revision) throw notFound();
    const base = revisionParam(await readParams(c), "base_revision");
    const edited = await restoreRevision(deps, me, post, revision, base);
    const [json] = await renderContent(deps, [edited], viewer);
    return c.json(json);
  });
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (schema: Record<string, unknown>) => ({ description: "OK", content: { "application/json": { schema } } });
const errors = {
  401: { description: "The access token is missing or invalid", content: { "application/json": { schema: ref("Error") } } },
  404: { description: "No such page or revision, or not visible to the caller (the two look the same)", content: { "application/json": { schema: ref("Error") } } },
  422: { description: "Invalid parameters", content: { "application/json": { schema: ref("Error") } } },
};
const postId = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "The wiki page (a post of module wiki)" };
const number = { name: "number", in: "path", required: true, schema: { type: "integer", minimum: 1 }, description: "The revision's number" };

const treeNode = {
  type: "object",
  properties: {
    id: { type: "string" }, uri: { type: "string" }, title: { type: ["string", "null"] }, revision: { type: "integer" },
    parent_id: { type: ["string", "null"] }, edited_at: { type: ["string", "null"], format: "date-time" },
    children: { type: "array", items: { type: "object" }, description: "pages nested under it, of the same shape" },
  },
};
const revision = {
  type: "object",
  properties: {
    number: { type: ["integer", "null"], description: "given by the group's server; null while an edit waits for it" },
    pending: { type: "boolean" },
    page_id: { type: "string" },
    editor: ref("Account"),
    title: { type: ["string", "null"] },
    parent_id: { type: ["string", "null"] },
    created_at: { type: "string", format: "date-time", description: "the group's server's time of the revision" },
    activity_id: { type: "string", description: "the ActivityPub Update that made it" },
    content: { type: "string", description: "HTML (one revision only)" },
    text: { type: ["string", "null"], description: "the text as written, when known (one revision only)" },
  },
};

export const wikiOpenApi: Readonly<Record<string, unknown>> = {
  "/groups/{id}/wiki": {
    get: {
      summary: "The group's wiki as a tree (pages the caller may see, nested under their parents, in title order; at most 1000 pages)",
      security: [{}, { bearer: ["read:groups"] }],
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" }, description: "The group's account id" }],
      responses: {
        200: ok({
          type: "object",
          properties: { group_id: { type: "string" }, truncated: { type: "boolean", description: "more pages than listed" }, pages: { type: "array", items: treeNode } },
        }),
        ...errors,
      },
    },
  },
  "/posts/{id}/revisions": {
    get: {
      summary: "A wiki page's revisions, newest first (edits still waiting for the group's server first)",
      security: [{}, { bearer: ["read:statuses"] }],
      parameters: [postId, { name: "before", in: "query", schema: { type: "integer" }, description: "revisions numbered lower than this" },
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 40 } }],
      responses: { 200: ok({ type: "array", items: revision }), ...errors },
    },
  },
  "/posts/{id}/revisions/{number}": {
    get: {
      summary: "One revision of a wiki page, with its content",
      security: [{}, { bearer: ["read:statuses"] }],
      parameters: [postId, number],
      responses: { 200: ok(revision), ...errors },
    },
  },
  "/posts/{id}/revisions/{number}/restore": {
    post: {
      summary: "Make an old revision's title and text the page's newest revision (members of the page's group)",
      security: [{ bearer: ["write:statuses"] }],
      parameters: [postId, number],
      requestBody: {
        required: false,
        content: { "application/json": { schema: { type: "object", properties: { base_revision: { type: "integer", description: "refuse (409) if the page has moved on from this revision" } } } } },
      },
      responses: {
        200: ok(ref("Content")),
        409: { description: "The page was edited since base_revision", content: { "application/json": { schema: ref("Error") } } },
        ...errors,
      },
    },
  },
};
