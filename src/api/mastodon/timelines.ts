import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid } from "../../domain/errors.ts";
import { homeTimeline, publicTimeline, type PublicSource, tagTimeline } from "../../domain/timelines.ts";
import { type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "./auth.ts";
import { renderFilteredStatuses } from "./filtering.ts";
import { optionalBoolean, pageParams, type Params, queryParams, setLinkHeader, TAG } from "./params.ts";

function sourceParam(params: Params): PublicSource {
  return optionalBoolean(params, "local") ? "local" : optionalBoolean(params, "remote") ? "remote" : "all";
}

const MAX_TAGS = 4;

/** Tag names of a parameter (`any[]=a&any[]=b`), without `#`, lower case; at most MAX_TAGS. */
function tagList(params: Params, name: string): string[] {
  const v = params[name];
  const values = Array.isArray(v) ? v : v === undefined || v === "" ? [] : [v];
  if (values.length > MAX_TAGS) throw invalid(`${name}: at most ${MAX_TAGS} tags`);
  return values.map((x) => {
    const tag = typeof x === "string" ? x.replace(/^#/, "").toLowerCase() : "";
    if (!TAG.test(tag)) throw invalid(`${name}: not a hashtag`);
    return tag;
  });
}

/** /api/v1/timelines: home, public and tag. Pages are keyset pages on post ids with Mastodon's Link header. */
export function mountTimelines(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/home", requireAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const posts = await homeTimeline(deps.db, currentAccount(c).id, pageParams(queryParams(c)));
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderFilteredStatuses(deps, viewerOf(c), posts, "home"));
  });

  r.get("/public", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const params = queryParams(c);
    const page = pageParams(params);
    const posts = await publicTimeline(deps.db, viewer, page, sourceParam(params));
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderFilteredStatuses(deps, viewer, posts, "public"));
  });

  r.get("/tag/:hashtag", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const params = queryParams(c);
    const tag = c.req.param("hashtag").replace(/^#/, "").toLowerCase();
    // A name that can be no hashtag has no posts (Mastodon answers an empty list too).
    if (!TAG.test(tag)) return c.json([]);
    const tags = { any: [tag, ...tagList(params, "any")], all: tagList(params, "all"), none: tagList(params, "none") };
    const posts = await tagTimeline(deps.db, viewer, tags, pageParams(params), {
      source: sourceParam(params), onlyMedia: optionalBoolean(params, "only_media") ?? false,
    });
    setLinkHeader(c, posts.map((p) => p.id));
    return c.json(await renderFilteredStatuses(deps, viewer, posts, "public"));
  });

  app.route("/api/v1/timelines", r);
}
