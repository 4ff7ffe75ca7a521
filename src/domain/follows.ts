import type { Db } from "../db/database.ts";
import type { Actor, Follow } from "../db/schema.ts";
import { forbidden, invalid } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { notify } from "./notifications.ts";
import { assertFederatesWith, requestNeedsApproval } from "./policy.ts";
import { newActivityIri, newActivityIriOf } from "./urls.ts";

function findFollow(db: Db, followerId: string, followeeId: string): Promise<Follow | undefined> {
  return db.selectFrom("follows").selectAll()
    .where("follower_id", "=", followerId).where("followee_id", "=", followeeId).executeTakeFirst();
}

/** Which way a block stands between two actors, if any. */
async function blockBetween(db: Db, a: string, b: string): Promise<"a blocks b" | "b blocks a" | null> {
  const rows = await db.selectFrom("blocks").select("actor_id")
    .where((eb) => eb.or([
      eb.and([eb("actor_id", "=", a), eb("target_id", "=", b)]),
      eb.and([eb("actor_id", "=", b), eb("target_id", "=", a)]),
    ])).execute();
  if (rows.some((r) => r.actor_id === b)) return "b blocks a";
  return rows.length > 0 ? "a blocks b" : null;
}

/** The followee hears of a new follower, or of a request to approve. */
function notifyOfFollow(trx: Db, row: Follow): Promise<void> {
  return notify(trx, [{
    recipientId: row.followee_id, type: row.state === "accepted" ? "follow" : "follow_request", actorId: row.follower_id,
  }]);
}

/** How a follower reads a followee (Mastodon's follow options); absent: unchanged, or the default for a new follow. */
export interface FollowOptions {
  /** their boosts show in the home timeline and user stream (default true) */
  reblogs?: boolean;
  /** a `status` notification for each of their new posts (default false) */
  notify?: boolean;
  /** only their posts in these languages (ISO 639-1 codes); null: all */
  languages?: string[] | null;
}

const LANGUAGE = /^[a-z]{2,3}$/;

function optionColumns(options: FollowOptions) {
  if (options.languages) {
    if (options.languages.length > 20 || !options.languages.every((l) => LANGUAGE.test(l))) {
      throw invalid("languages must be ISO 639-1 codes");
    }
  }
  return {
    ...(options.reblogs !== undefined ? { show_reblogs: options.reblogs } : {}),
    ...(options.notify !== undefined ? { notify: options.notify } : {}),
    ...(options.languages !== undefined ? { languages: options.languages && options.languages.length ? [...new Set(options.languages)] : null } : {}),
  };
}

/**
 * A local account follows someone. Local targets decide at once; remote ones
 * get a Follow. A block either way forbids it. Following again changes only
 * the options (as Mastodon).
 */
export async function follow(db: Db, origin: URL, follower: Actor, followee: Actor, options: FollowOptions = {}): Promise<Follow> {
  const columns = optionColumns(options);
  if (!follower.local) throw invalid("Only local accounts can follow from here");
  if (follower.id === followee.id) throw invalid("You cannot follow yourself");
  if (followee.gone_at) throw invalid("That account is gone");
  await assertFederatesWith(db, followee);
  return db.transaction().execute(async (trx) => {
    const blocked = await blockBetween(trx, follower.id, followee.id);
    if (blocked === "b blocks a") throw forbidden("You cannot follow this account: it has blocked you");
    if (blocked === "a blocks b") throw forbidden("You have blocked this account: unblock it before following it");
    const existing = await findFollow(trx, follower.id, followee.id);
    if (existing) {
      if (Object.keys(columns).length === 0) return existing;
      return trx.updateTable("follows").set(columns).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
    }
    const state = followee.local && !followee.manually_approves_followers ? "accepted" : "pending";
    const activityIri = newActivityIri(origin, "follow");
    const row = await trx.insertInto("follows").values({
      follower_id: follower.id, followee_id: followee.id, state, activity_iri: activityIri, ...columns,
    }).returningAll().executeTakeFirstOrThrow();
    if (followee.local) await notifyOfFollow(trx, row);
    else await enqueueDelivery(trx, { type: "follow", followerId: follower.id, followeeId: followee.id, activityIri }, follower.id);
    return row;
  });
}

