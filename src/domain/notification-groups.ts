/**
 * Notifications grouped as Mastodon 4.3 groups them (its v2 API): favourites
 * and boosts of one post, and follows, that came within one 12-hour span
 * share a group; every other notification is a group of its own
 * (`ungrouped-<id>`). The key is derived from the notification itself (type,
 * post, time), so nothing is stored for it. Mastodon's span slides from a
 * group's first notification; here the spans are fixed 12-hour windows
 * (since the epoch, UTC), which keeps the key a pure function of the row.
 */
import type { Db } from "../db/database.ts";
import type { Page } from "./paging.ts";
import {
  findNotification,
  listNotifications,
  type NotificationFilter,
  notificationRows,
  type NotificationView,
} from "./notification-list.ts";
import type { NotificationType } from "./notifications.ts";

export const GROUPABLE_TYPES: readonly NotificationType[] = ["favourite", "reblog", "follow"];
export const GROUP_SPAN_MS = 12 * 60 * 60 * 1000;
/** How many notifications one page of groups may read (Mastodon caps its pages of groups the same way). */
const ROWS_PER_GROUP = 5;
/** At most this many notifications are read for one group (its accounts, its dismissal). */
export const MAX_GROUP_SIZE = 400;
/** Accounts named per group (Mastodon: 8 sample accounts). */
const SAMPLE_ACCOUNTS = 8;

interface Keyed {
  id: string;
  type: NotificationType;
  postId: string | null;
  createdAt: Date;
}

/** The group key of a notification; `grouped`: the types the caller groups (default: all groupable). */
export function groupKeyOf(n: Keyed, grouped: ReadonlySet<string> = new Set(GROUPABLE_TYPES)): string {
  if (!GROUPABLE_TYPES.includes(n.type) || !grouped.has(n.type)) return `ungrouped-${n.id}`;
  const span = Math.floor(n.createdAt.getTime() / GROUP_SPAN_MS);
  if (n.type === "follow") return `follow-${span}`;
  return n.postId ? `${n.type}-${n.postId}-${span}` : `ungrouped-${n.id}`;
}

function keyed(v: NotificationView): Keyed {
  return { id: v.id, type: v.type, postId: v.post?.id ?? null, createdAt: v.createdAt };
}

export interface NotificationGroup {
  groupKey: string;
  type: NotificationType;
  /** the group's notifications on this page, newest first */
  notifications: NotificationView[];
  /** distinct accounts of those, newest first, at most 8 */
  sampleAccountIds: string[];
}

/** The ids a page of groups covers, for Link headers: the newest and the oldest read. */
export interface GroupPage {
  groups: NotificationGroup[];
  newestId: string | undefined;
  oldestId: string | undefined;
}

function sampleOf(views: NotificationView[]): string[] {
  return [...new Set(views.map((v) => v.actor.id))].slice(0, SAMPLE_ACCOUNTS);
}

/**
 * A page of at most `page.limit` groups, newest first. Notifications are
 * read in id order from the page's bound (keyset, as the v1 list) until a
 * further group would not fit; a group whose older notifications lie beyond
 * the page shows up again on the next one (its page_min_id tells them apart,
 * as in Mastodon).
 */
export async function listNotificationGroups(
  db: Db,
  recipientId: string,
  filter: NotificationFilter,
  page: Page,
  groupedTypes: readonly string[] = GROUPABLE_TYPES,
): Promise<GroupPage> {
  const grouped = new Set(groupedTypes);
  const views = await listNotifications(db, recipientId, filter, { ...page, limit: page.limit * ROWS_PER_GROUP });
  // Read from the page's bound: newest first, or (min_id) closest to it first.
  const reading = page.minId !== undefined ? [...views].reverse() : views;
  const groups = new Map<string, NotificationView[]>();
  const consumed: NotificationView[] = [];
  for (const view of reading) {
    const key = groupKeyOf(keyed(view), grouped);
    if (!groups.has(key)) {
      if (groups.size >= page.limit) break;
      groups.set(key, []);
    }
    groups.get(key)!.push(view);
    consumed.push(view);
  }
  const list = [...groups.entries()].map(([groupKey, members]): NotificationGroup => {
    const newestFirst = [...members].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    return { groupKey, type: newestFirst[0]!.type, notifications: newestFirst, sampleAccountIds: sampleOf(newestFirst) };
  }).sort((a, b) => (BigInt(b.notifications[0]!.id) > BigInt(a.notifications[0]!.id) ? 1 : -1));
  const ids = consumed.map((v) => BigInt(v.id));
  const newest = ids.length ? ids.reduce((a, b) => (a > b ? a : b)) : undefined;
  const oldest = ids.length ? ids.reduce((a, b) => (a < b ? a : b)) : undefined;
  return { groups: list, newestId: newest?.toString(), oldestId: oldest?.toString() };
}

/** The filter that selects exactly one group's notifications; undefined for a key that names none. */
function filterOfKey(groupKey: string): NotificationFilter | { id: string } | undefined {
  const ungrouped = /^ungrouped-(\d{1,19})$/.exec(groupKey);
  if (ungrouped) return { id: ungrouped[1]! };
  const m = /^(favourite|reblog)-(\d{1,19})-(\d{1,12})$/.exec(groupKey) ?? /^(follow)-(\d{1,12})$/.exec(groupKey);
  if (!m) return undefined;
  const span = Number(m[3] ?? m[2]);
  const from = new Date(span * GROUP_SPAN_MS);
  return {
    types: [m[1]!],
    ...(m[3] !== undefined ? { postId: m[2]! } : {}),
    createdFrom: from,
    createdBefore: new Date(from.getTime() + GROUP_SPAN_MS),
  };
}

/** One group of the recipient's notifications (at most MAX_GROUP_SIZE of them), newest first; undefined when it has none. */
export async function findNotificationGroup(db: Db, recipientId: string, groupKey: string): Promise<NotificationGroup | undefined> {
  const filter = filterOfKey(groupKey);
  if (!filter) return undefined;
  if ("id" in filter) {
    // An ungrouped notification is its own group, whatever its type (the caller may not have grouped its type).
    const one = await findNotification(db, recipientId, filter.id);
    return one ? { groupKey, type: one.type, notifications: [one], sampleAccountIds: [one.actor.id] } : undefined;
  }
  let views = await listNotifications(db, recipientId, filter, { limit: MAX_GROUP_SIZE });
  // A group key names grouped notifications only when they are grouped under it.
  views = views.filter((v) => groupKeyOf(keyed(v)) === groupKey);
  if (views.length === 0) return undefined;
  return { groupKey, type: views[0]!.type, notifications: views, sampleAccountIds: sampleOf(views) };
}

/**
 * How many groups of notifications the recipient has not read (past
 * `afterId`, the notifications marker), counting at most `limit`
 * notifications, as Mastodon caps its count.
 */
export async function countNotificationGroups(
  db: Db,
  recipientId: string,
  filter: NotificationFilter,
  limit: number,
  groupedTypes: readonly string[] = GROUPABLE_TYPES,
): Promise<number> {
  const grouped = new Set(groupedTypes);
  const rows = await notificationRows(db, recipientId, filter, limit);
  return new Set(rows.map((r) => groupKeyOf(r, grouped))).size;
}
