/**
 * Fan-out (issue 10): one post in a local group whose MEMBERS remote members
 * live on INSTANCES remote instances, delivered to loopback sink servers that
 * verify every HTTP Signature (Fedify's verifyRequest, the group's key fetched
 * once from Plein and cached). Two runs, each on a fresh database and a fresh
 * Plein process: members with a shared inbox (one delivery per instance) and
 * without (one per member). Before them, the signing limit: RSA-2048
 * signatures per second on all cores. After each, the ceiling: the same
 * deliveries (the activity Plein sent, to the same inboxes) from a sender that
 * does nothing else (bench/lib/ideal-sender.ts), verified by the same sinks.
 *
 *   npm run bench:fanout                       (10,000 members on 1,000 instances)
 *   MEMBERS=200 INSTANCES=20 npm run bench:fanout   (a quick check)
 *
 * Knobs: MEMBERS, INSTANCES (at most 1,000), SHARED=both|yes|no,
 * GROUP_VISIBILITY=closed|public (a public group sends two activities per inbox),
 * WORKERS (PostgreSQL only: deliver from this many `plein worker` processes
 * beside one `plein web`, instead of one `plein serve`),
 * TEST_DATABASE_URL (PostgreSQL; PGlite otherwise).
 * The remote members and their inboxes are inserted by SQL: the benchmark
 * measures delivery, not discovery.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { verifyRequest, type KeyCache } from "@fedify/fedify";
import { CryptographicKey, type Multikey } from "@fedify/vocab";
import { sql } from "kysely";
import pg from "pg";
import { createGroup } from "../src/domain/groups.ts";
import "../src/modules/builtin.ts";
import { defaultModules } from "../src/modules/registry.ts";
import { installTemporal } from "../src/temporal.ts";
import { createSafeDocumentLoader } from "../federation/loader.ts";
import { freshDatabase, databaseKind } from "./lib/database.ts";
import { holdBenchmarkLock } from "./lib/lock.ts";
import { describeMachine } from "./lib/machine.ts";
import { atLeast, isFullSize, report } from "./lib/results.ts";
import { cpuTicksOf, idleMemory, startPleinProcess, startPleinWorker, TEST_CA, type Memory } from "./lib/server.ts";
import { analyze, api, localAccount } from "./lib/setup.ts";
import { rsaSigningLimit } from "./lib/signing.ts";
import { MAX_SINK_HOSTS, startSink, type SinkRequest } from "./lib/sink.ts";
import { knob, round } from "./lib/stats.ts";

installTemporal();

const DEFAULTS = { MEMBERS: 10_000, INSTANCES: 1_000 };
const MEMBERS = knob("MEMBERS", DEFAULTS.MEMBERS);
const INSTANCES = Math.min(knob("INSTANCES", DEFAULTS.INSTANCES), MAX_SINK_HOSTS, MEMBERS);
const SHARED = process.env.SHARED || "both";
const VISIBILITY = process.env.GROUP_VISIBILITY === "public" ? "public" : "closed";
const WORKERS = knob("WORKERS", 0);
/** Give up when no delivery arrived for this long. */
const QUIET_TIMEOUT_MS = 60_000;

/** The group's key, fetched once: concurrent verifications wait for the first fetch instead of each fetching it. */
class OnceKeyCache implements KeyCache {
  readonly #keys = new Map<string, Promise<CryptographicKey | Multikey | null | undefined>>();
  readonly #pending = new Map<string, (key: CryptographicKey | Multikey | null | undefined) => void>();

  get(keyId: URL): Promise<CryptographicKey | Multikey | null | undefined> {
    const known = this.#keys.get(keyId.href);
    if (known) return known;
    // This caller fetches; the others wait for it (at most 10 s, then fetch themselves).
    this.#keys.set(keyId.href, new Promise((resolve) => {
      this.#pending.set(keyId.href, resolve);
      setTimeout(() => resolve(undefined), 10_000).unref();
    }));
    return Promise.resolve(undefined);
  }

  async set(keyId: URL, key: CryptographicKey | Multikey | null): Promise<void> {
    this.#keys.set(keyId.href, Promise.resolve(key));
    this.#pending.get(keyId.href)?.(key);
    this.#pending.delete(keyId.href);
  }
}

