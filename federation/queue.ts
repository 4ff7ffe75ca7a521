import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { type Kysely, sql } from "kysely";
import { listenForNotifications } from "../src/db/listen.ts";
import type { Database } from "../src/db/schema.ts";
import { durationToMs } from "./kv.ts";
import { claimRows } from "./queue-claim.ts";
import { assertStorable, enqueueJobs, enqueueRows, NOTIFY_CHANNEL, onEnqueued, type QueueRow } from "../src/db/queue-rows.ts";
import { WriteBatch } from "../src/db/write-batch.ts";

export { enqueueJob, enqueueJobs, type EnqueueJobOptions, NOTIFY_CHANNEL } from "../src/db/queue-rows.ts";

const logger = getLogger(["plein", "queue"]);

export interface KyselyMessageQueueOptions {
  db: Kysely<Database>;
  /** Name of the queue (`queue_messages.queue`), e.g. "fedify" or "jobs". */
  queue: string;
  /** pg connection string: a dedicated client LISTENs for wake-ups. Not for PGlite. */
  listenUrl?: string;
  /** How often to look for due messages without a wake-up. Default 1000. */
  pollIntervalMs?: number;
  /** How long a claim lasts without a heartbeat. Default 60000. */
  leaseMs?: number;
  /** Names this worker in `locked_by`. Default host:pid:random. */
  workerId?: string;
  /** Messages one listener handles at once (never two with one ordering key). Default 4. */
  concurrency?: number;
  /**
   * PGlite: only this process can have the data directory open, so every lock
   * found when the first listener of this queue starts is stale: release them.
   */
  releaseStaleLocksOnStart?: boolean;
  /** A message whose handler failed (or whose worker died) this often is dropped. Default 10. */
  maxAttempts?: number;
  /** Delay before retrying after the given number of failed attempts. Default 1 s doubling, at most 15 min. */
  retryDelayMs?: (attempts: number) => number;
}

interface ClaimedMessage {
  id: string;
  payload: unknown;
  attempts: number;
  token: string;
}

type Handler = (message: unknown) => Promise<void> | void;

/**
 * Fedify's message queue (and our background jobs) in `queue_messages`.
 *
 * A listener claims due rows with one `UPDATE` of the rows a `SELECT … FOR
 * UPDATE SKIP LOCKED` chose (queue-claim.ts) that sets a lease (`locked_until`, `locked_by`), runs
 * the handler while a heartbeat renews the lease, then deletes the row. A
 * worker that dies stops renewing; once its lease lapses any listener takes
 * the message over (delivery is at least once). A message with an ordering
 * key is not handed out while an earlier row with the same key exists
 * (handled, failed and waiting for a retry, or delayed), so one key is
 * handled one message at a time, in order, across all processes.
 */
export class KyselyMessageQueue implements MessageQueue {
  /** Fedify does its own retries (it re-enqueues with a delay). */
  readonly nativeRetrial = false;

  readonly #db: Kysely<Database>;
  readonly #queue: string;
  readonly #listenUrl: string | undefined;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #workerId: string;
  readonly #concurrency: number;
  readonly #releaseStaleLocksOnStart: boolean;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: (attempts: number) => number;
  #claims = 0;

  constructor(options: KyselyMessageQueueOptions) {
    this.#db = options.db;
    this.#queue = options.queue;
    this.#listenUrl = options.listenUrl;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#releaseStaleLocksOnStart = options.releaseStaleLocksOnStart ?? false;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 10);
    this.#retryDelayMs = options.retryDelayMs ?? ((n) => Math.min(1000 * 2 ** (n - 1), 900_000));
  }

  get queue(): string {
    return this.#queue;
  }

