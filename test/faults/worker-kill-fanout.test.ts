/**
 * A `plein worker` killed with SIGKILL in the middle of a 500-recipient
 * fan-out; a second worker finishes it. Every recipient (500 followers with
 * inboxes of their own on five loopback servers) gets the post, signed by its
 * author. Delivery is at least once: a delivery that was in flight when the
 * worker died (its queue row claimed, the remote perhaps already answered)
 * is made again by the next worker, and the receiving server's idempotency
 * (activity ids) makes that one post. So the test asserts: everyone got it at
 * least once, and only recipients whose delivery was claimed by the dead
 * worker got it twice (never more).
 *
 * The dead worker's leases (60 s) are expired by the test instead of waited
 * for: what a lapsed lease does is test/worker-crash.test.ts's subject.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../support/db.ts";
import { waitFor } from "../support/instances.ts";
import {
  createSchema, createUserWithToken, freePort, insertFollowers, type PgSchema, type PleinProcess, postStatus,
  processEnv, type ProcessEnv, recipientOf, type Sink, startSink, startWeb, startWorker,
} from "../support/processes.ts";
import { memoryKeyCache, verifyDelivery } from "../support/verify-delivery.ts";

const SINKS = 5;
const PER_SINK = 100;

describe.skipIf(!testDatabaseUrl)("a worker killed mid fan-out (PostgreSQL only: web and worker processes share a database, which PGlite cannot)", () => {
  let schema: PgSchema;
  let env: ProcessEnv;
  let origin: string;
  const processes: PleinProcess[] = [];
  const sinks: Sink[] = [];
  let token: string;

  beforeAll(async () => {
    schema = await createSchema(testDatabaseUrl!);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    env = processEnv(schema.url, origin);
    processes.push(await startWeb("web", env, port));
    token = await createUserWithToken(env, "alice");
    for (let s = 0; s < SINKS; s++) {
      // A little latency per answer, so that the fan-out lasts long enough to be interrupted.
      const sink = await startSink(`127.0.0.${20 + s}`, (_req, res) => setTimeout(() => res.writeHead(202).end(), 15));
      sinks.push(sink);
      await insertFollowers(schema.db, "alice", sink, Array.from({ length: PER_SINK }, (_, i) => `f${s}x${i}`));
    }
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) await p.stop();
    for (const s of sinks) await s.close();
    await schema?.close();
  });

  const received = () => sinks.flatMap((s) => s.received.filter((r) => r.method === "POST").map((r) => ({ sink: s, request: r })));

  it("a second worker finishes the fan-out; each recipient has the post, twice only if it was in flight at the kill", async () => {
    const first = await startWorker(env, schema.db);
    processes.push(first);
    const post = await postStatus(origin, token, "To all 500 followers");
    await waitFor(() => received().length >= 100, { timeoutMs: 30_000, intervalMs: 10, message: "the first 100 deliveries" });
    await first.kill();
    const atKill = received().length;
    expect(atKill).toBeLessThan(SINKS * PER_SINK); // really mid fan-out

    // What the dead worker held: these deliveries may have reached their inbox already.
    const held = await sql<{ inbox: string | null }>`
      update queue_messages set locked_until = now()
      where locked_by like ${`%:${first.child.pid}:%`}
      returning payload->>'inbox' as inbox`.execute(schema.db);
    const inFlight = new Set(held.rows.map((r) => r.inbox).filter((i): i is string => i !== null));

    processes.push(await startWorker(env, schema.db));
    const everyone = sinks.flatMap((s) => Array.from({ length: PER_SINK }, (_, i) => s.inboxOf(`f${sinks.indexOf(s)}x${i}`)));
    await waitFor(() => {
      const got = new Set(received().map(({ sink, request }) => sink.inboxOf(recipientOf(request))));
      return everyone.every((inbox) => got.has(inbox));
    }, { timeoutMs: 40_000, intervalMs: 100, message: "every recipient's delivery" });
    // Nothing left to deliver: no message due or running.
    await waitFor(async () => (await sql<{ n: number }>`
      select count(*)::integer as n from queue_messages
      where available_at <= now() or locked_until > now()`.execute(schema.db)).rows[0]!.n === 0,
    { timeoutMs: 20_000, message: "the queues to drain" });

    const perInbox = new Map<string, number>();
    for (const { sink, request } of received()) {
      const inbox = sink.inboxOf(recipientOf(request));
      perInbox.set(inbox, (perInbox.get(inbox) ?? 0) + 1);
    }
    expect(perInbox.size).toBe(SINKS * PER_SINK);
    const repeated = [...perInbox].filter(([, n]) => n > 1);
    for (const [inbox, n] of repeated) {
      expect(inFlight.has(inbox), `${inbox} got the post ${n} times without being in flight at the kill`).toBe(true);
      expect(n).toBe(2);
    }

    // Each delivery is the post's Create, signed by alice (checked as the receiving server would).
    const all = received();
    const keyCache = memoryKeyCache();
    for (let i = 0; i < all.length; i += 25) {
      const checked = await Promise.all(all.slice(i, i + 25).map(({ sink, request }) => verifyDelivery(sink.origin, request, keyCache)));
      for (const c of checked) {
        expect(c?.signer).toBe(`${origin}/users/alice`);
        expect(c?.activity.type).toBe("Create");
        expect((c?.activity.object as { id?: string } | undefined)?.id).toBe(post.uri);
      }
    }
  }, 100_000);
});
