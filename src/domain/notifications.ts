/**
 * What local people are told about: written in the transaction of the change
 * that causes it, read by the Mastodon notifications API and Plein's own.
 */
import type { Db } from "../db/database.ts";
import { mutingNotificationsOf } from "./mutes.ts";
import { publishStreamEvent } from "./stream-events.ts";

/**
 * Mastodon's types where one fits (clients show those), Plein's own for
 * group life (clients that do not know a type leave it out).
 */
export const NOTIFICATION_TYPES = [
  "mention", "status", "reblog", "follow", "follow_request", "favourite", "update",
  /** a poll you made or voted in has ended (its author is the account, also for the author's own) */
  "poll",
  /** someone asks to join a group you administer */
  "group_request",
  /** you were invited into a group */
  "group_invite",
  /** your request to join was approved */
  "group_approved",
  /** a post or comment waits for your approval as moderator */
  "moderation",
  /** a report about content in a group you moderate, or (instance admins) anywhere */
  "report",
  /** someone changed whether they come to your event */
  "rsvp",
] as const;

export type NotificationType = typeof NOTIFICATION_TYPES[number];

export interface NewNotification {
  recipientId: string;
  type: NotificationType;
  actorId?: string | null;
  postId?: string | null;
  groupId?: string | null;
}

/**
 * Notifies local recipients (remote ones hear through their own server), never
 * someone of their own doing (but of the end of their own poll), nor of an account they mute with its
 * notifications (as Mastodon: what was notified before the mute stays), and
 * tells their live streams. Call inside the transaction of the change.
 */
export async function notify(trx: Db, notifications: readonly NewNotification[]): Promise<void> {
  // A poll's end is told to its author too: the one notification of one's own doing.
  const candidates = notifications.filter((n) => n.recipientId !== n.actorId || n.type === "poll");
  if (candidates.length === 0) return;
  const local = new Set((await trx.selectFrom("actors").select("id")
    .where("id", "in", [...new Set(candidates.map((n) => n.recipientId))])
    .where("local", "=", true).where("type", "=", "Person").execute()).map((r) => r.id));
  const muting = new Map<string, Set<string>>();
  for (const actorId of new Set(candidates.flatMap((n) => (n.actorId ? [n.actorId] : [])))) {
    const recipients = [...new Set(candidates.filter((n) => n.actorId === actorId && local.has(n.recipientId)).map((n) => n.recipientId))];
    muting.set(actorId, await mutingNotificationsOf(trx, recipients, actorId));
  }
  const rows = candidates.filter((n) => local.has(n.recipientId) && !(n.actorId && muting.get(n.actorId)?.has(n.recipientId))).map((n) => ({
    recipient_id: n.recipientId,
    type: n.type,
    actor_id: n.actorId ?? null,
    post_id: n.postId ?? null,
    group_id: n.groupId ?? null,
  }));
  if (!rows.length) return;
  // At most 65,535 parameters a statement (5 a row): the boosters of a much-boosted post are many.
  for (let i = 0; i < rows.length; i += 5_000) {
    const written = await trx.insertInto("notifications").values(rows.slice(i, i + 5_000)).returning(["id", "recipient_id"]).execute();
    for (const n of written) await publishStreamEvent(trx, { type: "notification", notificationId: n.id, recipientId: n.recipient_id });
  }
}