  /**
   * Enqueues that arrive together go to the database as one statement: Fedify
   * enqueues an activity's messages one call each when they carry an ordering
   * key (one per inbox, all at once), which as single inserts cost a round
   * trip and a commit per inbox before the first delivery.
   */
  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    assertStorable(message);
    await this.#enqueues.add({
      payload: message,
      ...(options?.orderingKey === undefined ? {} : { orderingKey: options.orderingKey }),
      ...(options?.delay === undefined ? {} : { delayMs: durationToMs(options.delay) }),
    });
  }

  readonly #enqueues = new WriteBatch<QueueRow>(async (rows) => {
    await enqueueRows(this.#db, this.#queue, rows);
  }, { max: 500, waitMs: 0 });

  async enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    const delayMs = options?.delay === undefined ? 0 : durationToMs(options.delay);
    await enqueueJobs(this.#db, this.#queue, messages, {
      delayMs,
      ...(options?.orderingKey === undefined ? {} : { orderingKey: options.orderingKey }),
    });
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const row = await this.#db
      .selectFrom("queue_messages")
      .select([
        sql<number>`count(*)::integer`.as("queued"),
        sql<number>`(count(*) filter (where available_at <= now()))::integer`.as("ready"),
      ])
      .where("queue", "=", this.#queue)
      .where(sql<boolean>`(locked_until is null or locked_until <= now())`)
      .executeTakeFirstOrThrow();
    return { queued: row.queued, ready: row.ready, delayed: row.queued - row.ready };
  }

  /**
   * Handles messages until `signal` aborts, then stops claiming, waits for the
   * handlers in flight and resolves. Never rejects: database errors are
   * logged and retried.
   */
  async listen(handler: Handler, options?: MessageQueueListenOptions): Promise<void> {
    const signal = options?.signal;
    if (signal?.aborted) return;
    const waker = new Waker();
    const onAbort = () => waker.wake();
    signal?.addEventListener("abort", onAbort, { once: true });
    const unregister = onEnqueued(this.#queue, () => waker.wake());
    const inFlight = new Set<Promise<void>>();
    let stopNotifications: (() => Promise<void>) | undefined;
    try {
      await this.#releaseStaleLocks();
      if (this.#listenUrl !== undefined) {
        stopNotifications = await this.#listenForNotifications(this.#listenUrl, () => waker.wake());
      }
      let failures = 0;
      // Whether the last claim found fewer messages than it asked for: then a
      // single free slot is worth a claim; while the queue is busy a claim
      // waits for a quarter of the slots, one query for several messages.
      let drained = true;
      const batch = Math.max(1, Math.ceil(this.#concurrency / 4));
      while (!signal?.aborted) {
        const free = this.#concurrency - inFlight.size;
        let claimed = 0;
        if (free > 0 && (drained || free >= batch)) {
          try {
            const messages = await this.#claim(free);
            failures = 0;
            claimed = messages.length;
            drained = claimed < free;
            for (const message of messages) {
              const done: Promise<void> = this.#handle(message, handler).finally(() => {
                inFlight.delete(done);
                waker.wake();
              });
              inFlight.add(done);
            }
          } catch (error) {
            failures++;
            logger.error("Claiming messages from queue {queue} failed: {error}", { queue: this.#queue, error });
          }
        }
        if (signal?.aborted) break;
        // Every slot filled: there may be more; the next round waits for a free slot.
        if (free > 0 && claimed === free) continue;
        const wait = failures > 0
          ? Math.min(this.#pollIntervalMs * 2 ** failures, 30_000)
          : this.#pollIntervalMs;
        await waker.wait(wait);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      unregister();
      await Promise.all([...inFlight]);
      await stopNotifications?.();
    }
  }

  async #claim(limit: number): Promise<ClaimedMessage[]> {
    const token = `${this.#workerId}:${++this.#claims}`;
    const rows = await claimRows(this.#db, this.#queue, limit, token, this.#leaseMs);
    return rows
      .sort((a, b) => compareIds(a.id, b.id))
      .map((row) => ({ ...row, token }));
  }

  async #handle(message: ClaimedMessage, handler: Handler): Promise<void> {
    const heartbeat: Heartbeat = new Heartbeat(async () => {
      const held = await this.#extendLease(message);
      if (!held && !heartbeat.stopped) {
        logger.warn("Lost the lease on message {id} of queue {queue} while handling it.", {
          id: message.id,
          queue: this.#queue,
        });
      }
    }, Math.max(10, Math.floor(this.#leaseMs / 3)));
    try {
      if (message.attempts > this.#maxAttempts) {
        // Claimed this often without ever finishing: its workers keep dying.
        logger.error("Dropping message {id} of queue {queue}: claimed {attempts} times without completing.", {
          id: message.id,
          queue: this.#queue,
          attempts: message.attempts,
        });
        await this.#delete(message);
        return;
      }
      let failure: { error: unknown } | undefined;
      try {
        await handler(message.payload);
      } catch (error) {
        failure = { error };
      }
      heartbeat.stop();
      if (failure === undefined) {
        await this.#delete(message);
      } else if (message.attempts >= this.#maxAttempts) {
        logger.error("Dropping message {id} of queue {queue} after {attempts} failed attempts: {error}", {
          id: message.id,
          queue: this.#queue,
          attempts: message.attempts,
          error: failure.error,
        });
        await this.#delete(message);
      } else {
        const delayMs = Math.max(0, this.#retryDelayMs(message.attempts));
        logger.warn("Message {id} of queue {queue} failed (attempt {attempts}), retrying in {delayMs} ms: {error}", {
          id: message.id,
          queue: this.#queue,
          attempts: message.attempts,
          delayMs,
          error: failure.error,
        });
        await this.#release(message, delayMs);
      }
    } catch (error) {
      // The row keeps its lease; once it lapses the message is handled again.
      logger.error("Settling message {id} of queue {queue} failed: {error}", { id: message.id, queue: this.#queue, error });
    } finally {
      heartbeat.stop();
    }
  }

  /** Renews the lease; false if the row is no longer ours. */
  async #extendLease(message: ClaimedMessage): Promise<boolean> {
    const result = await this.#db
      .updateTable("queue_messages")
      .set({ locked_until: sql<Date>`now() + ${this.#leaseMs}::double precision * interval '1 millisecond'` })
      .where("id", "=", message.id)
      .where("locked_by", "=", message.token)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Deletes a handled message. Messages finishing within a few milliseconds of
   * each other go in one statement; each caller waits for its own row to be
   * gone, so a handled message still holds its slot until then.
   */
  #delete(message: ClaimedMessage): Promise<void> {
    return this.#deletes.add(message);
  }

  readonly #deletes = new WriteBatch<ClaimedMessage>((messages) => {
    const ids = messages.map((m) => m.id);
    const tokens = messages.map((m) => m.token);
    // Each row only if this claim still holds it (the token), as for a single delete.
    return this.#settle(messages[0]!, () => sql`
      delete from queue_messages
      where (id, locked_by) in (select * from unnest(${ids}::bigint[], ${tokens}::text[]))`.execute(this.#db));
  }, { max: 64, waitMs: 5 });

  async #release(message: ClaimedMessage, delayMs: number): Promise<void> {
    await this.#settle(message, () => this.#db
      .updateTable("queue_messages")
      .set({
        locked_until: null,
        locked_by: null,
        available_at: sql<Date>`now() + ${delayMs}::double precision * interval '1 millisecond'`,
      })
      .where("id", "=", message.id)
      .where("locked_by", "=", message.token)
      .execute());
  }

  /**
   * Deleting or releasing a handled message, retried while the database is
   * unreachable (PostgreSQL restarting), for as long as the lease lasts:
   * giving up at once would leave the row locked, and the message waiting,
   * until the lease lapses. Both queries check the lease token, so a retry
   * after another worker took the message over changes nothing.
   */
  async #settle(message: ClaimedMessage, query: () => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + this.#leaseMs;
    for (let waitMs = 250; ; waitMs = Math.min(waitMs * 2, 5000)) {
      try {
        await query();
        return;
      } catch (error) {
        if (Date.now() + waitMs > deadline) throw error;
        logger.warn("Settling message {id} of queue {queue} failed, retrying in {waitMs} ms: {error}", {
          id: message.id,
          queue: this.#queue,
          waitMs,
          error,
        });
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  async #releaseStaleLocks(): Promise<void> {
    if (!this.#releaseStaleLocksOnStart) return;
    let released = staleLocksReleased.get(this.#db);
    if (released === undefined) {
      released = new Set();
      staleLocksReleased.set(this.#db, released);
    }
    // Only the first listener of this queue in this process: later ones would
    // release locks of live siblings.
    if (released.has(this.#queue)) return;
    released.add(this.#queue);
    try {
      const result = await this.#db
        .updateTable("queue_messages")
        .set({ locked_until: null, locked_by: null })
        .where("queue", "=", this.#queue)
        .where("locked_by", "is not", null)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) {
        logger.info("Released {count} stale locks of queue {queue}.", {
          count: Number(result.numUpdatedRows),
          queue: this.#queue,
        });
      }
    } catch (error) {
      logger.error("Releasing stale locks of queue {queue} failed: {error}", { queue: this.#queue, error });
    }
  }

  /** LISTEN on a dedicated connection, reconnecting on failure; returns a stop function. */
  #listenForNotifications(url: string, wake: () => void): Promise<() => Promise<void>> {
    return listenForNotifications({
      url,
      channel: NOTIFY_CHANNEL,
      // The payload names the schema the queue's table lives in, as the pool sees it.
      payload: async () => {
        const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(this.#db);
        return `${result.rows[0]!.schema}:${this.#queue}`;
      },
      // application_name lets an operator (or a test) find this connection in pg_stat_activity.
      applicationName: `plein-listen ${this.#workerId}`,
      onNotification: wake,
      // Catch up on anything enqueued while not listening.
      onListening: (listening) => {
        if (listening) wake();
      },
    });
  }
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Per database and queue: the first listener in this process has released stale locks. */
const staleLocksReleased = new WeakMap<Kysely<Database>, Set<string>>();


/** A sleep that a wake-up cuts short; a wake-up while awake makes the next sleep return at once. */
class Waker {
  #pending = false;
  #wake: (() => void) | undefined;

  wake(): void {
    const wake = this.#wake;
    if (wake === undefined) {
      this.#pending = true;
      return;
    }
    this.#wake = undefined;
    wake();
  }

  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Runs `beat` every `intervalMs`, never two at once, until stopped. */
class Heartbeat {
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(beat: () => Promise<void>, intervalMs: number) {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      beat()
        .catch((error: unknown) => logger.warn("Renewing a queue lease failed: {error}", { error }))
        .finally(() => {
          this.#busy = false;
        });
    }, intervalMs);
  }

  get stopped(): boolean {
    return this.#timer === undefined;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
