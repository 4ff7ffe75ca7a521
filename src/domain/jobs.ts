import type { Db } from "../db/database.ts";
import { enqueueJob } from "../db/queue-rows.ts";

/**
 * Deliveries the domain asks for. Each is inserted into the durable queue in the
 * same transaction as the change that causes it (transactional outbox): a crash
 * never loses one, and a rolled-back change never sends one. federation/send.ts
 * turns each into ActivityPub activities.
 */
export type DeliveryJob =
  | { type: "post.create"; postId: string }
  | { type: "post.update"; postId: string }
  | { type: "post.delete"; postId: string }
  | { type: "follow"; followerId: string; followeeId: string; activityIri: string }
  | { type: "follow.undo"; followerId: string; followeeId: string; activityIri: string }
  | { type: "follow.accept"; followerId: string; followeeId: string; activityIri: string }
  | { type: "follow.reject"; followerId: string; followeeId: string; activityIri: string }
  | { type: "like"; actorId: string; postId: string; activityIri: string }
  | { type: "like.undo"; actorId: string; postId: string; activityIri: string }
  | { type: "announce"; boostId: string }
  | { type: "announce.undo"; boostId: string }
  | { type: "actor.update"; actorId: string }
  | { type: "block"; actorId: string; targetId: string; activityIri: string }
  | { type: "block.undo"; actorId: string; targetId: string; activityIri: string };

export const DELIVERY_QUEUE = "deliveries";

/** Queues a delivery inside the caller's transaction; ordered per sending actor. */
export async function enqueueDelivery(trx: Db, job: DeliveryJob, orderingKey?: string): Promise<void> {
  await enqueueJob(trx, DELIVERY_QUEUE, job, orderingKey === undefined ? {} : { orderingKey: `actor:${orderingKey}` });
}
