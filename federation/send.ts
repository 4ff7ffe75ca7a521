/**
 * The delivery worker: the only place that calls `sendActivity`.
 *
 * Domain code queues a `DeliveryJob` (src/domain/jobs.ts) in the "deliveries"
 * queue inside the transaction of the change that causes it. This worker takes
 * each job, reads the rows it names, builds the activity
 * (federation/translate/outbound.ts) and hands it with its remote recipients
 * to Fedify, which signs it (HTTP signatures with the RSA key, an Object
 * Integrity Proof with the Ed25519 key), queues one message per inbox in the
 * "fedify-outbox" queue and retries with backoff. Recipients come from the domain's
 * audience rule (src/domain/visibility.ts); local recipients need nothing,
 * they read the same database.
 */
import { createHash } from "node:crypto";
import type { Context, Federation } from "@fedify/fedify";
import { isRowId } from "../src/domain/ids.ts";
import { getPost } from "../src/domain/posts/read.ts";
import { type Activity, Create, type Recipient } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../src/config.ts";
import type { Db } from "../src/db/database.ts";
import type { Actor, Post } from "../src/db/schema.ts";
import { findInstanceActor } from "../src/domain/accounts.ts";
import { DELIVERY_QUEUE, type DeliveryJob } from "../src/domain/jobs.ts";
import { changesPublished, publishedChanged } from "../src/domain/published-changes.ts";
import { reportForRecipient } from "../src/domain/reports.ts";
import { closePoll, findOutgoingVote, pollAudience } from "../src/domain/polls.ts";
import { findActorById, findActorByIri, markActorGone } from "../src/domain/remote-actors.ts";
import { audience, type AudienceMember, followerAudience, memberAudience, readableByAnyone } from "../src/domain/visibility.ts";
import { findModule } from "../src/modules/registry.ts";
import type { AppContext } from "../src/context.ts";
import { KyselyMessageQueue } from "./queue.ts";
import { allowedRecipients } from "./policy.ts";
import { noteOutboxGivenUp, recordQueuedDeliveries } from "./audit.ts";
import {
  acceptFollowActivity,
  announceActivity,
  blockActivity,
  createActivity,
  deleteActivity,
  flagActivity,
  followActivity,
  groupAnnounceActivity,
  groupDeleteActivity,
  inviteActivity,
  acceptInviteActivity,
  likeActivity,
  NotFederatedError,
  pollUpdateActivity,
  voteActivity,
  rejectFollowActivity,
  undoActivity,
  updateActivity,
  updateActorActivity,
  updateByReference,
} from "./translate/outbound.ts";

const logger = getLogger(["plein", "federation", "send"]);

export interface DeliveryQueueOptions {
  db: Db;
  config: Config;
  driver: "pg" | "pglite";
  /** How often to look for jobs without a wake-up (default: the queue's, 1 s). */
  pollIntervalMs?: number;
}

/** The "deliveries" queue, built like the "fedify" one (federation/federation.ts). */
export function createDeliveryQueue({ db, config, driver, pollIntervalMs }: DeliveryQueueOptions): KyselyMessageQueue {
  return new KyselyMessageQueue({
    db,
    queue: DELIVERY_QUEUE,
    concurrency: config.queueConcurrency,
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    listenUrl: driver === "pg" ? config.databaseUrl : undefined,
    releaseStaleLocksOnStart: driver === "pglite",
  });
}

export interface DeliveryWorkerOptions {
  federation: Federation<AppContext>;
  deps: AppContext;
  queue: KyselyMessageQueue;
}

/**
 * Handles delivery jobs until `signal` aborts; resolves once the jobs in
 * flight are done. A job whose handling throws is retried by the queue with
 * backoff; a job whose rows are gone is dropped.
 */
export async function startDeliveryWorker({ federation, deps, queue }: DeliveryWorkerOptions, signal: AbortSignal): Promise<void> {
  await queue.listen((message) => deliver(federation, deps, message), { signal });
}

/* ---------------- job parsing ---------------- */


