/**
 * What a local person reads of their notifications. A notification about a
 * post is shown only while its recipient may still see that post (the one
 * visibility rule): someone who left a closed group no longer reads its
 * content through old notifications. Nothing caused by an account the
 * recipient blocks is shown.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Notification, Post } from "../db/schema.ts";
import { NOTIFICATION_TYPES, type NotificationType } from "./notifications.ts";
import { keysetPage, type Page } from "./paging.ts";
import { findActorsByIds } from "./remote-actors.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface NotificationFilter {
  /** only these types (unknown names are ignored, as Mastodon does); absent: every type */
  types?: readonly string[];
  /** leave these types out */
  excludeTypes?: readonly string[];
  /** only those caused by this account */
  accountId?: string;
  /** only those about this post */
  postId?: string;
  /** only those made in [from, to) */
  createdFrom?: Date;
  createdBefore?: Date;
  /** only those newer than this id (unread: past the notifications marker) */
  afterId?: string;
}

export interface NotificationView {
  id: string;
  type: NotificationType;
  createdAt: Date;
  /** who caused it; the group itself when no person did */
  actor: Actor;
  /** the post it is about, visible to the recipient */
  post: Post | null;
  /** the group it happened in */
  group: Actor | null;
}

function isNotificationType(type: string): type is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(type);
}

/** The types a filter asks for: known requested types (or all) minus the excluded. */
export function requestedTypes(filter: NotificationFilter): NotificationType[] {
  const wanted = filter.types === undefined || filter.types.length === 0
    ? [...NOTIFICATION_TYPES]
    : NOTIFICATION_TYPES.filter((t) => filter.types!.includes(t));
  return wanted.filter((t) => !filter.excludeTypes?.includes(t));
}

/** The recipient's notifications that they may read, matching `filter`; null when the filter leaves no type. */
function readable(db: Db, recipientId: string, filter: NotificationFilter) {
  const types = requestedTypes(filter);
  if (types.length === 0) return null;
  const viewer: Viewer = { kind: "local", actorId: recipientId };
  let q = db.selectFrom("notifications").selectAll("notifications")
    .where("notifications.recipient_id", "=", recipientId)
    .where("notifications.type", "in", types)
    .where((eb) => eb.or([eb("notifications.actor_id", "is not", null), eb("notifications.group_id", "is not", null)]))
    .where((eb) => eb.or([
      eb("notifications.post_id", "is", null),
      eb.exists(eb.selectFrom("posts").select(sql.lit(1).as("one"))
        .whereRef("posts.id", "=", "notifications.post_id")
        .where(visibleTo(viewer))),
    ]))
    .where((eb) => eb.not(eb.exists(eb.selectFrom("blocks").select(sql.lit(1).as("one"))
      .where("blocks.actor_id", "=", recipientId)
      .whereRef("blocks.target_id", "=", "notifications.actor_id"))));
  if (filter.accountId !== undefined) q = q.where("notifications.actor_id", "=", filter.accountId);
  if (filter.postId !== undefined) q = q.where("notifications.post_id", "=", filter.postId);
  if (filter.createdFrom !== undefined) q = q.where("notifications.created_at", ">=", filter.createdFrom);
  if (filter.createdBefore !== undefined) q = q.where("notifications.created_at", "<", filter.createdBefore);
  if (filter.afterId !== undefined) q = q.where("notifications.id", ">", filter.afterId);
  return q;
}

/**
 * The posts and actors of `rows`, loaded in two queries. A row whose post
 * turned invisible since it was selected, or whose actor is gone from the
 * table, is left out.
 */
async function viewsOf(db: Db, recipientId: string, rows: Notification[]): Promise<NotificationView[]> {
  if (rows.length === 0) return [];
  const viewer: Viewer = { kind: "local", actorId: recipientId };
  const postIds = [...new Set(rows.flatMap((n) => (n.post_id ? [n.post_id] : [])))];
  const actorIds = [...new Set(rows.flatMap((n) => [n.actor_id, n.group_id].filter((id): id is string => id !== null)))];
  const [posts, actors] = await Promise.all([
    postIds.length
      ? db.selectFrom("posts").selectAll("posts").where("posts.id", "in", postIds).where(visibleTo(viewer)).execute()
      : Promise.resolve([]),
    findActorsByIds(db, actorIds),
  ]);
  const postById = new Map(posts.map((p) => [p.id, p]));
  const actorById = new Map(actors.map((a) => [a.id, a]));
  return rows.flatMap((n) => {
    const post = n.post_id ? postById.get(n.post_id) : null;
    const group = n.group_id ? actorById.get(n.group_id) ?? null : null;
    const actor = (n.actor_id ? actorById.get(n.actor_id) : undefined) ?? group;
    if (post === undefined || !actor || !isNotificationType(n.type)) return [];
    return [{ id: n.id, type: n.type, createdAt: n.created_at, actor, post, group }];
  });
}

/** A page of the recipient's notifications, newest first (keyset on the notification id). */
export async function listNotifications(db: Db, recipientId: string, filter: NotificationFilter, page: Page): Promise<NotificationView[]> {
  const q = readable(db, recipientId, filter);
  if (!q) return [];
  return viewsOf(db, recipientId, await keysetPage(q, "notifications.id", page));
}

/** One of the recipient's notifications, if they may read it. */
export async function findNotification(db: Db, recipientId: string, id: string): Promise<NotificationView | undefined> {
  const row = await readable(db, recipientId, {})!.where("notifications.id", "=", id).executeTakeFirst();
  return row ? (await viewsOf(db, recipientId, [row]))[0] : undefined;
}

/**
 * How many notifications the recipient may read, counting at most `limit`
 * (Mastodon's unread count is capped the same way, so it costs little).
 */
export async function countNotifications(db: Db, recipientId: string, filter: NotificationFilter, limit: number): Promise<number> {
  const q = readable(db, recipientId, filter);
  if (!q) return 0;
  const row = await db.selectFrom(q.clearSelect().select("notifications.id").limit(limit).as("n"))
    .select((eb) => eb.fn.countAll<string>().as("count")).executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * The recipient's readable notifications as bare rows (id, type, post,
 * account, time), newest first, at most `limit`: what counting groups needs,
 * without loading posts and accounts.
 */
export async function notificationRows(db: Db, recipientId: string, filter: NotificationFilter, limit: number): Promise<NotificationRow[]> {
  const q = readable(db, recipientId, filter);
  if (!q) return [];
  const rows = await q.clearSelect()
    .select(["notifications.id", "notifications.type", "notifications.post_id", "notifications.actor_id", "notifications.created_at"])
    .orderBy("notifications.id", "desc").limit(limit).execute();
  return rows.flatMap((r) => (isNotificationType(r.type)
    ? [{ id: r.id, type: r.type, postId: r.post_id, actorId: r.actor_id, createdAt: r.created_at }]
    : []));
}

export interface NotificationRow {
  id: string;
  type: NotificationType;
  postId: string | null;
  actorId: string | null;
  createdAt: Date;
}

/** Deletes these of the recipient's notifications; how many there were. */
export async function dismissNotifications(db: Db, recipientId: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await db.deleteFrom("notifications")
    .where("recipient_id", "=", recipientId).where("id", "in", [...ids]).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Deletes one of the recipient's notifications; false when they have none by that id. */
export async function dismissNotification(db: Db, recipientId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom("notifications")
    .where("recipient_id", "=", recipientId).where("id", "=", id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Deletes all of the recipient's notifications. */
export async function clearNotifications(db: Db, recipientId: string): Promise<void> {
  await db.deleteFrom("notifications").where("recipient_id", "=", recipientId).execute();
}
