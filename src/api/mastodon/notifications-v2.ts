/**
 * /api/v2/notifications: Mastodon 4.3's grouped notifications
 * (src/domain/notification-groups.ts), their accounts, dismissal, the
 * unread count against the notifications marker, and the notifications
 * policy. Plein filters no notifications: the policy is "accept" for every
 * category, fixed (a request for another value is refused with a 422 that says so).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import {
  countNotificationGroups,
  findNotificationGroup,
  GROUPABLE_TYPES,
  listNotificationGroups,
} from "../../domain/notification-groups.ts";
import { dismissNotifications } from "../../domain/notification-list.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { renderAccountList } from "./entities/account.ts";
import { renderNotificationGroups } from "./entities/notification-group.ts";
import { COUNT_LIMIT, filterParams, LIST_LIMIT, nameList, unreadAfter } from "./notifications.ts";
import { limitParam, oneOf, optionalBoolean, pageParams, type Params, queryParams, readParams, setLinkHeader } from "./params.ts";

/** grouped_types[]: which groupable types to group (default all of them); others are ignored. */
function groupedTypes(params: Params): readonly string[] {
  return nameList(params, "grouped_types") ?? GROUPABLE_TYPES;
}

/** A group key from the path: anything unlike one is a group that does not exist. */
function groupKeyParam(c: ApiContext): string {
  const key = c.req.param("group_key") ?? "";
  if (!/^[a-z_.]{1,32}(-\d{1,19}){1,2}$/.test(key)) throw notFound();
  return key;
}

const POLICY_CATEGORIES = ["for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions", "for_limited_accounts"] as const;
const POLICY_VALUES = ["accept", "filter", "drop"] as const;

/** https://docs.joinmastodon.org/entities/NotificationPolicy/ (Mastodon 4.3): Plein accepts everything. */
function renderPolicy() {
  return {
    ...Object.fromEntries(POLICY_CATEGORIES.map((k) => [k, "accept" as const])),
    summary: { pending_requests_count: 0, pending_notifications_count: 0 },
  };
}

export function mountNotificationsV2(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const params = queryParams(c);
    const page = { ...pageParams(params), limit: limitParam(params, LIST_LIMIT.fallback, LIST_LIMIT.max) };
    const expand = oneOf(params, "expand_accounts", ["full", "partial_avatars"] as const) ?? "full";
    optionalBoolean(params, "include_filtered"); // nothing is filtered: checked, then without effect
    const result = await listNotificationGroups(deps.db, me.id, filterParams(params), page, groupedTypes(params));
    if (result.newestId && result.oldestId) setLinkHeader(c, [result.newestId, result.oldestId]);
    return c.json(await renderNotificationGroups(deps, me.id, result.groups, expand));
  });

  // Before /:group_key, which would take "unread_count" and "policy" for keys.
  r.get("/unread_count", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const params = queryParams(c);
    const limit = limitParam(params, COUNT_LIMIT.fallback, COUNT_LIMIT.max);
    const afterId = await unreadAfter(deps.db, me.id);
    const count = await countNotificationGroups(deps.db, me.id, { ...filterParams(params), ...(afterId ? { afterId } : {}) }, limit, groupedTypes(params));
    return c.json({ count });
  });

  r.get("/policy", requireAuth("read:notifications"), (c) => c.json(renderPolicy()));

  r.patch("/policy", requireAuth("write:notifications"), async (c) => {
    const params = await readParams(c);
    for (const key of POLICY_CATEGORIES) {
      const value = oneOf(params, key, POLICY_VALUES);
      if (value !== undefined && value !== "accept") {
        throw invalid(`${key}: Plein does not filter notifications; every category is "accept"`);
      }
    }
    return c.json(renderPolicy());
  });

  r.get("/:group_key", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const group = await findNotificationGroup(deps.db, me.id, groupKeyParam(c));
    if (!group) throw notFound();
    const rendered = await renderNotificationGroups(deps, me.id, [group]);
    if (rendered.notification_groups.length === 0) throw notFound();
    return c.json(rendered);
  });

  r.get("/:group_key/accounts", requireAuth("read:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const group = await findNotificationGroup(deps.db, me.id, groupKeyParam(c));
    if (!group) throw notFound();
    const actors = [...new Map(group.notifications.map((n) => [n.actor.id, n.actor])).values()];
    return c.json(await renderAccountList(deps, actors, { kind: "local", actorId: me.id }));
  });

  r.post("/:group_key/dismiss", requireAuth("write:notifications"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const group = await findNotificationGroup(deps.db, me.id, groupKeyParam(c));
    if (!group) throw notFound();
    await dismissNotifications(deps.db, me.id, group.notifications.map((n) => n.id));
    return c.json({});
  });

  app.route("/api/v2/notifications", r);
}
