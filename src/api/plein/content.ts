/**
 * Group content through Plein's API, for every content module alike: the
 * core formats the text and enforces the group's rules (src/domain), the
 * module reads its own fields (`parse`), stores them in the post's
 * transaction (`save`) and shows them (`present`).
 */
import { Hono } from "hono";
import type { AppContext } from "../../context.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { groupPosts } from "../../domain/group-content.ts";
import type { GroupView } from "../../domain/groups.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { context } from "../../domain/timelines.ts";
import type { Viewer } from "../../domain/visibility.ts";
import type { ContentModule } from "../../modules/module.ts";
import { createContent } from "../../modules/create-content.ts";
import { deleteContent, editContent } from "../../modules/edit-content.ts";
import { findModule } from "../../modules/registry.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "../mastodon/auth.ts";
import {
  optionalBoolean,
  optionalString,
  pageParams,
  type Params,
  pathId,
  queryParams,
  readParams,
  setLinkHeader,
} from "../mastodon/params.ts";
import { renderContent } from "./entities.ts";
import { visibleGroup } from "./groups.ts";

function moduleParam(params: Params, required: boolean): ContentModule | undefined {
  const name = optionalString(params, "module");
  if (name === undefined || name === "") {
    if (required) throw invalid("module is required");
    return undefined;
  }
  const module = findModule(name);
  if (!module) throw invalid(`module: "${name}" is not a module of this instance`);
  return module;
}

async function contentJson(c: ApiContext, viewer: Viewer, posts: Post[]) {
  return c.json(await renderContent(c.get("deps"), posts, viewer));
}

async function one(c: ApiContext, viewer: Viewer, post: Post) {
  const [json] = await renderContent(c.get("deps"), [post], viewer);
  if (!json) throw notFound();
  return c.json(json);
}

/** A new post in a group (or a comment), as Plein's API and the web pages write it. */
export function createIn(deps: AppContext, author: Actor, params: Params, place: { group?: GroupView; inReplyToId?: string }): Promise<Post> {
  return createContent(deps, author, params, { ...place, ...(place.inReplyToId ? {} : { module: moduleParam(params, false) }) });
}

export function mountContentRoutes(r: Hono<ApiEnv>): void {
  r.get("/groups/:id/posts", optionalAuth("read:groups", "read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const params = queryParams(c);
    const name = optionalString(params, "module");
    if (name && name !== "none" && !findModule(name)) throw invalid(`module: "${name}" is not a module of this instance`);
    const posts = await groupPosts(deps.db, viewer, group.actor.id, {
      ...(name ? { module: name === "none" ? null : name } : {}),
      topLevel: optionalBoolean(params, "top_level") ?? true,
    }, pageParams(params));
    setLinkHeader(c, posts.map((p) => p.id));
    return contentJson(c, viewer, posts);
  });

  r.post("/groups/:id/posts", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const post = await createIn(deps, currentAccount(c), await readParams(c), { group });
    return one(c, viewer, post);
  });

  r.get("/posts/:id", optionalAuth("read:statuses"), async (c) => {
    const viewer = viewerOf(c);
    return one(c, viewer, await getVisiblePost(c.get("deps").db, viewer, pathId(c)));
  });

  r.patch("/posts/:id", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const existing = await getVisiblePost(deps.db, viewer, pathId(c));
    return one(c, viewer, await editContent(deps, currentAccount(c), existing, await readParams(c)));
  });

  r.delete("/posts/:id", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    await deleteContent(deps.db, currentAccount(c), await getVisiblePost(deps.db, viewerOf(c), pathId(c)));
    return c.json({});
  });

  r.get("/posts/:id/comments", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await getVisiblePost(deps.db, viewer, pathId(c));
    const { descendants } = await context(deps.db, viewer, post);
    return contentJson(c, viewer, descendants);
  });

  r.post("/posts/:id/comments", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const parent = await getVisiblePost(deps.db, viewer, pathId(c));
    const post = await createIn(deps, currentAccount(c), await readParams(c), { inReplyToId: parent.id });
    return one(c, viewer, post);
  });
}