interface Delivery {
  atMs: number;
  inbox: string;
  activityId: string;
}

interface Run {
  keyCache: OnceKeyCache;
  deliveries: Delivery[];
  refused: number;
  unexpected: string[];
  lastArrival: number;
  /** The first activity received, as sent. */
  sample?: string;
}

const loader = createSafeDocumentLoader({ allowPrivateAddress: true });
let current: Run | undefined;

async function receive(request: SinkRequest) {
  const run = current;
  if (!run || request.method !== "POST" || !/\/inbox$/.test(new URL(request.url).pathname)) {
    run?.unexpected.push(`${request.method} ${request.url}`);
    return { status: 404 };
  }
  const spec = request.headers.has("signature-input") ? "rfc9421" as const : "draft-cavage-http-signatures-12" as const;
  const key = await verifyRequest(new Request(request.url, { method: "POST", headers: request.headers, body: new Uint8Array(request.body) }), {
    documentLoader: loader, contextLoader: loader, keyCache: run.keyCache, spec,
  }).catch(() => null);
  if (!key) {
    run.refused++;
    return { status: 401 };
  }
  const activity = JSON.parse(request.body.toString("utf8")) as { id?: string };
  run.lastArrival = performance.now();
  run.sample ??= request.body.toString("utf8");
  run.deliveries.push({ atMs: run.lastArrival, inbox: request.url, activityId: activity.id ?? "" });
  return { status: 202 };
}

