import { randomUUID } from "node:crypto";
import { testMessageQueue } from "@fedify/testing";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob, KyselyMessageQueue, type KyselyMessageQueueOptions } from "../federation/queue.ts";
import type { DatabaseHandle } from "../src/db/database.ts";
import type { Database } from "../src/db/schema.ts";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "./support/db.ts";
import { HOT_AFTER } from "../src/db/prepared-statements.ts";
import { claimStatement, withClaimPlan } from "../federation/queue-claim.ts";

let database: TestDatabase;
/** A second handle on the same data: its own pool on pg, the same PGlite otherwise. */
let other: DatabaseHandle | undefined;
let db2: Kysely<Database>;

beforeAll(async () => {
  database = await openTestDatabase();
  other = await database.openAnother?.();
  db2 = other?.db ?? database.db;
});

afterAll(async () => {
  await other?.close();
  await database?.close();
});

const onPg = testDatabaseUrl !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newQueueName = () => `test_${randomUUID().slice(0, 8)}`;

async function waitUntil(predicate: () => boolean | Promise<boolean>, what = "a condition", timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

function makeQueue(
  db: Kysely<Database>,
  queue: string,
  options: Partial<KyselyMessageQueueOptions> = {},
): KyselyMessageQueue {
  return new KyselyMessageQueue({
    db,
    queue,
    pollIntervalMs: 100,
    ...(onPg ? { listenUrl: testDatabaseUrl } : { releaseStaleLocksOnStart: true }),
    ...options,
  });
}

async function rowsOf(queue: string) {
  return database.db
    .selectFrom("queue_messages")
    .selectAll()
    .where("queue", "=", queue)
    .orderBy("id")
    .execute();
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

async function countOf(queue: string): Promise<number> {
  return (await rowsOf(queue)).length;
}

/**
 * The queue has looked past everything enqueued before: a message enqueued
 * now was handled, and the claim that took it (ordered by available_at, id)
 * would have taken any earlier message that was due. Use before asserting
 * that a message was NOT handed out.
 */
async function handledAfter(mq: KyselyMessageQueue, queue: string, received: unknown[]): Promise<void> {
  const sentinel = `sentinel-${randomUUID().slice(0, 8)}`;
  await mq.enqueue(sentinel);
  await waitUntil(async () => received.includes(sentinel) && !(await rowsOf(queue)).some((r) => r.payload === sentinel),
    `the listener to handle ${sentinel}`);
}

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("KyselyMessageQueue", () => {
  it("passes Fedify's message queue test suite (two instances, ordering keys)", async () => {
    const queue = newQueueName();
    let made = 0;
    await testMessageQueue(
      // On pg the second instance has its own pool, and both LISTEN for NOTIFY.
      () => makeQueue(made++ === 0 ? database.db : db2, queue, { pollIntervalMs: 1000 }),
      ({ controller }) => {
        controller.abort();
      },
      { testOrderingKey: true },
    );
    expect(await countOf(queue)).toBe(0);
  }, 120_000);

  it("does not let Fedify retry natively", () => {
    expect(makeQueue(database.db, "x").nativeRetrial).toBe(false);
  });

  it("keeps messages in the database: a new queue object (and pool) hands them out", async () => {
    const queue = newQueueName();
    const first = await database.openAnother?.();
    const writer = makeQueue(first?.db ?? database.db, queue);
    await writer.enqueue({ kind: "persisted", n: 1 });
    await writer.enqueueMany([{ kind: "persisted", n: 2 }, { kind: "persisted", n: 3 }]);
    await first?.close();
    expect(await countOf(queue)).toBe(3);
    expect(await makeQueue(database.db, queue).getDepth()).toEqual({ queued: 3, ready: 3, delayed: 0 });

    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = makeQueue(database.db, queue).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await waitUntil(() => received.length >= 3);
    controller.abort();
    await listening;
    expect(received).toEqual([{ kind: "persisted", n: 1 }, { kind: "persisted", n: 2 }, { kind: "persisted", n: 3 }]);
    expect(await countOf(queue)).toBe(0);
  });

  it("hands each message to exactly one handler across listeners and processes' pools", async () => {
    const queue = newQueueName();
    const count = 200;
    const seen = new Map<number, number>();
    const handler = async (m: unknown) => {
      const n = (m as { n: number }).n;
      seen.set(n, (seen.get(n) ?? 0) + 1);
      await sleep(1);
    };
    const controller = new AbortController();
    const listeners = [
      makeQueue(database.db, queue, { concurrency: 4, pollIntervalMs: 20 }).listen(handler, { signal: controller.signal }),
      makeQueue(db2, queue, { concurrency: 4, pollIntervalMs: 20 }).listen(handler, { signal: controller.signal }),
      makeQueue(db2, queue, { concurrency: 2, pollIntervalMs: 20 }).listen(handler, { signal: controller.signal }),
    ];
    await makeQueue(database.db, queue).enqueueMany(Array.from({ length: count }, (_, n) => ({ n })));
    await waitUntil(async () => (await countOf(queue)) === 0);
    controller.abort();
    await Promise.all(listeners);
    expect(seen.size).toBe(count);
    expect([...seen.values()].every((times) => times === 1)).toBe(true);
  });

  it("handles one ordering key at a time, in order, while other keys run in parallel", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue, { concurrency: 4 });
    // Enqueued before anyone listens: the first claim sees all of them.
    for (let i = 1; i <= 3; i++) {
      await mq.enqueue({ key: "A", i }, { orderingKey: "A" });
      await mq.enqueue({ key: "B", i }, { orderingKey: "B" });
    }
    await mq.enqueueMany([{ key: "C", i: 1 }, { key: "C", i: 2 }, { key: "C", i: 3 }], { orderingKey: "C" });
    await mq.enqueue({ key: null, i: 1 });
    await mq.enqueue({ key: null, i: 2 });

    const order: Record<string, number[]> = { A: [], B: [], C: [], none: [] };
    const active = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    let sameKeyOverlap = false;
    const controller = new AbortController();
    const listening = mq.listen(async (m) => {
      const { key, i } = m as { key: string | null; i: number };
      const k = key ?? `none-${i}`;
      if ((active.get(k) ?? 0) > 0) sameKeyOverlap = true;
      active.set(k, (active.get(k) ?? 0) + 1);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(30);
      order[key ?? "none"]!.push(i);
      running--;
      active.set(k, active.get(k)! - 1);
    }, { signal: controller.signal });
    await waitUntil(() => Object.values(order).flat().length >= 11);
    controller.abort();
    await listening;
    expect(order.A).toEqual([1, 2, 3]);
    expect(order.B).toEqual([1, 2, 3]);
    expect(order.C).toEqual([1, 2, 3]);
    expect(order.none!.sort()).toEqual([1, 2]);
    expect(sameKeyOverlap).toBe(false);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(4);
  });

  it("writes enqueues made together in one statement, each with its own key and delay, in call order", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue);
    // As Fedify enqueues an activity's messages when they carry an ordering key: one call each, all at once.
    await Promise.all(Array.from({ length: 60 }, (_, i) => mq.enqueue({ i }, {
      orderingKey: `host-${i % 3}`,
      ...(i === 59 ? { delay: Temporal.Duration.from({ hours: 1 }) } : {}),
    })));
    const rows = await rowsOf(queue);
    expect(rows.map((r) => (r.payload as { i: number }).i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(rows.map((r) => r.ordering_key)).toEqual(Array.from({ length: 60 }, (_, i) => `host-${i % 3}`));
    // One statement: one transaction, so one now() for every row (separate inserts each get their own).
    expect(new Set(rows.map((r) => r.created_at.getTime())).size).toBe(1);
    const created = rows[0]!.created_at.getTime();
    expect(rows.slice(0, 59).every((r) => r.available_at.getTime() === created)).toBe(true);
    expect(rows[59]!.available_at.getTime() - created).toBe(3_600_000);
  });

  it("refuses a message that cannot be stored without failing the others enqueued with it", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue);
    const results = await Promise.allSettled([mq.enqueue("kept"), mq.enqueue(undefined), mq.enqueue(() => 1), mq.enqueue("also kept")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/cannot be stored as JSON/);
    expect((await rowsOf(queue)).map((r) => r.payload)).toEqual(["kept", "also kept"]);
  });

  it.skipIf(!onPg)("pg: never prepares the queue's statements, which a worker runs all day on an empty table", async () => {
    // One connection: the claims and the look at pg_prepared_statements share a session.
    const single = await openTestDatabase({ poolSize: 1 });
    try {
      const queue = newQueueName();
      const mq = makeQueue(single.db, queue, { pollIntervalMs: 10, listenUrl: undefined });
      const controller = new AbortController();
      const listening = mq.listen(() => {}, { signal: controller.signal });
      // Polling an empty queue: far more claims than it takes to make a statement hot.
      await sleep(400);
      for (let i = 0; i < HOT_AFTER + 2; i++) await mq.enqueue({ i }, { orderingKey: "k" });
      await waitUntil(async () => (await single.db.selectFrom("queue_messages").select("id").where("queue", "=", queue).execute()).length === 0, "the messages handled");
      controller.abort();
      await listening;
      for (let i = 0; i < HOT_AFTER + 2; i++) await single.db.selectFrom("actors").select("id").where("id", "=", "1").execute();
      const statements = (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(single.db)).rows.map((r) => r.statement);
      // The connection does prepare what it repeats...
      expect(statements.some((s) => /from "actors"/.test(s))).toBe(true);
      // ...but none of the queue's claims, deletes and inserts: they are planned with the table as it is.
      expect(statements.filter((s) => s.includes("queue_messages"))).toEqual([]);
    } finally {
      await single.close();
    }
  });

  it("claims from a backlog by walking the ready index in order, even with statistics taken while the table was empty", async () => {
    const queue = newQueueName();
    // As all day long: the statistics say the queue is empty...
    await sql`truncate queue_messages`.execute(database.db);
    await sql`analyze queue_messages`.execute(database.db);
    // ...when a fan-out queues thousands of messages, ten per ordering key (one remote server).
    const mq = makeQueue(database.db, queue);
    await Promise.all(Array.from({ length: 3000 }, (_, i) => mq.enqueue({ i }, { orderingKey: `server-${i % 300}` })));
    // EXPLAIN ANALYZE runs the claim: the sentinel rolls its transaction back.
    const rolledBack = new Error("rolled back");
    let plan: PlanNode | undefined;
    await withClaimPlan(database.db, async (trx) => {
      const result = await sql<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>`explain (analyze, format json) ${claimStatement(queue, 16, "explain", 60_000)}`.execute(trx);
      plan = result.rows[0]!["QUERY PLAN"][0]!.Plan;
      throw rolledBack;
    }).catch((error: unknown) => {
      if (error !== rolledBack) throw error;
    });
    const nodes = planNodes(plan!);
    expect(nodes.map((n) => n["Node Type"])).not.toContain("Bitmap Heap Scan");
    expect(nodes.map((n) => n["Node Type"])).not.toContain("Sort");
    // The walk stops at the 16th claimable row instead of checking all 3,000.
    const walk = nodes.find((n) => n["Node Type"] === "Index Scan" && n["Index Name"] === "queue_messages_ready");
    expect(walk?.["Actual Rows"]).toBe(16);
    expect(await countOf(queue)).toBe(3000);
  });

  it("keeps later messages of a key back while an earlier one waits for its retry", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue, { retryDelayMs: () => 3_600_000 });
    await mq.enqueue("first", { orderingKey: "K" });
    await mq.enqueue("second", { orderingKey: "K" });
    await mq.enqueue("unrelated");
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = mq.listen((m) => {
      received.push(m);
      if (m === "first" && received.filter((x) => x === "first").length === 1) throw new Error("fail once");
    }, { signal: controller.signal });
    await waitUntil(() => received.includes("unrelated") && received.includes("first"));
    await waitUntil(async () => (await rowsOf(queue)).some((r) => r.payload === "first" && r.attempts === 1 && r.locked_by === null));
    // "first" waits an hour; "second" must not overtake it.
    await handledAfter(mq, queue, received);
    expect(received).not.toContain("second");
    expect((await rowsOf(queue)).find((r) => r.payload === "second")).toMatchObject({ attempts: 0, locked_by: null });
    // Fast-forward the retry.
    await database.db.updateTable("queue_messages").set({ available_at: sql<Date>`now()` }).where("queue", "=", queue).execute();
    await waitUntil(() => received.includes("second"));
    controller.abort();
    await listening;
    expect(received.filter((m) => m === "first" || m === "second")).toEqual(["first", "first", "second"]);
    expect(await countOf(queue)).toBe(0);
  });

  it("claims and deletes in batches while the queue is busy, not one statement per message", async () => {
    const queue = newQueueName();
    const statements: string[] = [];
    const counting = database.db.withPlugin({
      transformQuery: (args) => {
        const node = args.node as { kind: string; sqlFragments?: readonly string[] };
        if (node.kind === "RawNode") statements.push(node.sqlFragments!.join("?"));
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const mq = makeQueue(counting, queue, { concurrency: 16 });
    const total = 96;
    await mq.enqueueMany(Array.from({ length: total }, (_, i) => ({ n: i })));
    const handled: number[] = [];
    const controller = new AbortController();
    const listening = mq.listen(async (message) => {
      // Handlers finish at different times, as deliveries to different servers do.
      await sleep(5 + ((message as { n: number }).n % 7) * 3);
      handled.push((message as { n: number }).n);
    }, { signal: controller.signal });
    await waitUntil(async () => handled.length === total && (await countOf(queue)) === 0, "every message handled and deleted");
    controller.abort();
    await listening;
    expect(new Set(handled).size).toBe(total);
    const claims = statements.filter((s) => /update queue_messages as m/.test(s)).length;
    const deletes = statements.filter((s) => /delete from queue_messages/.test(s)).length;
    expect(claims).toBeLessThanOrEqual(total / 3);
    expect(deletes).toBeLessThanOrEqual(total / 3);
  });

  it("retries a message whose handler throws, later, with attempts counted", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue, { retryDelayMs: (n) => (n === 1 ? 3_600_000 : 0) });
    const id = await enqueueJob(database.db, queue, { job: "flaky" });
    let calls = 0;
    const controller = new AbortController();
    const listening = mq.listen(() => {
      calls++;
      if (calls === 1) throw new Error("transient failure");
    }, { signal: controller.signal });
    await waitUntil(() => calls === 1);
    await waitUntil(async () => (await rowsOf(queue))[0]?.locked_by === null);
    const [row] = await rowsOf(queue);
    expect(row?.id).toBe(id);
    expect(row?.attempts).toBe(1);
    expect(row?.locked_until).toBeNull();
    const later = await sql<{ later: boolean }>`select available_at > now() + interval '30 minutes' as later
      from queue_messages where id = ${id}`.execute(database.db);
    expect(later.rows[0]?.later).toBe(true);
    expect(calls).toBe(1);
    // Time passes.
    await database.db.updateTable("queue_messages").set({ available_at: sql<Date>`now()` }).where("id", "=", id).execute();
    await waitUntil(async () => (await countOf(queue)) === 0);
    controller.abort();
    await listening;
    expect(calls).toBe(2);
  });

  it("drops a message after maxAttempts failures", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue, { maxAttempts: 3, retryDelayMs: () => 0 });
    await mq.enqueue("poison");
    let calls = 0;
    const controller = new AbortController();
    const listening = mq.listen(() => {
      calls++;
      throw new Error("always fails");
    }, { signal: controller.signal });
    await waitUntil(async () => (await countOf(queue)) === 0);
    controller.abort();
    await listening;
    expect(calls).toBe(3);
  });

  it("honours delays (available_at)", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue);
    await mq.enqueue("later", { delay: Temporal.Duration.from({ hours: 1 }) });
    await mq.enqueue("now");
    expect(await mq.getDepth()).toEqual({ queued: 2, ready: 1, delayed: 1 });
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = mq.listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await waitUntil(() => received.includes("now"));
    await handledAfter(mq, queue, received);
    expect(received).not.toContain("later");
    expect((await rowsOf(queue)).map((r) => [r.payload, r.attempts, r.locked_by])).toEqual([["later", 0, null]]);
    await database.db.updateTable("queue_messages").set({ available_at: sql<Date>`now()` }).where("queue", "=", queue).execute();
    await waitUntil(() => received.includes("later"));
    controller.abort();
    await listening;
    expect(received.filter((m) => m === "now" || m === "later")).toEqual(["now", "later"]);
  });

  it("hands a message whose worker died to another listener once the lease lapses", async () => {
    const queue = newQueueName();
    const id = await enqueueJob(database.db, queue, "orphan");
    // A worker claimed it with a 1.5 s lease and died: nobody renews it.
    await database.db.updateTable("queue_messages")
      .set({
        locked_by: "dead-worker:1",
        locked_until: sql<Date>`now() + interval '1500 milliseconds'`,
        attempts: 1,
      })
      .where("id", "=", id)
      .execute();
    const deadUntil = (await rowsOf(queue))[0]!.locked_until!;
    const seen: { lockedBy: string | null; leaseHadLapsed: boolean }[] = [];
    const controller = new AbortController();
    const listening = makeQueue(db2, queue, { releaseStaleLocksOnStart: false, pollIntervalMs: 50 }).listen(async () => {
      const row = await db2.selectFrom("queue_messages")
        .select(["locked_by", sql<boolean>`now() >= ${deadUntil}`.as("lapsed")])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      seen.push({ lockedBy: row.locked_by, leaseHadLapsed: row.lapsed });
    }, { signal: controller.signal });
    await waitUntil(async () => (await countOf(queue)) === 0);
    controller.abort();
    await listening;
    expect(seen).toHaveLength(1);
    expect(seen[0]!.lockedBy).not.toBe("dead-worker:1");
    expect(seen[0]!.lockedBy).not.toBeNull();
    expect(seen[0]!.leaseHadLapsed).toBe(true);
  });

  it.skipIf(onPg)("PGlite: releases stale locks when the first listener starts", async () => {
    const queue = newQueueName();
    const id = await enqueueJob(database.db, queue, "stale");
    await database.db.updateTable("queue_messages")
      .set({ locked_by: "previous-process:1", locked_until: sql<Date>`now() + interval '1 day'` })
      .where("id", "=", id)
      .execute();
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = makeQueue(database.db, queue, { releaseStaleLocksOnStart: true }).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await waitUntil(() => received.length === 1);
    controller.abort();
    await listening;
    expect(received).toEqual(["stale"]);
  });

  it("renews the lease while a slow handler runs (no second delivery)", async () => {
    const queue = newQueueName();
    await enqueueJob(database.db, queue, "slow");
    const deliveries: string[] = [];
    const controller = new AbortController();
    const handler = (name: string) => async () => {
      deliveries.push(name);
      await sleep(2_000); // more than three leases
    };
    const options = { leaseMs: 600, pollIntervalMs: 50, releaseStaleLocksOnStart: false };
    const listening = [
      makeQueue(database.db, queue, options).listen(handler("one"), { signal: controller.signal }),
      makeQueue(db2, queue, options).listen(handler("two"), { signal: controller.signal }),
    ];
    await waitUntil(async () => (await countOf(queue)) === 0);
    controller.abort();
    await Promise.all(listening);
    expect(deliveries).toHaveLength(1);
  });

  it("on abort stops claiming and waits for the handler in flight", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue);
    await mq.enqueue("in-flight");
    let started = false;
    const release = gate();
    const handled: unknown[] = [];
    const controller = new AbortController();
    const listening = mq.listen(async (m) => {
      handled.push(m);
      started = true;
      await release.promise;
    }, { signal: controller.signal });
    let resolved = false;
    listening.then(() => { resolved = true; }, () => { resolved = true; });
    await waitUntil(() => started, "the handler to start");
    controller.abort();
    // A second listener takes what is enqueued after the abort: the aborted one
    // claimed it neither before nor while the witness did.
    const witnessed: unknown[] = [];
    const witnessStop = new AbortController();
    const witness = makeQueue(db2, queue).listen((m) => { witnessed.push(m); }, { signal: witnessStop.signal });
    await handledAfter(mq, queue, witnessed);
    expect(resolved).toBe(false); // the handler in flight still runs
    expect((await rowsOf(queue)).map((r) => r.payload)).toEqual(["in-flight"]);
    release.open();
    await waitUntil(() => resolved, "listen() to return once the handler finished");
    await listening;
    witnessStop.abort();
    await witness;
    expect(handled).toEqual(["in-flight"]);
    expect(await countOf(queue)).toBe(0);
  });

  it("returns at once, claiming nothing, when the signal is already aborted", async () => {
    const queue = newQueueName();
    const mq = makeQueue(database.db, queue);
    await mq.enqueue("untouched");
    const controller = new AbortController();
    controller.abort();
    const handled: unknown[] = [];
    const listening = mq.listen((m) => { handled.push(m); }, { signal: controller.signal });
    let resolved = false;
    listening.then(() => { resolved = true; }, () => { resolved = true; });
    await waitUntil(() => resolved, "listen() with an aborted signal to return");
    await listening;
    expect(handled).toEqual([]);
    expect((await rowsOf(queue)).map((r) => [r.payload, r.attempts, r.locked_by])).toEqual([["untouched", 0, null]]);
  });

  it("enqueueJob in a transaction: nothing on rollback, delivered after commit", async () => {
    const queue = newQueueName();
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = makeQueue(database.db, queue).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await expect(db2.transaction().execute(async (trx) => {
      await enqueueJob(trx, queue, "rolled back");
      throw new Error("domain change failed");
    })).rejects.toThrow("domain change failed");
    await db2.transaction().execute(async (trx) => {
      await enqueueJob(trx, queue, "committed", { orderingKey: "k" });
    });
    await waitUntil(() => received.length >= 1);
    controller.abort();
    await listening;
    expect(received).toEqual(["committed"]);
    expect(await countOf(queue)).toBe(0);
  });

  it("wakes up without polling (NOTIFY on pg, in-process on PGlite)", async () => {
    const queue = newQueueName();
    const received: unknown[] = [];
    const controller = new AbortController();
    const hour = 3_600_000;
    const listening = makeQueue(database.db, queue, { pollIntervalMs: hour }).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    // Once a first message got through, the listener is set up and asleep.
    await makeQueue(database.db, queue).enqueue("ping");
    await waitUntil(() => received.length === 1);
    await sleep(300);
    // On pg from another pool (only NOTIFY can wake it), on PGlite from another queue object.
    await makeQueue(db2, queue).enqueue("pong");
    await waitUntil(() => received.length === 2);
    controller.abort();
    await listening;
    expect(received).toEqual(["ping", "pong"]);
  });

  it.skipIf(!onPg)("pg: a transactional enqueue on another pool wakes the listener on commit", async () => {
    const queue = newQueueName();
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = makeQueue(database.db, queue, { pollIntervalMs: 3_600_000 }).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await makeQueue(database.db, queue).enqueue("ping");
    await waitUntil(() => received.length === 1);
    await sleep(300);
    await db2.transaction().execute((trx) => enqueueJob(trx, queue, "from a transaction"));
    await waitUntil(() => received.length === 2);
    controller.abort();
    await listening;
    expect(received).toEqual(["ping", "from a transaction"]);
  });

  it.skipIf(!onPg)("pg: LISTENs again after its connection is killed", async () => {
    const queue = newQueueName();
    const workerId = `reconnect-${randomUUID().slice(0, 8)}`;
    const backends = async () =>
      (await sql<{ pid: number }>`select pid from pg_stat_activity
        where application_name = ${`plein-listen ${workerId}`}`.execute(database.db)).rows.map((r) => r.pid);
    const received: unknown[] = [];
    const controller = new AbortController();
    const listening = makeQueue(database.db, queue, { pollIntervalMs: 3_600_000, workerId }).listen((m) => {
      received.push(m);
    }, { signal: controller.signal });
    await makeQueue(database.db, queue).enqueue("ping");
    await waitUntil(() => received.length === 1);
    const [before] = await backends();
    expect(before).toBeDefined();
    await sql`select pg_terminate_backend(${before})`.execute(database.db);
    await waitUntil(async () => {
      const now = await backends();
      return now.length === 1 && now[0] !== before;
    });
    await sleep(300);
    await makeQueue(db2, queue).enqueue("after reconnect");
    await waitUntil(() => received.length === 2);
    controller.abort();
    await listening;
    expect(received).toEqual(["ping", "after reconnect"]);
    // Aborting closes the LISTEN connection.
    await waitUntil(async () => (await backends()).length === 0);
  });
});
