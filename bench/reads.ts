/**
 * Reads (issue 10): requests per second of Plein's actor document, WebFinger,
 * an object (a public post as ActivityStreams) and the Mastodon status API,
 * each for DURATION seconds with autocannon (keep-alive, CONNECTIONS
 * connections). In the same run, the baseline: a bare Fedify 2 federation with
 * an actor dispatcher (an RSA and an Ed25519 key) served by plain node:http
 * (bench/lib/bare-fedify.ts). Both run in processes of their own, one after
 * the other, over plain HTTP on loopback (TLS would cost Plein alone).
 * Target: Plein's actor and object GETs at least 10 times the bare actor GET.
 *
 *   npm run bench:reads                  (PGlite; TEST_DATABASE_URL=... for PostgreSQL)
 *   DURATION=3 npm run bench:reads       (a quick check)
 *
 * Knobs: DURATION (seconds per case, 10), CONNECTIONS (32).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import autocannon from "autocannon";
import { installTemporal } from "../src/temporal.ts";
import { databaseKind, freshDatabase } from "./lib/database.ts";
import { holdBenchmarkLock } from "./lib/lock.ts";
import { describeMachine } from "./lib/machine.ts";
import { atLeast, isFullSize, report } from "./lib/results.ts";
import { healthy, idleMemory, memoryOf, startPleinProcess } from "./lib/server.ts";
import { api, localAccount } from "./lib/setup.ts";
import { knob, round } from "./lib/stats.ts";

installTemporal();

const DEFAULTS = { DURATION: 10 };
const DURATION = Math.max(1, knob("DURATION", DEFAULTS.DURATION));
const CONNECTIONS = Math.max(1, knob("CONNECTIONS", 32));
const ACTIVITY_JSON = "application/activity+json";

interface Throughput {
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

async function load(url: string, accept: string): Promise<Throughput> {
  // A moment of warm-up (JIT, caches, connections), then the measurement.
  await autocannon({ url, connections: CONNECTIONS, duration: 1, headers: { accept } });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers: { accept } });
  return {
    requestsPerSecond: round(r.requests.total / DURATION),
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
  };
}

function print(name: string, t: Throughput): void {
  process.stdout.write(`${name}: ${t.requestsPerSecond} requests/s (p50 ${t.latencyP50Ms} ms, p99 ${t.latencyP99Ms} ms`
    + `${t.non2xx || t.errors ? `, ${t.non2xx} non-2xx, ${t.errors} errors` : ""})\n`);
}

async function bareFedify() {
  const host = "127.0.9.2";
  const origin = `http://${host}`;
  const child = spawn(process.execPath, [join(import.meta.dirname, "lib", "bare-fedify.ts")], {
    env: { PATH: process.env.PATH ?? "", HOST: host, PORT: "80" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await healthy(origin, child, 60_000);
    const actor = await load(`${origin}/users/bench`, ACTIVITY_JSON);
    print("bare Fedify actor", actor);
    const webfinger = await load(`${origin}/.well-known/webfinger?resource=acct:bench@${host}`, "application/jrd+json");
    print("bare Fedify WebFinger", webfinger);
    return { actor, webfinger, peakRssMiB: memoryOf(child.pid!)?.peakRssMiB };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function main(): Promise<void> {
  await holdBenchmarkLock();
  const kind = databaseKind();
  const machine = await describeMachine(kind, process.env.TEST_DATABASE_URL);
  process.stdout.write(`reads: ${DURATION} s per case, ${CONNECTIONS} connections, ${kind}\n`);
  const baseline = await bareFedify();

  const database = await freshDatabase("reads");
  const handle = await database.open();
  let token: string;
  try {
    token = (await localAccount(handle.db, "http://127.0.9.1", "alice")).token;
  } finally {
    await handle.close();
  }
  const plein = await startPleinProcess(database, { tls: false });
  try {
    const idle = await idleMemory(plein.pid);
    const post = await api<{ id: string; uri: string }>(plein.origin, token, "POST", "/api/v1/statuses", { status: "A post to read", visibility: "public" });
    const o = plein.origin;
    const actor = await load(`${o}/users/alice`, ACTIVITY_JSON);
    print("Plein actor", actor);
    const webfinger = await load(`${o}/.well-known/webfinger?resource=acct:alice@${plein.host}`, "application/jrd+json");
    print("Plein WebFinger", webfinger);
    const object = await load(post.uri, ACTIVITY_JSON);
    print("Plein object", object);
    const status = await load(`${o}/api/v1/statuses/${post.id}`, "application/json");
    print("Plein status API", status);
    const peak = plein.memory();
    const base = baseline.actor.requestsPerSecond;
    report({
      benchmark: "reads",
      description: "requests per second of actor, WebFinger, object and status API GETs (autocannon, keep-alive), beside a bare Fedify actor dispatcher",
      date: new Date().toISOString(),
      fullSize: isFullSize({ DURATION }, DEFAULTS),
      parameters: { durationSeconds: DURATION, connections: CONNECTIONS, transport: "plain HTTP on loopback" },
      machine,
      targets: [
        atLeast("actor GETs / bare Fedify actor GETs", round(actor.requestsPerSecond / base, 2), "x", 10),
        atLeast("object GETs / bare Fedify actor GETs", round(object.requestsPerSecond / base, 2), "x", 10),
      ],
      figures: {
        plein: { actor, webfinger, object, status },
        bareFedify: baseline,
        server: { startMs: round(plein.startMs), idleRssMiB: idle?.rssMiB, peakRssMiB: peak?.peakRssMiB },
      },
    });
  } finally {
    await plein.stop();
    await database.drop();
  }
}

await main();
