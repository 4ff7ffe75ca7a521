import { type Kysely, sql, type Transaction } from "kysely";
import type { Database } from "./schema.ts";
import { toJsonb } from "./json.ts";

// Rows of the durable queue (`queue_messages`), written by the domain inside its
// own transactions (transactional outbox) and by federation/queue.ts for Fedify.

/**
 * One NOTIFY channel for every queue; the payload names the schema and the
 * queue (`<schema>:<queue>`), because channels are database-wide while
 * queues live in a schema (tests give each file a schema of its own).
 */
export const NOTIFY_CHANNEL = "plein_queue";

/** Fedify's inbox and fan-out messages. */
export const FEDIFY_QUEUE = "fedify";
/** Fedify's outbox: one message per delivery to a remote inbox (federation/federation.ts). */
export const FEDIFY_OUTBOX_QUEUE = "fedify-outbox";
/** The queues of Fedify's messages. */
export const FEDIFY_QUEUES = [FEDIFY_QUEUE, FEDIFY_OUTBOX_QUEUE] as const;
/** The domain's delivery jobs, turned into activities by federation/send.ts (the transactional outbox). */
export const DELIVERY_QUEUE = "deliveries";
/** Every queue; a process running the queues listens to each (a LISTEN connection each on PostgreSQL). */
export const QUEUES = [...FEDIFY_QUEUES, DELIVERY_QUEUE] as const;

const wakers = new Map<string, Set<() => void>>();

/**
 * Calls `wake` whenever this process enqueues to `queue`. On PGlite this is the
 * only prompt wake-up, and it is enough even inside a transaction: the woken
 * listener's claim waits for the single connection until the commit.
 */
export function onEnqueued(queue: string, wake: () => void): () => void {
  let set = wakers.get(queue);
  if (!set) wakers.set(queue, set = new Set());
  set.add(wake);
  return () => {
    set.delete(wake);
  };
}

export interface EnqueueJobOptions {
  /** Not handed out before this many milliseconds have passed (database clock). */
  delayMs?: number;
  /** Messages with the same key are handled one at a time, in enqueue order. */
  orderingKey?: string;
}

/** A message to insert, with its own ordering key and delay. */
export interface QueueRow {
  payload: unknown;
  /** Messages with the same key are handled one at a time, in enqueue order. */
  orderingKey?: string;
  /** Not handed out before this many milliseconds have passed (database clock). */
  delayMs?: number;
}

/** Throws a TypeError for a payload that cannot be stored as JSON (checked before anything is written). */
export function assertStorable(payload: unknown, index = 0): void {
  if (payload === undefined || typeof payload === "function" || typeof payload === "symbol") {
    throw new TypeError(`Message ${index} cannot be stored as JSON.`);
  }
}

/**
 * Inserts messages for `queue` through `executor`, in one statement: pass the
 * transaction of a domain change to enqueue in the same commit (transactional
 * outbox). A NOTIFY goes out in the same statement; PostgreSQL delivers it on
 * commit. Returns the ids of the new rows, in order (ids follow the order of
 * `rows`, which is the order messages with one ordering key are handled in).
 */
export async function enqueueRows(
  executor: Kysely<Database> | Transaction<Database>,
  queue: string,
  rows: readonly QueueRow[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  rows.forEach((row, i) => assertStorable(row.payload, i));
  const json = toJsonb(rows.map((row) => ({
    p: row.payload,
    k: row.orderingKey ?? null,
    d: Math.max(0, row.delayMs ?? 0),
  })));
  const result = await sql<{ id: string }>`
    with ins as (
      insert into queue_messages (queue, payload, ordering_key, available_at)
      select ${queue}, r.row -> 'p', r.row ->> 'k',
             now() + (r.row ->> 'd')::double precision * interval '1 millisecond'
      from jsonb_array_elements(${json}::jsonb) with ordinality as r(row, n)
      order by r.n
      returning id
    )
    select ins.id from ins
    cross join (select pg_notify(${NOTIFY_CHANNEL}, current_schema() || ':' || ${queue}::text)) as notified
    order by ins.id`.execute(executor);
  if (rows.some((row) => (row.delayMs ?? 0) <= 0)) for (const wake of wakers.get(queue) ?? []) wake();
  return result.rows.map((row) => row.id);
}

/** {@link enqueueRows} for messages sharing one ordering key and delay. */
export function enqueueJobs(
  executor: Kysely<Database> | Transaction<Database>,
  queue: string,
  payloads: readonly unknown[],
  options: EnqueueJobOptions = {},
): Promise<string[]> {
  return enqueueRows(executor, queue, payloads.map((payload) => ({ payload, ...options })));
}

/** {@link enqueueJobs} for one message; returns its id. */
export async function enqueueJob(
  executor: Kysely<Database> | Transaction<Database>,
  queue: string,
  payload: unknown,
  options: EnqueueJobOptions = {},
): Promise<string> {
  const [id] = await enqueueJobs(executor, queue, [payload], options);
  return id!;
}


export interface QueueBacklog {
  queue: string;
  /** due and waiting to be claimed */
  ready: number;
  /** waiting for a retry or a delay to pass */
  delayed: number;
  /** claimed by a worker whose lease has not lapsed */
  running: number;
  /** seconds since the longest-waiting due message (ready or running) became due; 0 when none is */
  oldestAgeSeconds: number;
}

/** Per queue: how many messages wait, and for how long the oldest due one has (database clock). */
export async function queueBacklog(db: Kysely<Database>): Promise<QueueBacklog[]> {
  const result = await sql<{ queue: string; ready: number; delayed: number; running: number; oldest: number | null }>`
    select queue,
      (count(*) filter (where available_at <= now() and (locked_until is null or locked_until <= now())))::integer as ready,
      (count(*) filter (where available_at > now() and (locked_until is null or locked_until <= now())))::integer as delayed,
      (count(*) filter (where locked_until > now()))::integer as running,
      extract(epoch from now() - min(available_at) filter (where available_at <= now()))::double precision as oldest
    from queue_messages
    group by queue`.execute(db);
  return result.rows.map((row) => ({
    queue: row.queue,
    ready: row.ready,
    delayed: row.delayed,
    running: row.running,
    oldestAgeSeconds: Math.max(0, row.oldest ?? 0),
  }));
}
