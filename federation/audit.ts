/**
 * The delivery audit at the ActivityPub edge (src/domain/audit.ts keeps and
 * reads the records).
 *
 * - `recordQueuedDeliveries` (called by federation/send.ts when it hands a
 *   job's activity to Fedify): for closed-group content, one "queued" record
 *   per inbox Fedify will deliver to, and one "refused" record per inbox the
 *   federation policy left out.
 * - `withDeliveryAudit` wraps Fedify's queue. Fedify delivers each queued
 *   outbox message (one per inbox) in the queue's handler and reports no
 *   success, so the wrapper runs that handler for an audited activity inside
 *   an AsyncLocalStorage scope in which Fedify's error hooks
 *   (`onOutboxError`, the permanent-failure handler) and its re-enqueues of
 *   the same message leave their marks; when the handler returns, the
 *   attempt's outcome is appended: delivered (no error, not re-queued),
 *   retrying (an error, re-queued), failed (an error, not re-queued: a
 *   permanent status, or no attempts left; or held past the circuit
 *   breaker's limit) or held (not sent: the server's circuit is open).
 * - `recordRefusedOutboxMessage` records a queued message that the federation
 *   policy dropped because the server was blocked after it was queued.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type Message, type MessageQueue, SendActivityError } from "@fedify/fedify";
import type { Activity, Recipient } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { AppContext } from "../src/context.ts";
import type { DeliveryJob } from "../src/domain/jobs.ts";
import { auditedActivity, type AuditedActivity, auditSubjectOf, type DeliveryEvent, recordDeliveries, recordDeliveryEvents } from "../src/domain/audit.ts";
import { WriteBatch } from "../src/db/write-batch.ts";
import type { Post } from "../src/db/schema.ts";
import { getPost } from "../src/domain/posts/read.ts";
import { recordDelivery } from "../src/ops/metrics.ts";

const logger = getLogger(["plein", "federation", "audit"]);

type Deps = Pick<AppContext, "db" | "config">;

/* ---------------- when a job is sent ---------------- */

/** The post a job's activity carries or is about, if any: the audit records it when it is closed-group content. */
async function auditedPostOf(deps: Deps, job: DeliveryJob, modulePost: Post | undefined): Promise<Post | undefined> {
  switch (job.type) {
    case "post.create":
    case "post.update":
    case "post.delete":
    case "group.announce":
    case "poll.update":
      return getPost(deps.db, job.postId);
    case "poll.vote":
    case "module":
      // A module names the post its activity is about (a wiki page, an event, a question); a vote, its poll.
      return modulePost;
    default:
      return undefined;
  }
}

/** Where Fedify sends an activity for these recipients (preferring shared inboxes), each inbox once. */
function inboxesOf(recipients: readonly Recipient[]): string[] {
  const inboxes = new Set<string>();
  for (const r of recipients) {
    const inbox = r.endpoints?.sharedInbox ?? r.inboxId;
    if (inbox && r.id) inboxes.add(inbox.href);
  }
  return [...inboxes];
}

/**
 * Records, for closed-group content, the inboxes an activity is queued for
 * and those the federation policy refused; nothing for anything else.
 */
export async function recordQueuedDeliveries(
  deps: Deps, job: DeliveryJob, out: { activity: Activity; post?: Post }, sent: readonly Recipient[], refused: readonly Recipient[],
): Promise<void> {
  const { activity } = out;
  const post = await auditedPostOf(deps, job, out.post);
  const subject = post && await auditSubjectOf(deps.db, post);
  if (!subject) return;
  if (!activity.id) {
    logger.error("Cannot audit the delivery of {object}: the activity has no id", { object: subject.objectIri });
    return;
  }
  const audited: AuditedActivity = { ...subject, activityId: activity.id.href, activityType: activityType(activity) };
  const queued = inboxesOf(sent);
  const refusedInboxes = inboxesOf(refused).filter((inbox) => !queued.includes(inbox));
  await recordDeliveries(deps.db, audited, [
    ...queued.map((inbox): DeliveryEvent => ({ inbox, result: "queued" })),
    ...refusedInboxes.map((inbox): DeliveryEvent => ({ inbox, result: "refused", detail: "the federation policy blocks this server" })),
  ]);
}

function activityType(activity: Activity): string {
  const type = activity.constructor.name;
  return type === "Object" || type === "" ? "Activity" : type;
}

/* ---------------- when Fedify delivers ---------------- */

interface OutboxDelivery {
  activityId: string;
  inbox: string;
  attempt: number;
}

/** An outbox message of Fedify's (one activity to one inbox), if this is one. */
function outboxDelivery(message: unknown): OutboxDelivery | null {
  if (typeof message !== "object" || message === null) return null;
  const m = message as Partial<Record<keyof Extract<Message, { type: "outbox" }>, unknown>>;
  if (m.type !== "outbox" || typeof m.activityId !== "string" || typeof m.inbox !== "string" || !URL.canParse(m.inbox)) return null;
  return { activityId: m.activityId, inbox: m.inbox, attempt: typeof m.attempt === "number" ? m.attempt : 0 };
}

interface Attempt {
  delivery: OutboxDelivery;
  failure?: { statusCode: number | null; detail: string; final?: boolean };
  requeued: boolean;
}

const attempts = new AsyncLocalStorage<Attempt>();

function describe(error: unknown): { statusCode: number | null; detail: string } {
  if (error instanceof SendActivityError) return { statusCode: error.statusCode, detail: `HTTP ${error.statusCode}` };
  return { statusCode: null, detail: error instanceof Error ? error.message : String(error) };
}

