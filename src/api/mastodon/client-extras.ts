/**
 * What Mastodon apps ask for besides posts and accounts: markers and
 * preferences (real), and the lists Plein has no data for yet, answered
 * empty in the shapes Mastodon documents so that apps show nothing rather
 * than an error (docs/API.md says which is which).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { MarkerTimeline } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { getMarkers, MARKER_TIMELINES, type Marker, setMarkers } from "../../domain/markers.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth } from "./auth.ts";
import { limitParam, offsetParam, pageParams, type Params, queryParams, readParams } from "./params.ts";

/** https://docs.joinmastodon.org/entities/Marker/ keyed by timeline. */
function renderMarkers(markers: Marker[]) {
  return Object.fromEntries(markers.map((m) => [m.timeline, {
    last_read_id: m.lastReadId, version: m.version, updated_at: m.updatedAt.toISOString(),
  }]));
}

function isTimeline(name: unknown): name is MarkerTimeline {
  return typeof name === "string" && (MARKER_TIMELINES as readonly string[]).includes(name);
}

/** `home[last_read_id]` as a form sends it, or `{ "home": { "last_read_id": ... } }` in JSON. */
function markerPositions(params: Params): Partial<Record<MarkerTimeline, string>> {
  const positions: Partial<Record<MarkerTimeline, string>> = {};
  for (const timeline of MARKER_TIMELINES) {
    const nested = params[timeline];
    const raw = params[`${timeline}[last_read_id]`] ??
      (typeof nested === "object" && nested !== null && !Array.isArray(nested) ? (nested as Record<string, unknown>)["last_read_id"] : nested);
    if (raw === undefined) continue;
    const id = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof id !== "string" || !isRowId(id)) throw invalid(`${timeline}[last_read_id] must be an id`);
    positions[timeline] = id;
  }
  return positions;
}

/** An empty list, after checking the paging parameters a client may send with it. */
function emptyPage(c: ApiContext) {
  pageParams(queryParams(c));
  return c.json([]);
}

/** An empty list of trends (paged by `limit` and `offset`). */
function noTrends(c: ApiContext) {
  const params = queryParams(c);
  limitParam(params);
  offsetParam(params, 10_000);
  return c.json([]);
}

export function mountClientExtras(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/v1/markers", requireAuth("read:statuses"), async (c) => {
    const asked = queryParams(c)["timeline"];
    const names = (Array.isArray(asked) ? asked : asked === undefined ? [] : [asked]).filter(isTimeline);
    return c.json(renderMarkers(await getMarkers(c.get("deps").db, currentAccount(c).id, names)));
  });

  r.post("/v1/markers", requireAuth("write:statuses"), async (c) => {
    const positions = markerPositions(await readParams(c));
    return c.json(renderMarkers(await setMarkers(c.get("deps").db, currentAccount(c).id, positions)));
  });

  // https://docs.joinmastodon.org/entities/Preferences/: Plein keeps no posting or reading preferences yet.
  r.get("/v1/preferences", requireAuth("read:accounts"), (c) => c.json({
    "posting:default:visibility": "public",
    "posting:default:sensitive": false,
    "posting:default:language": null,
    "reading:expand:media": "default",
    "reading:expand:spoilers": false,
  }));

  r.get("/v1/custom_emojis", (c) => c.json([]));
  for (const path of ["/v1/trends", "/v1/trends/tags", "/v1/trends/statuses", "/v1/trends/links"]) {
    r.get(path, optionalAuth("read"), noTrends);
  }
  r.get("/v1/announcements", requireAuth("read"), (c) => c.json([]));
  r.get("/v2/suggestions", requireAuth("read"), (c) => {
    limitParam(queryParams(c), 40, 80);
    return c.json([]);
  });
  r.get("/v1/followed_tags", requireAuth("read:follows"), emptyPage);
  // https://docs.joinmastodon.org/methods/featured_tags/: Plein has no featured hashtags.
  r.get("/v1/featured_tags", requireAuth("read:accounts"), (c) => c.json([]));
  r.get("/v1/featured_tags/suggestions", requireAuth("read:accounts"), (c) => c.json([]));

  app.route("/api", r);
}
