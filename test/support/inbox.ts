/**
 * One in-process Plein instance for inbox tests: real HTTP handling through
 * `app.request` (guard, body limit, Fedify's signature checks, our listeners),
 * a real database, and Fedify's real queue messages — processed on demand by
 * `drain()` with Fedify's own `processQueuedTask`, so a test knows exactly
 * when an activity has been handled (the instance runs as role "web": no
 * background worker races the assertions).
 */
import type { Message } from "@fedify/fedify";
import { deliver } from "../../federation/send.ts";
import { loadConfig } from "../../src/config.ts";
import type { Db } from "../../src/db/database.ts";
import { FEDIFY_QUEUES } from "../../src/db/queue-rows.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "./db.ts";

export interface InboxInstance {
  running: RunningPlein;
  db: Db;
  origin: URL;
  /** Handles every queued inbox message (and what they enqueue), in order. */
  drain(): Promise<number>;
  /**
   * Sends what the domain queued (the "deliveries" queue: Accepts, Rejects,
   * posts...) through the real delivery code, then drains Fedify's outbox, so
   * the remote inboxes have received it. Returns how many jobs were handled.
   */
  deliverQueued(): Promise<number>;
  /** Fedify queue messages waiting. */
  queued(): Promise<number>;
  user(name: string, options?: { locked?: boolean }): Promise<Actor>;
  close(): Promise<void>;
}

export const ORIGIN = "https://plein.test";

/** `env`: more configuration (PLEIN_MEDIA_DIR for a test that stores files). */
export async function startInboxInstance(options: { env?: Record<string, string> } = {}): Promise<InboxInstance> {
  const database = await openTestDatabase();
  const config = loadConfig({
    PLEIN_ORIGIN: ORIGIN,
    PLEIN_ALLOW_PRIVATE_ADDRESS: "true",
    PLEIN_ROLE: "web",
    LOG_LEVEL: "error",
    ...options.env,
  });
  const running = await startPlein(config, { database, listen: false, role: "web" });
  const db = database.db;
  const queued = async () => {
    const row = await db.selectFrom("queue_messages").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("queue", "in", FEDIFY_QUEUES).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const drain = async () => {
    let handled = 0;
    for (let round = 0; round < 10; round++) {
      const rows = await db.selectFrom("queue_messages").select(["id", "payload"])
        .where("queue", "in", FEDIFY_QUEUES).orderBy("id").execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        await db.deleteFrom("queue_messages").where("id", "=", row.id).execute();
        await running.federation.federation.processQueuedTask(running.deps, row.payload as Message);
        handled++;
      }
    }
    return handled;
  };
  return {
    running,
    db,
    origin: config.origin,
    queued,
    drain,
    async deliverQueued() {
      const jobs = await db.deleteFrom("queue_messages").where("queue", "=", DELIVERY_QUEUE)
        .returning(["id", "payload"]).execute();
      jobs.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      for (const job of jobs) await deliver(running.federation.federation, running.deps, job.payload);
      await drain();
      return jobs.length;
    },
    user: (name, options = {}) =>
      createUser(db, config.origin, { username: name, email: `${name}@example.test`, password: "correct horse battery", locked: options.locked }),
    async close() {
      await running.close();
      await database.close();
    },
  };
}