/** For Fedify's `onOutboxError`: an attempt to deliver failed (it may be retried). */
export function noteOutboxError(error: unknown): void {
  const attempt = attempts.getStore();
  if (attempt) attempt.failure = describe(error);
}

/** For Fedify's permanent-failure handler: the delivery is given up (a permanent status, or held too long). */
export function noteOutboxGivenUp(reason: "http" | "circuit-breaker-ttl", statusCode: number): void {
  const attempt = attempts.getStore();
  if (!attempt) return;
  attempt.failure = reason === "http"
    ? { statusCode, detail: `HTTP ${statusCode} (permanent)`, final: true }
    : { statusCode: null, detail: "held while the server was unreachable, for too long", final: true };
}

function outcome(attempt: Attempt): DeliveryEvent {
  const { delivery, failure, requeued } = attempt;
  const base = { inbox: delivery.inbox, attempt: delivery.attempt + 1 };
  if (!failure) {
    return requeued ? { ...base, result: "held", detail: "not sent: the server's circuit breaker is open" } : { ...base, result: "delivered" };
  }
  return { ...base, result: requeued && !failure.final ? "retrying" : "failed", statusCode: failure.statusCode, detail: failure.detail };
}

/** Per database: records of attempts finishing within a few milliseconds of each other go in one insert. */
const recordBatches = new WeakMap<Deps["db"], WriteBatch<{ activity: AuditedActivity; event: DeliveryEvent }>>();

function recordBatch(db: Deps["db"]) {
  let batch = recordBatches.get(db);
  if (!batch) recordBatches.set(db, batch = new WriteBatch((entries) => recordDeliveryEvents(db, entries), { max: 64, waitMs: 5 }));
  return batch;
}

async function record(deps: Deps, activity: AuditedActivity, event: DeliveryEvent): Promise<void> {
  try {
    await recordBatch(deps.db).add({ activity, event });
  } catch (error) {
    // The delivery itself has happened (or not) already; a lost record is logged, never a resend.
    logger.error("Could not record the delivery of {activity} to {inbox}: {error}", { activity: activity.activityId, inbox: event.inbox, error });
  }
}

/**
 * Whether an activity is audited, asked once per activity and process, not
 * once per inbox: its "queued" records are written (and committed) before
 * Fedify queues any delivery of it, and records are never changed, so the
 * first delivery's answer holds for every other one.
 */
const AUDITED_REMEMBERED = 1000;
const auditedAnswers = new WeakMap<Deps["db"], Map<string, Promise<AuditedActivity | undefined>>>();

function auditedActivityOf(deps: Deps, activityId: string): Promise<AuditedActivity | undefined> {
  let answers = auditedAnswers.get(deps.db);
  if (!answers) auditedAnswers.set(deps.db, answers = new Map());
  const known = answers.get(activityId);
  if (known) return known;
  const answer = auditedActivity(deps.db, activityId);
  answers.set(activityId, answer);
  // A failed read is not remembered: the next delivery asks again.
  answer.catch(() => answers.delete(activityId));
  if (answers.size > AUDITED_REMEMBERED) answers.delete(answers.keys().next().value!);
  return answer;
}

/**
 * Fedify's queue, with the outcome of each delivery attempt of an audited
 * activity recorded. Build it outside `withPolicyOnOutbox` so that its
 * handler runs after the policy's check.
 */
export function withDeliveryAudit(queue: MessageQueue, deps: Deps): MessageQueue {
  const noteRequeue = (message: unknown) => {
    const attempt = attempts.getStore();
    const delivery = outboxDelivery(message);
    if (attempt && delivery && delivery.activityId === attempt.delivery.activityId && delivery.inbox === attempt.delivery.inbox) {
      attempt.requeued = true;
    }
  };
  return {
    nativeRetrial: queue.nativeRetrial ?? false,
    enqueue: (message, options) => {
      noteRequeue(message);
      return queue.enqueue(message, options);
    },
    ...(queue.enqueueMany ? {
      enqueueMany: (messages, options) => {
        for (const message of messages) noteRequeue(message);
        return queue.enqueueMany!(messages, options);
      },
    } : {}),
    ...(queue.getDepth ? { getDepth: () => queue.getDepth!() } : {}),
    // Every attempt's outcome is counted (plein_deliveries_total); an audited activity's is also recorded.
    listen: (handler, options) => queue.listen(async (message: Message) => {
      const delivery = outboxDelivery(message);
      if (!delivery) return handler(message);
      const audited = await auditedActivityOf(deps, delivery.activityId);
      const attempt: Attempt = { delivery, requeued: false };
      try {
        await attempts.run(attempt, () => handler(message));
      } catch (error) {
        recordDelivery("failed");
        if (audited) await record(deps, audited, { inbox: delivery.inbox, attempt: delivery.attempt + 1, result: "failed", ...describe(error) });
        throw error;
      }
      const event = outcome(attempt);
      recordDelivery(event.result === "delivered" || event.result === "retrying" || event.result === "held" ? event.result : "failed");
      if (audited) await record(deps, audited, event);
    }, options),
  };
}

/** For `withPolicyOnOutbox`: a queued delivery dropped because its server was blocked since. */
export async function recordRefusedOutboxMessage(deps: Deps, message: unknown): Promise<void> {
  const delivery = outboxDelivery(message);
  if (!delivery) return;
  recordDelivery("refused");
  const audited = await auditedActivityOf(deps, delivery.activityId);
  if (!audited) return;
  await record(deps, audited, {
    inbox: delivery.inbox, attempt: delivery.attempt + 1, result: "refused", detail: "the federation policy blocks this server (since it was queued)",
  });
}
