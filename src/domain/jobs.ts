import type { Db } from "../db/database.ts";
import { DELIVERY_QUEUE, enqueueJob } from "../db/queue-rows.ts";
import { changesPublished, publishedChanged } from "./published-changes.ts";

/**
 * Deliveries the domain asks for. Each is inserted into the durable queue in the
 * same transaction as the change that causes it (transactional outbox): a crash
 * never loses one, and a rolled-back change never sends one. federation/send.ts
 * turns each into ActivityPub activities.
 */
/**
 * `activityIri` names the activity a job is about (the Follow answered or
 * undone, the Like, the Block); `id` is the id of the activity the job sends
 * when that is a new one (Accept, Reject, Undo, Update of an actor), chosen
 * when the job is queued so that every retry sends the same activity.
 */
export type DeliveryJob =
  | { type: "post.create"; postId: string }
  | { type: "post.update"; postId: string }
  | { type: "post.delete"; postId: string }
  | { type: "follow"; followerId: string; followeeId: string; activityIri: string }
  | { type: "follow.undo"; followerId: string; followeeId: string; activityIri: string; id: string }
  | { type: "follow.accept"; followerId: string; followeeId: string; activityIri: string; id: string }
  /** `reason`: why, for the requester (a group's domain restriction), sent as the Reject's summary */
  | { type: "follow.reject"; followerId: string; followeeId: string; activityIri: string; id: string; reason?: string }
  | { type: "like"; actorId: string; postId: string; activityIri: string }
  | { type: "like.undo"; actorId: string; postId: string; activityIri: string; id: string }
  | { type: "announce"; boostId: string }
  | { type: "announce.undo"; boostId: string; id: string }
  | { type: "actor.update"; actorId: string; id: string }
  | { type: "block"; actorId: string; targetId: string; activityIri: string }
  | { type: "block.undo"; actorId: string; targetId: string; activityIri: string; id: string }
  /** a local group invites a remote person */
  | { type: "group.invite"; groupId: string; inviteeId: string; id: string }
  /** a local person accepts a remote group's invitation */
  | { type: "group.invite.accept"; memberId: string; groupId: string; inviteIri: string; id: string }
  /**
   * A local group redistributes what was posted in it (FEP-1b12): an Announce
   * of the Create, Update or Delete of `postId` to its current members.
   */
  | { type: "group.announce"; groupId: string; postId: string; activity: "create" | "update" | "delete"; id: string }
  /** our instance actor forwards a report to the server of reported content (or of a group) */
  | { type: "flag"; reportId: string; recipientId: string; id: string }
  /**
   * An activity of a content module (src/modules): `senderId` (a local actor)
   * sends what the module's `activityPub.deliver` builds from `payload` (the
   * module's own JSON), with id `id`.
   */
  | { type: "module"; module: string; senderId: string; payload: Record<string, unknown>; id: string }
  /** a local account's vote (one choice) on a remote poll, sent to the poll's author */
  | { type: "poll.vote"; voteId: string }
  /** a local poll's tallies (or its closing) sent to its audience as an Update of the Question, with id `id` */
  | { type: "poll.update"; postId: string; id: string }
  /** a poll ended: close it and notify (src/domain/polls.ts closePoll); queued to run at its end time */
  | { type: "poll.close"; postId: string };

export { DELIVERY_QUEUE } from "../db/queue-rows.ts";

/** Queues a delivery inside the caller's transaction; ordered per sending actor; not before `delayMs`. */
export async function enqueueDelivery(trx: Db, job: DeliveryJob, orderingKey?: string, delayMs?: number): Promise<void> {
  await enqueueJob(trx, DELIVERY_QUEUE, job, {
    ...(orderingKey === undefined ? {} : { orderingKey: `actor:${orderingKey}` }),
    ...(delayMs === undefined ? {} : { delayMs }),
  });
  if (changesPublished(job)) publishedChanged();
}