/** Transactions committed in the benchmark's PostgreSQL database so far (NaN on PGlite). */
async function transactionCount(url: string | undefined): Promise<number> {
  if (url === undefined) return Number.NaN;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The statistics are read at the start of a transaction and cached: clear them first.
    await client.query("select pg_stat_clear_snapshot()");
    const { rows } = await client.query<{ n: string }>("select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()");
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

async function fanOut(shared: boolean) {
  const database = await freshDatabase(`fanout_${shared ? "shared" : "personal"}`);
  const origin = "https://127.0.9.1";
  const handle = await database.open();
  let group: string;
  let token: string;
  try {
    const owner = await localAccount(handle.db, origin, "owner");
    token = owner.token;
    const view = await createGroup(handle.db, new URL(origin), owner.actor, { name: "fanout", visibility: VISIBILITY, joinMode: "open", modules: defaultModules() });
    group = view.actor.id;
    await sql`
      insert into actors (iri, type, username, domain, local, inbox_url, shared_inbox_url, fetched_at)
      select 'https://' || host || '/users/m' || i, 'Person', 'm' || i, host, false,
             'https://' || host || '/users/m' || i || '/inbox',
             case when ${shared} then 'https://' || host || '/inbox' end, now()
      from (select i, '127.100.' || ((i % ${INSTANCES}) / 250) || '.' || ((i % ${INSTANCES}) % 250 + 1) as host
            from generate_series(0, ${MEMBERS - 1}) as i) as members`.execute(handle.db);
    await sql`
      insert into memberships (group_id, member_id, state)
      select ${group}::bigint, id, 'member' from actors where domain like '127.100.%'`.execute(handle.db);
    await analyze(handle.db);
  } finally {
    await handle.close();
  }

  const plein = await startPleinProcess(database, WORKERS > 0 ? { env: { PLEIN_ROLE: "web" } } : {});
  const watcher = WORKERS > 0 ? await database.open(1) : undefined;
  const workers: Array<Awaited<ReturnType<typeof startPleinWorker>>> = [];
  try {
    for (let i = 0; i < WORKERS; i++) workers.push(await startPleinWorker(database, watcher!.db));
    const idle = await idleMemory(plein.pid);
    const run: Run = { keyCache: new OnceKeyCache(), deliveries: [], refused: 0, unexpected: [], lastArrival: 0 };
    current = run;
    const activitiesPerInbox = VISIBILITY === "public" ? 2 : 1;
    const expected = (shared ? INSTANCES : MEMBERS) * activitiesPerInbox;
    const transactionsBefore = await transactionCount(database.url);
    const pids = [plein.pid, ...workers.map((w) => w.pid)];
    const cpuBefore = pids.map(cpuTicksOf);
    const started = performance.now();
    await api(plein.origin, token, "POST", `/api/plein/v1/groups/${group}/posts`, { text: `Fan-out ${crypto.randomUUID()}` });
    const answeredMs = performance.now() - started;
    run.lastArrival = performance.now();
    while (run.deliveries.length < expected && performance.now() - run.lastArrival < QUIET_TIMEOUT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    current = undefined;
    const transactions = await transactionCount(database.url) - transactionsBefore;
    // CPU of Plein's processes (ticks of 1/100 s) from the post until the last delivery arrived (or the wait gave up).
    const cpuMs = pids.reduce((sum, pid, i) => sum + (cpuTicksOf(pid) - cpuBefore[i]!) * 10, 0);
    const peak: Memory | undefined = plein.memory();
    const deliveries = run.deliveries.length;
    const lastMs = deliveries ? run.deliveries.at(-1)!.atMs - started : Number.NaN;
    const firstMs = deliveries ? run.deliveries[0]!.atMs - started : Number.NaN;
    const distinct = new Set(run.deliveries.map((d) => `${d.inbox} ${d.activityId}`)).size;
    const hosts = new Set(run.deliveries.map((d) => new URL(d.inbox).host)).size;
    const figures = {
      inboxes: shared ? "shared" : "personal",
      expectedDeliveries: expected,
      deliveries,
      complete: deliveries >= expected,
      refusedSignatures: run.refused,
      duplicateDeliveries: deliveries - distinct,
      instancesReached: hosts,
      membersPerDelivery: round(MEMBERS * activitiesPerInbox / Math.max(1, deliveries), 2),
      apiAnswerMs: round(answeredMs),
      firstDeliveryMs: round(firstMs),
      lastInboxMs: round(lastMs),
      deliveriesPerSecond: round(deliveries / (lastMs / 1000)),
      // Load-independent: database transactions (statements outside a transaction count one each) per delivery.
      databaseTransactionsPerDelivery: Number.isNaN(transactions) ? null : round(transactions / Math.max(1, deliveries), 2),
      // Load-independent too: milliseconds of CPU Plein's processes spent per delivery (the sinks' and PostgreSQL's not counted).
      pleinCpuMsPerDelivery: round(cpuMs / Math.max(1, deliveries), 2),
      unexpectedRequests: run.unexpected.slice(0, 10),
      unexpectedRequestCount: run.unexpected.length,
      server: { startMs: round(plein.startMs), idleRssMiB: idle?.rssMiB, peakRssMiB: peak?.peakRssMiB },
      ...(workers.length > 0 ? { workers: workers.map((w) => ({ peakRssMiB: w.memory()?.peakRssMiB })) } : {}),
    };
    process.stdout.write(`${figures.inboxes} inboxes: ${deliveries}/${expected} deliveries verified, last after ${figures.lastInboxMs} ms, `
      + `${figures.deliveriesPerSecond}/s, ${figures.databaseTransactionsPerDelivery ?? "?"} database transactions and ${figures.pleinCpuMsPerDelivery} ms of Plein's CPU each, ${run.refused} refused, ${figures.duplicateDeliveries} duplicates, peak RSS ${peak?.peakRssMiB} MiB\n`);
    return { figures, sample: run.sample };
  } finally {
    for (const worker of workers) await worker.stop();
    await watcher?.close();
    await plein.stop();
    await database.drop();
  }
}

/**
 * The ceiling for `shared`: the activity Plein sent, to the same inboxes,
 * verified by the same sinks, from bench/lib/ideal-sender.ts in a process of
 * its own (a key of its own, which the sinks are given).
 */
async function idealSender(shared: boolean, body: string) {
  const owner = new URL("https://127.0.9.3/users/ideal");
  const keyId = new URL(`${owner.href}#main-key`);
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"]);
  const run: Run = { keyCache: new OnceKeyCache(), deliveries: [], refused: 0, unexpected: [], lastArrival: 0 };
  await run.keyCache.set(keyId, new CryptographicKey({ id: keyId, owner, publicKey }));
  current = run;
  const child = spawn(process.execPath, [join(import.meta.dirname, "lib", "ideal-sender.ts")], {
    env: {
      PATH: process.env.PATH ?? "", NODE_EXTRA_CA_CERTS: TEST_CA, MEMBERS: String(MEMBERS), INSTANCES: String(INSTANCES),
      SHARED: shared ? "yes" : "no", KEY_ID: keyId.href, JWK: JSON.stringify(await crypto.subtle.exportKey("jwk", privateKey)), BODY: body,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  current = undefined;
  if (code !== 0) throw new Error(`ideal-sender exited with code ${code}`);
  const sent = JSON.parse(output) as { sent: number; ms: number; cpuMs: number; answers: Record<string, number> };
  const figures = {
    inboxes: shared ? "shared" : "personal",
    deliveries: run.deliveries.length,
    refusedSignatures: run.refused,
    deliveriesPerSecond: round(run.deliveries.length / (sent.ms / 1000)),
    senderCpuMsPerDelivery: round(sent.cpuMs / Math.max(1, run.deliveries.length), 2),
  };
  process.stdout.write(`ceiling, ${figures.inboxes} inboxes: ${figures.deliveries}/${sent.sent} verified, ${figures.deliveriesPerSecond}/s, `
    + `${figures.senderCpuMsPerDelivery} ms of the sender's CPU each, ${run.refused} refused\n`);
  return figures;
}

async function main(): Promise<void> {
  await holdBenchmarkLock();
  const kind = databaseKind();
  if (WORKERS > 0 && kind !== "postgresql") throw new Error("WORKERS needs PostgreSQL (TEST_DATABASE_URL): PGlite is one process's");
  const machine = await describeMachine(kind, process.env.TEST_DATABASE_URL);
  process.stdout.write(`fan-out: ${MEMBERS} members on ${INSTANCES} instances, ${VISIBILITY} group, ${kind}\nmeasuring the signing limit...\n`);
  const signing = await rsaSigningLimit();
  process.stdout.write(`RSA-2048 signatures per second: ${signing.perSecond} on all cores, ${signing.perSecondOneCore} on one\n`);
  const sink = await startSink(INSTANCES, receive);
  const runs: Array<Awaited<ReturnType<typeof fanOut>>["figures"] & { ceiling?: Awaited<ReturnType<typeof idealSender>>; ofCeiling?: number }> = [];
  try {
    for (const shared of SHARED === "yes" ? [true] : SHARED === "no" ? [false] : [true, false]) {
      const { figures, sample } = await fanOut(shared);
      // Not a target: what this machine delivers at most to these sinks, measured right after.
      const ceiling = sample === undefined ? undefined : await idealSender(shared, sample);
      runs.push({ ...figures, ...(ceiling ? { ceiling, ofCeiling: round(figures.deliveriesPerSecond / ceiling.deliveriesPerSecond, 2) } : {}) });
    }
  } finally {
    await sink.close();
  }
  const targets = runs.flatMap((r) => [
    atLeast(`signed deliveries per second (${r.inboxes} inboxes)`, r.deliveriesPerSecond, "/s", 1500),
    atLeast(`share of the signing limit (${r.inboxes} inboxes)`, round(r.deliveriesPerSecond / signing.perSecond, 2), "", 0.5),
  ]);
  report({
    benchmark: "fanout",
    description: "one post in a group with remote members on many instances: signed deliveries to loopback sinks that verify every signature",
    date: new Date().toISOString(),
    fullSize: isFullSize({ MEMBERS, INSTANCES }, DEFAULTS) && SHARED === "both",
    parameters: {
      members: MEMBERS, instances: INSTANCES, shared: SHARED, groupVisibility: VISIBILITY,
      processes: WORKERS > 0 ? `plein web + ${WORKERS} plein worker` : "plein serve",
    },
    machine,
    targets,
    figures: { signingLimit: signing, runs },
  });
}

await main();
