import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import {
  clearNotifications,
  countNotifications,
  dismissNotification,
  findNotification,
  listNotifications,
  type NotificationFilter,
} from "../../domain/notification-list.ts";
import type { Db } from "../../db/database.ts";
import { isRowId } from "../../domain/ids.ts";
import { getMarkers } from "../../domain/markers.ts";
import { type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { renderNotifications } from "./entities/notification.ts";
import { applyNotificationFilters } from "./filtering.ts";
import { limitParam, optionalId, pageParams, type Params, pathId, queryParams, setLinkHeader } from "./params.ts";

/** Mastodon's page sizes for notifications: 40 by default, at most 80. */
export const LIST_LIMIT = { fallback: 40, max: 80 } as const;
/** The unread count counts at most this many (Mastodon: 100 by default, at most 1000). */
export const COUNT_LIMIT = { fallback: 100, max: 1000 } as const;

/** `types[]=a&types[]=b` or `types=a`: a list of names; anything but text is a 422. */
export function nameList(params: Params, name: string): string[] | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  const values = Array.isArray(v) ? v : [v];
  if (!values.every((x): x is string => typeof x === "string")) throw invalid(`${name} must be a list of notification types`);
  return values.filter((x) => x !== "");
}

export function filterParams(params: Params): NotificationFilter {
  const types = nameList(params, "types");
  const excludeTypes = nameList(params, "exclude_types");
  const accountId = optionalId(params, "account_id");
  return {
    ...(types ? { types } : {}),
    ...(excludeTypes ? { excludeTypes } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/** Unread notifications are those past the account's notifications marker (none set: all of them). */
export async function unreadAfter(db: Db, actorId: string): Promise<string | undefined> {
  const [marker] = await getMarkers(db, actorId, ["notifications"]);
  return marker && isRowId(marker.lastReadId) ? marker.lastReadId : undefined;
}

/**
 * /api/v1/notifications: what the signed-in person was told about, newest
 * first. A notification about a post the person can no longer see is left
 * out everywhere (list, single, count).
 */
export function mountNotifications(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const params = queryParams(c);
    const page = { ...pageParams(params), limit: limitParam(params, LIST_LIMIT.fallback, LIST_LIMIT.max) };
    const views = await listNotifications(deps.db, me.id, filterParams(params), page);
    setLinkHeader(c, views.map((v) => v.id));
    return c.json(await applyNotificationFilters(deps, me.id, await renderNotifications(deps, me.id, views)));
  });

  // Before /:id, which would take "unread_count" for an id.
  r.get("/unread_count", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const params = queryParams(c);
    const limit = limitParam(params, COUNT_LIMIT.fallback, COUNT_LIMIT.max);
    const me = currentAccount(c);
    const afterId = await unreadAfter(deps.db, me.id);
    const count = await countNotifications(deps.db, me.id, { ...filterParams(params), ...(afterId ? { afterId } : {}) }, limit);
    return c.json({ count });
  });

  r.post("/clear", requireAuth("write:notifications"), async (c) => {
    await clearNotifications(c.get("deps").db, currentAccount(c).id);
    return c.json({});
  });

  r.get("/:id", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const view = await findNotification(deps.db, me.id, pathId(c));
    if (!view) throw notFound();
    const [rendered] = await renderNotifications(deps, me.id, [view]);
    if (!rendered) throw notFound();
    return c.json(rendered);
  });

  r.post("/:id/dismiss", requireAuth("write:notifications"), async (c) => {
    if (!(await dismissNotification(c.get("deps").db, currentAccount(c).id, pathId(c)))) throw notFound();
    return c.json({});
  });

  app.route("/api/v1/notifications", r);
}
