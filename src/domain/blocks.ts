import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { forbidden, invalid } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { keysetPage, type Page } from "./paging.ts";
import { newActivityIri, newActivityIriOf } from "./urls.ts";

/**
 * A remote actor blocks a local one (inbound Block): the block is stored and
 * the follows between the two end, both ways. Idempotent.
 */
export async function receiveBlock(db: Db, actor: Actor, target: Actor, activityIri: string): Promise<void> {
  if (actor.local || !target.local) throw forbidden("Only a remote actor can block a local one here");
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("blocks").values({ actor_id: actor.id, target_id: target.id, activity_iri: activityIri })
      .onConflict((oc) => oc.columns(["actor_id", "target_id"]).doUpdateSet({ activity_iri: activityIri }))
      .execute();
    await trx.deleteFrom("follows").where((eb) => eb.or([
      eb.and([eb("follower_id", "=", actor.id), eb("followee_id", "=", target.id)]),
      eb.and([eb("follower_id", "=", target.id), eb("followee_id", "=", actor.id)]),
    ])).execute();
  });
}

/** Inbound Undo Block: by the Block's id, or by target when the id is unknown. Returns whether one was removed. */
export async function receiveUnblock(db: Db, actor: Actor, target: { activityIri?: string; targetId?: string }): Promise<boolean> {
  let q = db.deleteFrom("blocks").where("actor_id", "=", actor.id);
  if (target.activityIri) q = q.where("activity_iri", "=", target.activityIri);
  else if (target.targetId) q = q.where("target_id", "=", target.targetId);
  else return false;
  const res = await q.executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/**
 * A local account blocks another: the block hides the blocker's posts from the
 * target (src/domain/visibility.ts), follows end both ways, and a remote target's
 * server is told with a Block. Idempotent.
 */
export async function block(db: Db, origin: URL, actor: Actor, target: Actor): Promise<void> {
  if (!actor.local) throw forbidden();
  if (actor.id === target.id) throw invalid("You cannot block yourself");
  await db.transaction().execute(async (trx) => {
    const activityIri = newActivityIri(origin, "block");
    const inserted = await trx.insertInto("blocks").values({ actor_id: actor.id, target_id: target.id, activity_iri: activityIri })
      .onConflict((oc) => oc.columns(["actor_id", "target_id"]).doNothing()).returning("activity_iri").executeTakeFirst();
    if (!inserted) return;
    const ended = await trx.deleteFrom("follows").where((eb) => eb.or([
      eb.and([eb("follower_id", "=", actor.id), eb("followee_id", "=", target.id)]),
      eb.and([eb("follower_id", "=", target.id), eb("followee_id", "=", actor.id)]),
    ])).returningAll().execute();
    if (target.local) return;
    // Our own follow of them ends with an Undo, as an unfollow would.
    for (const f of ended.filter((f) => f.follower_id === actor.id)) {
      await enqueueDelivery(trx, {
        type: "follow.undo", followerId: actor.id, followeeId: target.id, activityIri: f.activity_iri,
        id: newActivityIriOf(actor, "undo"),
      }, actor.id);
    }
    await enqueueDelivery(trx, { type: "block", actorId: actor.id, targetId: target.id, activityIri }, actor.id);
  });
}

export async function unblock(db: Db, actor: Actor, target: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom("blocks").where("actor_id", "=", actor.id).where("target_id", "=", target.id)
      .returning("activity_iri").executeTakeFirst();
    if (removed?.activity_iri && !target.local) {
      await enqueueDelivery(trx, {
        type: "block.undo", actorId: actor.id, targetId: target.id, activityIri: removed.activity_iri,
        id: newActivityIriOf(actor, "undo"),
      }, actor.id);
    }
  });
}

/** The accounts `actorId` blocks, newest block first, with the block's row id as the page cursor. */
export async function listBlocks(db: Db, actorId: string, page: Page): Promise<Array<{ cursor: string; actor: Actor }>> {
  const q = db.selectFrom("blocks").innerJoin("actors", "actors.id", "blocks.target_id")
    .selectAll("actors").select("blocks.id as block_id")
    .where("blocks.actor_id", "=", actorId);
  const rows = await keysetPage(q, "blocks.id", page);
  return rows.map(({ block_id, ...actor }) => ({ cursor: block_id, actor }));
}
