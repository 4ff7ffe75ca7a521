/**
 * PostgreSQL stops and starts again while `plein serve` takes traffic: posts
 * through the Mastodon API (each delivered to a remote follower) and signed
 * inbound Creates from a remote server. While the database is down /healthz
 * answers 503; afterwards 200 again, from the same process (it recovers by
 * itself, nobody restarts it). Whatever was answered 2xx is kept: every post
 * the API accepted is stored and reaches the follower's inbox, every inbound
 * Create answered 202 becomes a post.
 *
 * The shared cluster is never touched: this test stops and starts a cluster
 * of its own, `faults` on port 5499 (.ci/run creates it with pg_createcluster;
 * root only, since pg_ctlcluster must act as the cluster's owner). A second test
 * stops it while a queue handler runs: the handled message is settled once
 * the database is back, not only when its lease lapses.
 */
import { execFileSync } from "node:child_process";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob, KyselyMessageQueue } from "../../federation/queue.ts";
import { testDatabaseUrl } from "../support/db.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeActor, type FakeRemote, newId, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { waitFor } from "../support/instances.ts";
import {
  createSchema, createUserWithToken, freePort, insertFollowers, type PgSchema, type PleinProcess,
  processEnv, type ProcessEnv, recipientOf, type Sink, startSink, startWeb,
} from "../support/processes.ts";

const CLUSTER = "faults";
const FAULTS_URL = process.env.PLEIN_FAULTS_DATABASE_URL ?? "postgres://plein:plein@127.0.0.1:5499/plein_faults";

/** The version of the `faults` cluster, or why the test cannot run. */
function faultsCluster(): { version: string } | { skip: string } {
  if (!testDatabaseUrl) return { skip: "runs in the PostgreSQL pass only (TEST_DATABASE_URL)" };
  if (process.getuid?.() !== 0) return { skip: "needs root to stop and start a PostgreSQL cluster with pg_ctlcluster" };
  let clusters: string;
  try {
    clusters = execFileSync("pg_lsclusters", ["--no-header"], { encoding: "utf8" });
  } catch {
    return { skip: "pg_lsclusters/pg_ctlcluster (Debian's postgresql-common) is not installed" };
  }
  const line = clusters.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[1] === CLUSTER);
  if (!line) return { skip: `no PostgreSQL cluster "${CLUSTER}": create it as .ci/run does (pg_createcluster VERSION ${CLUSTER} --port 5499)` };
  return { version: line[0]! };
}

