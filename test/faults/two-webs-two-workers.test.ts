/**
 * Two `plein web` and two `plein worker` processes on one PostgreSQL
 * database, as a load-balanced installation runs them. Posts made through
 * both web processes reach every remote follower exactly once (the workers
 * share the queues without handling a message twice); inbound activities
 * posted to both web processes are handled once in all (the workers'
 * counters add up to the number sent); and a streaming client on web 1
 * hears of a post created through web 2 (NOTIFY reaches every web process).
 */
import { request as httpRequest } from "node:http";
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../support/db.ts";
import { AS_CONTEXT, type FakeActor, type FakeRemote, newId, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { waitFor } from "../support/instances.ts";
import {
  createSchema, createUserWithToken, freePort, insertFollowers, type PgSchema, type PleinProcess, postStatus,
  processEnv, type ProcessEnv, recipientOf, type Sink, startSink, startWeb, startWorker,
} from "../support/processes.ts";
import { openStreamSocket, type StreamSocket } from "../support/streaming.ts";
import { sql } from "kysely";

const POSTS = 10;
const INBOUND = 10;
const FOLLOWERS_PER_SINK = 10;
const METRICS_TOKEN = "faults-metrics-token-0123456789";

describe.skipIf(!testDatabaseUrl)("two web and two worker processes on one database (PostgreSQL only: PGlite allows one process)", () => {
  let schema: PgSchema;
  let env: ProcessEnv;
  const webs: string[] = [];
  const workerMetrics: string[] = [];
  const processes: PleinProcess[] = [];
  const sinks: Sink[] = [];
  let remote: FakeRemote;
  let bob: FakeActor;
  let token: string;
  let stream: StreamSocket | undefined;

  beforeAll(async () => {
    schema = await createSchema(testDatabaseUrl!);
    const ports = [await freePort(), await freePort()];
    // Both answer for one origin, as behind a load balancer.
    env = processEnv(schema.url, `http://127.0.0.1:${ports[0]}`, { PLEIN_METRICS_TOKEN: METRICS_TOKEN });
    webs.push(...ports.map((port) => `http://127.0.0.1:${port}`));
    const metricsPorts = [await freePort(), await freePort()];
    workerMetrics.push(...metricsPorts.map((port) => `http://127.0.0.1:${port}/metrics`));
    processes.push(...await Promise.all([
      ...ports.map((port) => startWeb("web", env, port)),
      ...metricsPorts.map((port) => startWorker({ ...env, PLEIN_METRICS_PORT: String(port) }, schema.db)),
    ]));
    token = await createUserWithToken(env, "alice");
    for (let s = 0; s < 3; s++) {
      const sink = await startSink(`127.0.0.${60 + s}`);
      sinks.push(sink);
      await insertFollowers(schema.db, "alice", sink, Array.from({ length: FOLLOWERS_PER_SINK }, (_, i) => `f${s}x${i}`));
    }
    remote = await startFakeRemote({ host: "127.0.0.63" });
    bob = await remote.actor("bob");
  }, 120_000);

  afterAll(async () => {
    stream?.close();
    for (const p of processes) await p.stop();
    for (const s of sinks) await s.close();
    await remote?.close();
    await schema?.close();
  });

  it("a streaming client on web 1 receives a post created through web 2", async () => {
    stream = await openStreamSocket(webs[0]!, { access_token: token, stream: "user" });
    await stream.barrier();
    const post = await postStatus(webs[1]!, token, "Made on web 2, heard on web 1");
    const event = await stream.next((m) => m.event === "update" && (JSON.parse(m.payload ?? "{}") as { uri?: string }).uri === post.uri,
      "the update event on web 1");
    expect(event.stream).toEqual(["user"]);
  });

  it("delivers each post made through either web process to every follower exactly once", async () => {
    const made = await Promise.all(Array.from({ length: POSTS }, (_, i) => postStatus(webs[i % 2]!, token, `Post ${i} via web ${(i % 2) + 1}`)));
    const uris = new Set(made.map((p) => p.uri));
    const deliveries = () => sinks.flatMap((s) => s.received.filter((r) => r.method === "POST").map((r) => {
      const object = (JSON.parse(r.body) as { object?: { id?: string } }).object;
      return `${s.origin} ${recipientOf(r)} ${object?.id}`;
    })).filter((d) => uris.has(d.split(" ")[2]!));
    const expected = sinks.length * FOLLOWERS_PER_SINK * POSTS;
    await waitFor(() => new Set(deliveries()).size === expected, { timeoutMs: 40_000, intervalMs: 100, message: `${expected} deliveries` });
    await waitFor(async () => (await sql<{ n: number }>`
      select count(*)::integer as n from queue_messages
      where available_at <= now() or locked_until > now()`.execute(schema.db)).rows[0]!.n === 0,
    { timeoutMs: 20_000, message: "the queues to drain" });
    expect(deliveries()).toHaveLength(expected);
  }, 60_000);

  /**
   * POSTs a signed activity to `inbox` (on the public origin) through the web process at `via`,
   * as a load balancer forwards it: the Host header stays the public one, which the signature covers.
   */
  const postThrough = async (via: string, inbox: string, activity: unknown): Promise<number> => {
    const signed = await signRequest(new Request(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(activity),
    }), bob.privateKey, new URL(bob.keyId));
    const body = await signed.text();
    const headers: Record<string, string> = { host: new URL(inbox).host };
    signed.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const target = new URL(inbox);
    const { port } = new URL(via);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: target.pathname, method: "POST", headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end(body);
    });
  };

  it("handles each inbound activity sent to either web process once, in one of the workers", async () => {
    const ids: string[] = [];
    for (let i = 0; i < INBOUND; i++) {
      const note = publicNote(bob, {}, `<p>Inbound ${i}</p>`);
      ids.push(note.id as string);
      const activity = { "@context": AS_CONTEXT, id: newId(bob), type: "Create", actor: bob.iri, object: note, to: note.to, cc: note.cc };
      expect(await postThrough(webs[i % 2]!, `${webs[0]}/users/alice/inbox`, activity)).toBe(202);
    }
    const accepted = async () => {
      let sum = 0;
      for (const url of workerMetrics) {
        const text = await (await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
        sum += Number(/^plein_inbox_activities_total\{type="Create",result="accepted"\} (\d+)/m.exec(text)?.[1] ?? "0");
      }
      return sum;
    };
    await waitFor(async () => (await schema.db.selectFrom("posts").select("iri").where("iri", "in", ids).execute()).length === INBOUND,
      { timeoutMs: 30_000, intervalMs: 100, message: "every inbound post stored" });
    await waitFor(async () => (await sql<{ n: number }>`
      select count(*)::integer as n from queue_messages
      where available_at <= now() or locked_until > now()`.execute(schema.db)).rows[0]!.n === 0,
    { timeoutMs: 20_000, message: "the queues to drain" });
    expect(await accepted()).toBe(INBOUND);
  }, 60_000);
});
