/**
 * Mutes: a local account stops seeing another's posts in its home and public
 * timelines (boosts of them too) and, unless it chose otherwise, stops being
 * notified by it. Nobody else is told: a mute never federates. A person's
 * block of a server (src/domain/user-domain-blocks.ts) acts here as a mute
 * of all its accounts. A mute with a
 * duration ends by itself; an ended mute is ignored everywhere.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Database } from "../db/schema.ts";
import { invalid } from "./errors.ts";
import { keysetPage, type Page } from "./paging.ts";

/** At most this long (Mastodon allows any duration; a year is beyond what people ask for). */
export const MAX_MUTE_SECONDS = 366 * 24 * 3600;

export interface MuteOptions {
  /** also hide their notifications (Mastodon's default: true) */
  notifications: boolean;
  /** seconds until the mute ends by itself; 0 or absent: never */
  durationSeconds?: number;
}

type MutesEb = ExpressionBuilder<Database, "mutes">;

/** The mute has not ended. */
function active(eb: MutesEb): Expression<SqlBool> {
  return eb.or([eb("mutes.expires_at", "is", null), eb("mutes.expires_at", ">", sql<Date>`now()`)]);
}

/** `actor` mutes `target` (again: with the new options). */
export async function mute(db: Db, actor: Actor, target: Actor, options: MuteOptions): Promise<void> {
  if (actor.id === target.id) throw invalid("You cannot mute yourself");
  const seconds = options.durationSeconds ?? 0;
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_MUTE_SECONDS) {
    throw invalid(`duration must be 0 to ${MAX_MUTE_SECONDS} seconds`);
  }
  const expiresAt = seconds > 0 ? new Date(Date.now() + seconds * 1000) : null;
  await db.insertInto("mutes")
    .values({ actor_id: actor.id, target_id: target.id, notifications: options.notifications, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(["actor_id", "target_id"])
      .doUpdateSet({ notifications: options.notifications, expires_at: expiresAt }))
    .execute();
}

export async function unmute(db: Db, actor: Actor, target: Actor): Promise<void> {
  await db.deleteFrom("mutes").where("actor_id", "=", actor.id).where("target_id", "=", target.id).execute();
}

/** A muted account in the list, with the mute's row id as the page cursor. */
export interface MuteEntry {
  cursor: string;
  actor: Actor;
  expiresAt: Date | null;
}

/** The accounts `actorId` mutes now, newest mute first. */
export async function listMutes(db: Db, actorId: string, page: Page): Promise<MuteEntry[]> {
  const q = db.selectFrom("mutes").innerJoin("actors", "actors.id", "mutes.target_id")
    .selectAll("actors").select(["mutes.id as mute_id", "mutes.expires_at as mute_expires_at"])
    .where("mutes.actor_id", "=", actorId)
    .where(active);
  const rows = await keysetPage(q, "mutes.id", page);
  return rows.map(({ mute_id, mute_expires_at, ...actor }) => ({ cursor: mute_id, actor, expiresAt: mute_expires_at }));
}

/** Whom of `targetIds` `actorId` mutes now, and whether their notifications too. */
export async function mutesOf(db: Db, actorId: string, targetIds: readonly string[]): Promise<Map<string, { notifications: boolean }>> {
  if (targetIds.length === 0) return new Map();
  const rows = await db.selectFrom("mutes").select(["target_id", "notifications"])
    .where("actor_id", "=", actorId).where("target_id", "in", [...targetIds]).where(active).execute();
  return new Map(rows.map((r) => [r.target_id, { notifications: r.notifications }]));
}

/** Which of `recipientIds` mute `actorId`'s notifications now, or block its server. */
export async function mutingNotificationsOf(db: Db, recipientIds: readonly string[], actorId: string): Promise<Set<string>> {
  if (recipientIds.length === 0) return new Set();
  const rows = await db.selectFrom("mutes").select("actor_id")
    .where("actor_id", "in", [...recipientIds]).where("target_id", "=", actorId)
    .where("notifications", "=", true).where(active).execute();
  const blocking = await db.selectFrom("user_domain_blocks").innerJoin("actors", "actors.domain", "user_domain_blocks.domain")
    .select("user_domain_blocks.actor_id")
    .where("user_domain_blocks.actor_id", "in", [...recipientIds]).where("actors.id", "=", actorId).execute();
  return new Set([...rows, ...blocking].map((r) => r.actor_id));
}

type PostsEb = ExpressionBuilder<Database, "posts">;

/** Does `viewerId` mute the author of `authorColumn` now, or block the author's server (src/domain/user-domain-blocks.ts)? */
function mutedAuthor(eb: PostsEb, viewerId: string, authorColumn: "posts.actor_id" | "boosted.actor_id") {
  return eb.or([
    eb.exists(eb.selectFrom("mutes").select(sql.lit(1).as("one"))
      .where("mutes.actor_id", "=", viewerId)
      .where(sql.ref("mutes.target_id"), "=", sql.ref(authorColumn))
      .where((e) => active(e as unknown as MutesEb))),
    eb.exists(eb.selectFrom("user_domain_blocks")
      .innerJoin("actors as blocked_authors", "blocked_authors.domain", "user_domain_blocks.domain")
      .select(sql.lit(1).as("one"))
      .where("user_domain_blocks.actor_id", "=", viewerId)
      .where(sql.ref("blocked_authors.id"), "=", sql.ref(authorColumn))),
  ]);
}

/**
 * A condition on `posts`: neither the post's author nor, for a boost, the
 * boosted post's author is muted by `viewerId` (timelines of the muter).
 */
export function notMutedBy(viewerId: string) {
  return (eb: PostsEb): Expression<SqlBool> => eb.and([
    eb.not(mutedAuthor(eb, viewerId, "posts.actor_id")),
    eb.or([
      eb("posts.reblog_of_id", "is", null),
      eb.not(eb.exists(eb.selectFrom("posts as boosted").select(sql.lit(1).as("one"))
        .whereRef("boosted.id", "=", "posts.reblog_of_id")
        .where((e) => mutedAuthor(e as unknown as PostsEb, viewerId, "boosted.actor_id")))),
    ]),
  ]);
}

/** A condition on `follows`: the followee is not muted by the follower (home timeline sources). */
export function followeeNotMuted(eb: ExpressionBuilder<Database, "follows">): Expression<SqlBool> {
  return eb.not(eb.exists(eb.selectFrom("mutes").select(sql.lit(1).as("one"))
    .whereRef("mutes.actor_id", "=", "follows.follower_id")
    .whereRef("mutes.target_id", "=", "follows.followee_id")
    .where((e) => active(e as unknown as MutesEb))));
}