const cluster = faultsCluster();
/** `pg_ctlcluster status` exits 0 when the cluster runs, 3 when it is stopped. */
const running = () => {
  if ("skip" in cluster) return false;
  try {
    execFileSync("pg_ctlcluster", [cluster.version, CLUSTER, "status"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const pgCtl = (action: "start" | "stop") => {
  if ("skip" in cluster) throw new Error(cluster.skip);
  if (action === "start" && running()) return;
  execFileSync("pg_ctlcluster", [cluster.version, CLUSTER, action, ...(action === "stop" ? ["-m", "fast"] : [])], { stdio: "pipe" });
};

describe.skipIf("skip" in cluster)(`PostgreSQL restarted under traffic${"skip" in cluster ? ` (skipped: ${cluster.skip})` : ""}`, () => {
  let schema: PgSchema;
  let env: ProcessEnv;
  let origin: string;
  let server: PleinProcess;
  let sink: Sink;
  let remote: FakeRemote;
  let bob: FakeActor;
  let token: string;

  beforeAll(async () => {
    pgCtl("start"); // no-op when it runs; a cluster left stopped by an interrupted run comes back
    schema = await createSchema(FAULTS_URL);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    env = processEnv(schema.url, origin);
    server = await startWeb("serve", env, port);
    token = await createUserWithToken(env, "alice");
    sink = await startSink("127.0.0.40");
    await insertFollowers(schema.db, "alice", sink, ["carol"]);
    remote = await startFakeRemote({ host: "127.0.0.41" });
    bob = await remote.actor("bob");
  }, 120_000);

  afterAll(async () => {
    if ("skip" in cluster) return;
    pgCtl("start");
    await server?.stop();
    await sink?.close();
    await remote?.close();
    await schema?.close();
  });

  const health = async () => {
    if (!server.running) throw new Error(`the server exited\n${server.output}`);
    return (await fetch(`${origin}/healthz`)).status;
  };

  it("answers 503 while the database is down, recovers by itself and loses nothing it accepted", async () => {
    const acceptedPosts: string[] = [];
    const acceptedNotes: string[] = [];
    const refused: number[] = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const post = await fetch(`${origin}/api/v1/statuses`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ status: `Traffic ${i}`, visibility: "public" }),
        }).catch(() => null);
        if (post?.ok) acceptedPosts.push((await post.json() as { uri: string }).uri);
        else refused.push(post?.status ?? 0);
        const note = publicNote(bob, {}, `<p>Inbound ${i}</p>`);
        const create = await deliverOverNetwork(`${origin}/users/alice/inbox`,
          { "@context": AS_CONTEXT, id: newId(bob), type: "Create", actor: bob.iri, object: note, to: note.to, cc: note.cc }, bob)
          .catch(() => null);
        if (create && create.status >= 200 && create.status < 300) acceptedNotes.push(note.id as string);
        else refused.push(create?.status ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await waitFor(() => acceptedPosts.length >= 5 && acceptedNotes.length >= 5, { timeoutMs: 30_000, message: "traffic before the restart" });
      pgCtl("stop");
      await waitFor(async () => (await health()) === 503, { timeoutMs: 15_000, message: "/healthz 503 while PostgreSQL is down" });
      const refusedBefore = refused.length;
      await waitFor(() => refused.length >= refusedBefore + 4, { timeoutMs: 15_000, message: "requests refused while down" });
      expect(await health()).toBe(503);
      pgCtl("start");
      await waitFor(async () => (await health()) === 200, { timeoutMs: 30_000, message: "/healthz 200 once PostgreSQL is back" });
      const after = acceptedPosts.length;
      await waitFor(() => acceptedPosts.length >= after + 5, { timeoutMs: 30_000, message: "posts accepted again after the restart" });
    } finally {
      stop = true;
      await traffic;
    }
    expect(server.running, `the server exited\n${server.output}`).toBe(true);
    expect(refused.every((status) => status >= 500), `refusals: ${refused.join(",")}`).toBe(true);

    // Every accepted post is stored and delivered to carol; every accepted Create is stored.
    const storedIris = async (iris: string[]) => new Set((await schema.db.selectFrom("posts").select("iri")
      .where("iri", "in", iris).execute()).map((r) => r.iri));
    await waitFor(async () => (await storedIris(acceptedNotes)).size === acceptedNotes.length,
      { timeoutMs: 40_000, intervalMs: 200, message: "every accepted inbound Create stored" });
    expect((await storedIris(acceptedPosts)).size).toBe(acceptedPosts.length);
    const delivered = () => new Set(sink.received.filter((r) => r.method === "POST" && recipientOf(r) === "carol")
      .map((r) => ((JSON.parse(r.body) as { object?: { id?: string } }).object?.id)));
    await waitFor(() => acceptedPosts.every((uri) => delivered().has(uri)),
      { timeoutMs: 40_000, intervalMs: 200, message: "every accepted post delivered to the follower" }).catch(async (error: unknown) => {
      // What is still queued, and why, for the failure message.
      const rows = await sql`select queue, attempts, available_at, locked_until, payload->>'type' as type, payload->>'inbox' as inbox
        from queue_messages`.execute(schema.db);
      const missing = acceptedPosts.filter((uri) => !delivered().has(uri));
      throw new Error(`${String(error)}\nnot delivered: ${missing.join(" ")}\nqueued: ${JSON.stringify(rows.rows)}\n${server.output.slice(-5000)}`);
    });
  }, 150_000);

  it("a message handled while the database went down is settled once it is back, not when its lease lapses", async () => {
    await enqueueJob(schema.db, "settle", { n: 1 });
    const queue = new KyselyMessageQueue({ db: schema.db, queue: "settle", pollIntervalMs: 100, leaseMs: 60_000 });
    const controller = new AbortController();
    let handled = 0;
    const listening = queue.listen(() => {
      handled++;
      pgCtl("stop"); // the handler is done, but its row cannot be deleted now
    }, { signal: controller.signal });
    try {
      await waitFor(() => handled === 1, { timeoutMs: 20_000, message: "the message handled" });
      pgCtl("start");
      // Well within the 60 s lease: settled by the worker that handled it, not handed to another.
      await waitFor(async () => (await schema.db.selectFrom("queue_messages").select("id").where("queue", "=", "settle").execute()).length === 0,
        { timeoutMs: 20_000, intervalMs: 200, message: "the handled message deleted" });
      expect(handled).toBe(1);
    } finally {
      pgCtl("start");
      controller.abort();
      await listening;
    }
  }, 60_000);
});
