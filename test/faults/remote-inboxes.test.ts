/**
 * Remote inboxes that misbehave, next to healthy ones, for one post of a
 * local account delivered by a `plein worker`: one host answers after 30
 * seconds, one answers 500, one closes the connection without answering, one
 * never answers at all. The healthy hosts get the post while the slow host
 * has not answered yet (a slow host does not hold the others up); the
 * failing hosts' deliveries wait in the queue for a retry at a later time,
 * each retry later than the one before (backoff), and Fedify's circuit
 * breaker opens for the host answering 500 (`/metrics`,
 * `plein_remote_hosts_circuit_broken{state="open"}`). The silent host's
 * delivery is given up after 15 s without an answer and queued again.
 */
import type { ServerResponse } from "node:http";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../support/db.ts";
import { waitFor } from "../support/instances.ts";
import {
  createSchema, createUserWithToken, freePort, insertFollowers, type PgSchema, type PleinProcess, postStatus,
  processEnv, type ProcessEnv, type Sink, startSink, startWeb, startWorker,
} from "../support/processes.ts";

const METRICS_TOKEN = "faults-metrics-token-0123456789";

describe.skipIf(!testDatabaseUrl)("slow and broken remote inboxes (PostgreSQL only: web and worker processes share a database, which PGlite cannot)", () => {
  let schema: PgSchema;
  let env: ProcessEnv;
  let origin: string;
  const processes: PleinProcess[] = [];
  const healthy: Sink[] = [];
  let slow: Sink;
  let failing: Sink;
  let closing: Sink;
  let silent: Sink;
  let slowAnswered = false;
  const held: ServerResponse[] = [];
  let token: string;

  beforeAll(async () => {
    schema = await createSchema(testDatabaseUrl!);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    env = processEnv(schema.url, origin, { PLEIN_METRICS_TOKEN: METRICS_TOKEN });
    processes.push(await startWeb("web", env, port));
    token = await createUserWithToken(env, "alice");
    for (let i = 0; i < 3; i++) healthy.push(await startSink(`127.0.0.${50 + i}`));
    slow = await startSink("127.0.0.53", (_req, res) => {
      setTimeout(() => {
        slowAnswered = true;
        res.writeHead(202).end();
      }, 30_000).unref();
    });
    failing = await startSink("127.0.0.54", (_req, res) => void res.writeHead(500).end("boom"));
    closing = await startSink("127.0.0.55", (req) => void req.socket.destroy());
    silent = await startSink("127.0.0.56", (_req, res) => void held.push(res));
    for (const [i, sink] of [...healthy, slow, failing, closing, silent].entries()) await insertFollowers(schema.db, "alice", sink, [`f${i}`]);
    processes.push(await startWorker(env, schema.db));
  }, 120_000);

  afterAll(async () => {
    // The remotes go first: a worker stopping waits for its deliveries in flight.
    for (const res of held) res.destroy();
    for (const s of [...healthy, slow, failing, closing, silent]) await s?.close();
    for (const p of processes) await p.stop();
    await schema?.close();
  });

  const posts = (sink: Sink) => sink.received.filter((r) => r.method === "POST");

  /** The queued (waiting) delivery to `sink`: its attempt number and when it is due. */
  const queued = async (sink: Sink) => (await sql<{ attempt: number; due: Date; waiting: boolean }>`
    select (payload->>'attempt')::integer as attempt, available_at as due, available_at > now() as waiting
    from queue_messages where payload->>'type' = 'outbox' and payload->>'inbox' like ${`${sink.origin}/%`}`.execute(schema.db)).rows;

  it("delivers to the healthy hosts without waiting for the slow ones, retries the failing ones with backoff and opens the failing host's circuit", async () => {
    const post = await postStatus(origin, token, "To healthy and broken servers alike");

    // Healthy hosts have it while the slow host still holds its request (and the silent one never answers).
    await waitFor(() => healthy.every((s) => posts(s).some((r) => r.body.includes(post.uri))) && posts(slow).length > 0 && held.length > 0,
      { timeoutMs: 20_000, message: "the healthy hosts' deliveries, the slow and the silent host's requests" });
    expect(slowAnswered).toBe(false); // the healthy hosts did not wait for the slow one

    // The failing hosts: tried, failed, queued again for later, each retry later than the last.
    for (const sink of [failing, closing]) {
      const dues: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const row = await waitFor(async () => (await queued(sink)).find((r) => r.attempt >= attempt && r.waiting),
          { timeoutMs: 30_000, intervalMs: 100, message: `retry ${attempt} to ${sink.origin} queued` });
        expect(posts(sink).length).toBeGreaterThanOrEqual(row.attempt);
        dues.push(row.due.getTime());
        await waitFor(() => posts(sink).length > row.attempt, { timeoutMs: 30_000, intervalMs: 100, message: `retry ${attempt} to ${sink.origin} made` });
      }
      expect(dues).toEqual([...dues].sort((a, b) => a - b));
      const gaps = dues.slice(1).map((d, i) => d - dues[i]!);
      expect(gaps.every((g) => g > 0)).toBe(true);
    }

    // The silent host: given up after the agent's silence timeout (not undici's 300 s) and queued again.
    await waitFor(async () => (await queued(silent)).find((r) => r.attempt >= 1 && r.waiting),
      { timeoutMs: 30_000, intervalMs: 200, message: "the silent host's delivery given up and queued again" });

    // Five failures within the window open the failing host's circuit.
    const metric = async () => {
      const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      return Number(/^plein_remote_hosts_circuit_broken\{state="open"\} (\d+)/m.exec(text)?.[1] ?? "0");
    };
    await waitFor(async () => (await metric()) >= 1, { timeoutMs: 40_000, intervalMs: 250, message: "a circuit opens" });
    const circuits = await schema.db.selectFrom("kv_entries").select(["key", "value"]).where("key", "like", `%circuit%`).execute();
    const open = circuits.filter((c) => (c.value as { state?: string }).state === "open").map((c) => c.key);
    expect(open.some((key) => key.includes(failing.host)), JSON.stringify(circuits)).toBe(true);
    expect(open.some((key) => healthy.some((s) => key.includes(s.host)))).toBe(false);
  }, 100_000);
});