function str(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

function id(v: unknown): v is string {
  return isRowId(v);
}

/**
 * The id of a new activity a job sends. Jobs queued before ids were chosen at
 * queue time have none: theirs is derived from the job itself, so that every
 * retry of it still sends the same activity.
 */
function newActivityId(m: Record<string, unknown>, origin: URL): string | null {
  if (m.id === undefined) return new URL(`/activities/queued/${createHash("sha256").update(JSON.stringify(m)).digest("hex")}`, origin).href;
  return str(m.id) && URL.canParse(m.id) ? m.id : null;
}

/** The queue holds JSON written by our own domain code; still, nothing unexpected is acted on. */
export function parseDeliveryJob(message: unknown, origin: URL): DeliveryJob | null {
  if (typeof message !== "object" || message === null) return null;
  const m = message as Record<string, unknown>;
  switch (m.type) {
    case "post.create":
    case "post.update":
    case "post.delete":
      return id(m.postId) ? { type: m.type, postId: m.postId } : null;
    case "follow":
      return id(m.followerId) && id(m.followeeId) && str(m.activityIri)
        ? { type: m.type, followerId: m.followerId, followeeId: m.followeeId, activityIri: m.activityIri }
        : null;
    case "follow.undo":
    case "follow.accept":
    case "follow.reject": {
      const newId = newActivityId(m, origin);
      return id(m.followerId) && id(m.followeeId) && str(m.activityIri) && newId
        ? { type: m.type, followerId: m.followerId, followeeId: m.followeeId, activityIri: m.activityIri, id: newId, ...(m.type === "follow.reject" && str(m.reason) ? { reason: m.reason } : {}) }
        : null;
    }
    case "like":
      return id(m.actorId) && id(m.postId) && str(m.activityIri)
        ? { type: m.type, actorId: m.actorId, postId: m.postId, activityIri: m.activityIri }
        : null;
    case "like.undo": {
      const newId = newActivityId(m, origin);
      return id(m.actorId) && id(m.postId) && str(m.activityIri) && newId
        ? { type: m.type, actorId: m.actorId, postId: m.postId, activityIri: m.activityIri, id: newId }
        : null;
    }
    case "announce":
      return id(m.boostId) ? { type: m.type, boostId: m.boostId } : null;
    case "announce.undo": {
      const newId = newActivityId(m, origin);
      return id(m.boostId) && newId ? { type: m.type, boostId: m.boostId, id: newId } : null;
    }
    case "actor.update": {
      const newId = newActivityId(m, origin);
      return id(m.actorId) && newId ? { type: m.type, actorId: m.actorId, id: newId } : null;
    }
    case "group.invite": {
      const newId = newActivityId(m, origin);
      return id(m.groupId) && id(m.inviteeId) && newId ? { type: m.type, groupId: m.groupId, inviteeId: m.inviteeId, id: newId } : null;
    }
    case "group.invite.accept": {
      const newId = newActivityId(m, origin);
      return id(m.memberId) && id(m.groupId) && str(m.inviteIri) && newId
        ? { type: m.type, memberId: m.memberId, groupId: m.groupId, inviteIri: m.inviteIri, id: newId }
        : null;
    }
    case "group.announce": {
      const newId = newActivityId(m, origin);
      const activity = m.activity === "create" || m.activity === "update" || m.activity === "delete" ? m.activity : null;
      return id(m.groupId) && id(m.postId) && activity && newId
        ? { type: m.type, groupId: m.groupId, postId: m.postId, activity, id: newId }
        : null;
    }
    case "flag": {
      const newId = newActivityId(m, origin);
      return id(m.reportId) && id(m.recipientId) && newId ? { type: m.type, reportId: m.reportId, recipientId: m.recipientId, id: newId } : null;
    }
    case "module": {
      const payload = m.payload;
      return str(m.module) && id(m.senderId) && typeof payload === "object" && payload !== null && !Array.isArray(payload) && str(m.id) && URL.canParse(m.id)
        ? { type: m.type, module: m.module, senderId: m.senderId, payload: payload as Record<string, unknown>, id: m.id }
        : null;
    }
    case "poll.vote":
      return id(m.voteId) ? { type: m.type, voteId: m.voteId } : null;
    case "poll.update": {
      const newId = newActivityId(m, origin);
      return id(m.postId) && newId ? { type: m.type, postId: m.postId, id: newId } : null;
    }
    case "poll.close":
      return id(m.postId) ? { type: m.type, postId: m.postId } : null;
    case "block":
      return id(m.actorId) && id(m.targetId) && str(m.activityIri)
        ? { type: m.type, actorId: m.actorId, targetId: m.targetId, activityIri: m.activityIri }
        : null;
    case "block.undo": {
      const newId = newActivityId(m, origin);
      return id(m.actorId) && id(m.targetId) && str(m.activityIri) && newId
        ? { type: m.type, actorId: m.actorId, targetId: m.targetId, activityIri: m.activityIri, id: newId }
        : null;
    }
    default:
      return null;
  }
}

/* ---------------- recipients ---------------- */

type Target = Pick<AudienceMember, "iri" | "inbox" | "sharedInbox" | "local">;

function asTarget(actor: Actor): Target & { gone: boolean } {
  return { iri: actor.iri, inbox: actor.inbox_url, sharedInbox: actor.shared_inbox_url, local: actor.local, gone: actor.gone_at !== null };
}

function parseUrl(value: string | null): URL | null {
  if (!value) return null;
  try {
    const u = new URL(value);
    return u.protocol === "https:" || u.protocol === "http:" ? u : null;
  } catch {
    return null;
  }
}

/** Remote, reachable, not on our own host, each actor once. */
export function toRecipients(config: Config, targets: ReadonlyArray<Target & { gone?: boolean }>): Recipient[] {
  const seen = new Set<string>();
  const result: Recipient[] = [];
  for (const t of targets) {
    if (t.local || t.gone) continue;
    const actorId = parseUrl(t.iri);
    const inboxId = parseUrl(t.inbox);
    if (!actorId || !inboxId) continue;
    if (actorId.host === config.origin.host || inboxId.host === config.origin.host) continue;
    if (seen.has(actorId.href)) continue;
    seen.add(actorId.href);
    const sharedInbox = parseUrl(t.sharedInbox);
    result.push({
      id: actorId,
      inboxId,
      endpoints: sharedInbox && sharedInbox.host !== config.origin.host ? { sharedInbox } : null,
    });
  }
  return result;
}

/* ---------------- handling ---------------- */

class Drop extends Error {}

function drop(reason: string): never {
  throw new Drop(reason);
}

async function localActor(db: Db, actorId: string): Promise<Actor> {
  const actor = await findActorById(db, actorId);
  if (!actor) drop(`actor ${actorId} no longer exists`);
  if (!actor.local) drop(`actor ${actorId} is not local`);
  return actor;
}

async function anyActor(db: Db, actorId: string): Promise<Actor> {
  return (await findActorById(db, actorId)) ?? drop(`actor ${actorId} no longer exists`);
}

async function postRow(db: Db, postId: string): Promise<Post> {
  return (await getPost(db, postId)) ?? drop(`post ${postId} no longer exists`);
}

interface Outgoing {
  sender: Actor;
  activity: Activity;
  recipients: Recipient[];
  /** sent after `activity`, from the same sender to the same recipients */
  then?: Activity;
  /** the post a module's activity (or a vote) is about, for the delivery audit */
  post?: Post;
}

async function build(ctx: Context<AppContext>, federation: Federation<AppContext>, deps: AppContext, job: DeliveryJob): Promise<Outgoing> {
  const { db, config } = deps;
  switch (job.type) {
    case "post.create":
    case "post.update":
    case "post.delete": {
      const post = await postRow(db, job.postId);
      if (!post.local || post.reblog_of_id) drop(`post ${post.id} is not a local post`);
      const deleted = post.deleted_at !== null;
      if (job.type !== "post.delete" && deleted) drop(`post ${post.id} was deleted since`);
      if (job.type === "post.delete" && !deleted) drop(`post ${post.id} is not deleted`);
      const author = await localActor(db, post.actor_id);
      const activity = job.type === "post.create"
        ? await createActivity(ctx, post, author)
        : job.type === "post.update"
          ? await updateActivity(ctx, post, author)
          : await deleteActivity(ctx, post, author);
      return { sender: author, activity, recipients: toRecipients(config, await audience(db, post.id)) };
    }
    case "follow":
    case "follow.undo": {
      const follower = await localActor(db, job.followerId);
      const followee = await anyActor(db, job.followeeId);
      const follow = followActivity(job.activityIri, follower, followee);
      const activity = job.type === "follow" ? follow : undoActivity(job.id, follower, follow);
      return { sender: follower, activity, recipients: toRecipients(config, [asTarget(followee)]) };
    }
    case "follow.accept":
    case "follow.reject": {
      const followee = await localActor(db, job.followeeId);
      const follower = await anyActor(db, job.followerId);
      const activity = job.type === "follow.accept"
        ? acceptFollowActivity(job.id, job.activityIri, follower, followee)
        : rejectFollowActivity(job.id, job.activityIri, follower, followee, job.reason);
      return { sender: followee, activity, recipients: toRecipients(config, [asTarget(follower)]) };
    }
    case "like":
    case "like.undo": {
      const actor = await localActor(db, job.actorId);
      const post = await postRow(db, job.postId);
      const author = await anyActor(db, post.actor_id);
      const like = likeActivity(job.activityIri, actor, post, author);
      const activity = job.type === "like" ? like : undoActivity(job.id, actor, like);
      return { sender: actor, activity, recipients: toRecipients(config, [asTarget(author)]) };
    }
    case "announce":
    case "announce.undo": {
      const boost = await postRow(db, job.boostId);
      if (!boost.local || !boost.reblog_of_id) drop(`post ${boost.id} is not a local boost`);
      if (job.type === "announce" && boost.deleted_at) drop(`boost ${boost.id} was undone since`);
      const booster = await localActor(db, boost.actor_id);
      const original = await postRow(db, boost.reblog_of_id);
      const originalAuthor = await anyActor(db, original.actor_id);
      const announce = announceActivity(ctx, boost, booster, original, originalAuthor);
      const activity = job.type === "announce" ? announce : undoActivity(job.id, booster, announce);
      const targets = [...await audience(db, boost.id), asTarget(originalAuthor)];
      return { sender: booster, activity, recipients: toRecipients(config, targets) };
    }
    case "actor.update": {
      const actor = await localActor(db, job.actorId);
      // Rendering an actor needs a request context (federation/actors.ts); the origin stands in.
      const requestCtx = federation.createContext(new Request(config.origin.href), deps);
      const activity = await updateActorActivity(requestCtx, job.id, actor);
      return { sender: actor, activity, recipients: toRecipients(config, await followerAudience(db, actor.id)) };
    }
    case "block":
    case "block.undo": {
      const actor = await localActor(db, job.actorId);
      const target = await anyActor(db, job.targetId);
      const block = blockActivity(job.activityIri, actor, target);
      const activity = job.type === "block" ? block : undoActivity(job.id, actor, block);
      return { sender: actor, activity, recipients: toRecipients(config, [asTarget(target)]) };
    }
    case "group.invite": {
      const group = await localActor(db, job.groupId);
      const invitee = await anyActor(db, job.inviteeId);
      return { sender: group, activity: inviteActivity(job.id, group, invitee), recipients: toRecipients(config, [asTarget(invitee)]) };
    }
    case "group.invite.accept": {
      const member = await localActor(db, job.memberId);
      const group = await anyActor(db, job.groupId);
      return {
        sender: member,
        activity: acceptInviteActivity(job.id, member, group, job.inviteIri),
        recipients: toRecipients(config, [asTarget(group)]),
      };
    }
    case "group.announce":
      return buildGroupAnnounce(ctx, db, config, job);
    case "flag": {
      const sender = (await findInstanceActor(db, config.origin)) ?? drop("no instance actor");
      const recipient = await anyActor(db, job.recipientId);
      const report = (await reportForRecipient(db, job.reportId, recipient.id)) ?? drop(`report ${job.reportId} no longer exists`);
      if (report.objectIris.length === 0) drop(`report ${job.reportId} names nothing of ${recipient.iri}`);
      return { sender, activity: flagActivity(job.id, sender, recipient, report.objectIris, report.comment), recipients: toRecipients(config, [asTarget(recipient)]) };
    }
    case "poll.vote": {
      const vote = (await findOutgoingVote(db, job.voteId)) ?? drop(`vote ${job.voteId} is not one on a remote poll`);
      const voter = await localActor(db, vote.voterId);
      const author = await anyActor(db, vote.post.actor_id);
      return {
        sender: voter, activity: voteActivity(vote.iri, vote.title, voter, vote.post, author),
        recipients: toRecipients(config, [asTarget(author)]), post: vote.post,
      };
    }
    case "poll.update": {
      const post = await postRow(db, job.postId);
      if (!post.local || post.deleted_at || post.type !== "Question") drop(`post ${post.id} is not a local poll`);
      const author = await localActor(db, post.actor_id);
      return { sender: author, activity: await pollUpdateActivity(ctx, job.id, post, author), recipients: toRecipients(config, await pollAudience(db, post.id)) };
    }
    case "poll.close":
      drop("closing a poll sends nothing itself");
    case "module": {
      const build = findModule(job.module)?.activityPub?.deliver;
      if (!build) drop(`module ${job.module} sends nothing`);
      const sender = await localActor(db, job.senderId);
      const out = await build(job.payload, { app: deps, sender, id: new URL(job.id) });
      if (!out) drop(`module ${job.module} has nothing to send for ${JSON.stringify(job.payload)}`);
      return { sender, activity: out.activity, recipients: toRecipients(config, out.recipients), ...(out.post ? { post: out.post } : {}) };
    }
  }
}

/**
 * A local group's Announce of what was posted in it, to its current members.
 * A post by one of our own people is embedded (the group vouches, same
 * origin); a remote member's post is named, and fetched by receivers from
 * its own server. A deleted post goes out as the group's Delete. A new
 * thread of a public group is also announced by its id alone, for Mastodon.
 */
async function buildGroupAnnounce(ctx: Context<AppContext>, db: Db, config: Config, job: Extract<DeliveryJob, { type: "group.announce" }>): Promise<Outgoing> {
  const group = await localActor(db, job.groupId);
  if (group.type !== "Group") drop(`actor ${group.id} is not a group`);
  const post = await postRow(db, job.postId);
  if (post.group_id !== group.id) drop(`post ${post.id} is not in group ${group.id}`);
  // The post's audience (src/domain/visibility.ts): the group's current members, less those its author blocks.
  const recipients = toRecipients(config, await audience(db, post.id));
  if (job.activity === "delete") {
    if (!post.deleted_at) drop(`post ${post.id} is not deleted`);
    const inner = groupDeleteActivity(`${job.id}#delete`, group, post);
    // A removal goes to every member's server, the author's own included: its copy leaves the group too.
    const everyone = toRecipients(config, await memberAudience(db, group.id));
    return { sender: group, activity: groupAnnounceActivity(job.id, group, post, inner), recipients: everyone };
  }
  if (post.deleted_at) drop(`post ${post.id} was deleted since`);
  if (post.moderation !== "approved") drop(`post ${post.id} awaits moderation`);
  let inner: Activity | URL = new URL(post.iri);
  let then: Activity | undefined;
  if (post.local) {
    const author = await localActor(db, post.actor_id);
    inner = job.activity === "create" ? await createActivity(ctx, post, author) : await updateActivity(ctx, post, author);
    // Mastodon reads no Announce of a Create (it fetches the announced id and drops a document with another
    // id): like Lemmy, a public group announces a new thread once more by the object's own id, which Mastodon
    // fetches and shows as the group's boost. Plein receivers store the post once (they dedupe by object id).
    if (inner instanceof Create && readableByAnyone(post.visibility) && post.in_reply_to_iri === null) {
      then = groupAnnounceActivity(`${job.id}#object`, group, post, new URL(post.iri));
    }
  } else if (job.activity === "update") {
    // Members' servers know the post already: named alone, it would be taken
    // for a copy they have. An Update makes them fetch its new version.
    inner = updateByReference(`${job.id}#update`, await anyActor(db, post.actor_id), post);
  }
  // Members on the author's own server have it already; the rest hear it from the group.
  const authorOrigin = new URL(post.iri).origin;
  const others = post.local ? recipients : recipients.filter((r) => r.id?.origin !== authorOrigin);
  return { sender: group, activity: groupAnnounceActivity(job.id, group, post, inner), recipients: others, ...(then ? { then } : {}) };
}

/** Handles one queued job. Exported for tests; the worker calls it for each message. */
export async function deliver(federation: Federation<AppContext>, deps: AppContext, message: unknown): Promise<void> {
  const job = parseDeliveryJob(message, deps.config.origin);
  if (!job) {
    logger.error("Dropping a malformed delivery job: {message}", { message });
    return;
  }
  // The change was queued before its commit: forget published documents read in between (document-cache.ts).
  if (changesPublished(job)) publishedChanged();
  if (job.type === "poll.close") {
    // Domain work at the poll's end time; the final Update it queues is a job of its own.
    await closePoll(deps.db, job.postId);
    return;
  }
  const ctx = federation.createContext(deps.config.origin, deps);
  let out: Outgoing;
  try {
    out = await build(ctx, federation, deps, job);
  } catch (error) {
    if (error instanceof Drop || error instanceof NotFederatedError) {
      logger.info("Dropping delivery job {type}: {reason}", { type: job.type, reason: error.message, job });
      return;
    }
    throw error;
  }
  // One place for every job: servers the federation policy blocks get nothing, and nothing is queued for them.
  const recipients = await allowedRecipients(deps, out.recipients);
  // The delivery audit: closed-group content's inboxes, queued or refused (federation/audit.ts).
  await recordQueuedDeliveries(deps, job, out, recipients, out.recipients.filter((r) => !recipients.includes(r)));
  if (recipients.length === 0) return;
  for (const activity of out.then ? [out.activity, out.then] : [out.activity]) {
    await ctx.sendActivity({ identifier: out.sender.username }, recipients, activity, {
      preferSharedInbox: true,
      excludeBaseUris: [deps.config.origin],
      // One sender's activities reach one server in order (Fedify adds the inbox origin).
      orderingKey: out.sender.iri,
    });
  }
}

/* ---------------- permanent failures ---------------- */

/**
 * An inbox answered 404 or 410 (Fedify's permanent-failure statuses): if it is
 * the personal inbox of a remote actor, that actor is gone: stop delivering to
 * it and drop its follows. A shared inbox failing says nothing about each of
 * the actors behind it, so those are only logged.
 */
export function registerDeliveryFailureHandler(federation: Federation<AppContext>): void {
  federation.setOutboxPermanentFailureHandler(async (ctx, { reason, inbox, actorIds, statusCode }) => {
    noteOutboxGivenUp(reason, statusCode); // for the delivery audit (federation/audit.ts)
    if (reason !== "http") return;
    const db = ctx.data.db;
    for (const actorId of actorIds) {
      const actor = await findActorByIri(db, actorId.href);
      if (!actor || actor.local || actor.gone_at) continue;
      if (actor.inbox_url !== inbox.href) {
        logger.warn("Shared inbox {inbox} answered {statusCode} for {actor}; not marking the actor gone", {
          inbox: inbox.href, statusCode, actor: actor.iri,
        });
        continue;
      }
      logger.info("Inbox {inbox} answered {statusCode}: marking {actor} gone", { inbox: inbox.href, statusCode, actor: actor.iri });
      await markActorGone(db, actor.id);
    }
  });
}
