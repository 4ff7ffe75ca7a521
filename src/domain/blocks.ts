import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { forbidden } from "./errors.ts";

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