/** Ends a follow (or withdraws a request). */
export async function unfollow(db: Db, follower: Actor, followee: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const existing = await trx.deleteFrom("follows")
      .where("follower_id", "=", follower.id).where("followee_id", "=", followee.id)
      .returningAll().executeTakeFirst();
    if (existing && follower.local && !followee.local) {
      await enqueueDelivery(trx, {
        type: "follow.undo", followerId: follower.id, followeeId: followee.id, activityIri: existing.activity_iri,
        id: newActivityIriOf(follower, "undo"),
      }, follower.id);
    }
  });
}

/**
 * A remote actor asks to follow a local one (inbound Follow). A follower the
 * followee blocks gets a Reject (and loses any follow it had); nothing else
 * changes. Returns the follow, or null when it was rejected.
 */
export async function receiveFollow(db: Db, follower: Actor, followee: Actor, activityIri: string): Promise<Follow | null> {
  const needsApproval = followee.manually_approves_followers || await requestNeedsApproval(db, follower);
  return db.transaction().execute(async (trx) => {
    const blocked = await trx.selectFrom("blocks").select("actor_id")
      .where("actor_id", "=", followee.id).where("target_id", "=", follower.id).executeTakeFirst();
    const existing = await findFollow(trx, follower.id, followee.id);
    if (blocked) {
      if (existing) await trx.deleteFrom("follows").where("id", "=", existing.id).execute();
      await enqueueDelivery(trx, {
        type: "follow.reject", followerId: follower.id, followeeId: followee.id, activityIri,
        id: newActivityIriOf(followee, "reject"),
      }, followee.id);
      return null;
    }
    let row: Follow;
    if (existing) {
      row = await trx.updateTable("follows").set({ activity_iri: activityIri }).where("id", "=", existing.id)
        .returningAll().executeTakeFirstOrThrow();
    } else {
      row = await trx.insertInto("follows").values({
        follower_id: follower.id, followee_id: followee.id,
        state: needsApproval ? "pending" : "accepted",
        activity_iri: activityIri,
      }).returningAll().executeTakeFirstOrThrow();
      await notifyOfFollow(trx, row);
    }
    if (row.state === "accepted") {
      await enqueueDelivery(trx, {
        type: "follow.accept", followerId: follower.id, followeeId: followee.id, activityIri,
        id: newActivityIriOf(followee, "accept"),
      }, followee.id);
    }
    return row;
  });
}

/** The followee approves a pending request. */
export async function acceptFollowRequest(db: Db, followee: Actor, follower: Actor): Promise<Follow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("follows").set({ state: "accepted" })
      .where("follower_id", "=", follower.id).where("followee_id", "=", followee.id)
      .returningAll().executeTakeFirst();
    if (!row) throw invalid("There is no such follow request");
    if (!follower.local) {
      await enqueueDelivery(trx, {
        type: "follow.accept", followerId: follower.id, followeeId: followee.id, activityIri: row.activity_iri,
        id: newActivityIriOf(followee, "accept"),
      }, followee.id);
    }
    return row;
  });
}

/** The followee declines a request, or removes a follower. */
export async function rejectFollowRequest(db: Db, followee: Actor, follower: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom("follows")
      .where("follower_id", "=", follower.id).where("followee_id", "=", followee.id)
      .returningAll().executeTakeFirst();
    if (row && !follower.local) {
      await enqueueDelivery(trx, {
        type: "follow.reject", followerId: follower.id, followeeId: followee.id, activityIri: row.activity_iri,
        id: newActivityIriOf(followee, "reject"),
      }, followee.id);
    }
  });
}

/** Inbound Accept of our Follow. Only the followee can accept. */
export async function markFollowAccepted(db: Db, follower: Actor, followee: Actor): Promise<boolean> {
  const res = await db.updateTable("follows").set({ state: "accepted" })
    .where("follower_id", "=", follower.id).where("followee_id", "=", followee.id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Inbound Reject / Undo Follow: the pair no longer follows. */
export async function dropFollow(db: Db, followerId: string, followeeId: string): Promise<boolean> {
  const res = await db.deleteFrom("follows")
    .where("follower_id", "=", followerId).where("followee_id", "=", followeeId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
