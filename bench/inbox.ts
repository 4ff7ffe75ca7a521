/**
 * Inbox (issue 10): ACTIVITIES pre-signed `Create`s of public Notes from
 * ACTORS remote actors that Plein has never seen, posted CONCURRENCY at a time
 * to Plein's shared inbox. The actors live on loopback sink servers that serve
 * their documents and keys (Plein fetches each actor once, on its first
 * Create). Reports accepted per second (202 answers) and processed per second
 * (the Note stored as a post, counted in the database until all are there).
 * Before Plein, in the same run, the baseline: the same Creates (signed for
 * its address) posted the same way to a bare Fedify inbox in a process of its
 * own (bench/lib/bare-fedify-inbox.ts: in-memory KV and queue, a listener that
 * only counts), which says what Fedify alone accepts and hands over per second
 * on this machine.
 *
 *   TEST_DATABASE_URL=postgres://... npm run bench:inbox
 *   ACTIVITIES=100 ACTORS=10 ... npm run bench:inbox       (a quick check)
 *
 * Knobs: ACTIVITIES (1,000), ACTORS (50), CONCURRENCY (32). PostgreSQL only:
 * counting what was processed reads the database while Plein runs, which
 * PGlite (one process at a time) does not allow.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { signRequest } from "@fedify/fedify";
import { sql } from "kysely";
import { installTemporal } from "../src/temporal.ts";
import { databaseKind, freshDatabase } from "./lib/database.ts";
import { holdBenchmarkLock } from "./lib/lock.ts";
import { describeMachine } from "./lib/machine.ts";
import { atLeast, isFullSize, report } from "./lib/results.ts";
import { cpuTicksOf, healthy, idleMemory, memoryOf, SPLIT, startPleinProcess, startPleinWorker, TEST_CA } from "./lib/server.ts";
import { api, localAccount } from "./lib/setup.ts";
import { remoteActor, type RemoteActor } from "./lib/remote-actors.ts";
import { startSink, type SinkRequest } from "./lib/sink.ts";
import { knob, round } from "./lib/stats.ts";

installTemporal();

const DEFAULTS = { ACTIVITIES: 1000, ACTORS: 50 };
const ACTIVITIES = knob("ACTIVITIES", DEFAULTS.ACTIVITIES);
const ACTORS = Math.max(1, knob("ACTORS", DEFAULTS.ACTORS));
const CONCURRENCY = Math.max(1, knob("CONCURRENCY", 32));
/** The actors are spread over this many remote instances. */
const HOSTS = Math.min(ACTORS, 10);
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const TIMEOUT_MS = 300_000;

interface Signed {
  headers: Headers;
  body: string;
}

async function signedCreate(inbox: string, actor: RemoteActor, n: number): Promise<Signed> {
  const published = new Date().toISOString();
  const object = `https://${actor.host}/objects/${n}`;
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `https://${actor.host}/activities/create/${n}`,
    type: "Create",
    actor: actor.iri,
    published,
    to: [PUBLIC],
    cc: [`${actor.iri}/followers`],
    object: {
      id: object,
      type: "Note",
      attributedTo: actor.iri,
      content: `<p>Inbox benchmark note ${n}</p>`,
      published,
      url: object,
      to: [PUBLIC],
      cc: [`${actor.iri}/followers`],
    },
  });
  const request = new Request(inbox, { method: "POST", headers: { "content-type": "application/activity+json" }, body });
  const signed = await signRequest(request, actor.privateKey, actor.keyId, { spec: "draft-cavage-http-signatures-12" });
  return { headers: signed.headers, body };
}

/** Posts every Create to `inbox`, CONCURRENCY at a time; the answers' statuses counted. */
async function postAll(inbox: string, creates: readonly Signed[]): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < creates.length) {
      const create = creates[next++]!;
      const response = await fetch(inbox, { method: "POST", headers: create.headers, body: create.body });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }));
  return statuses;
}

/** Waits until `count()` reaches `total` (checked every 25 ms) or TIMEOUT_MS after `started`; when, or NaN. */
async function reached(count: () => Promise<number>, total: number, started: number): Promise<number> {
  while (performance.now() - started < TIMEOUT_MS) {
    if (await count() >= total) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Number.NaN;
}

/** The baseline: the same Creates, signed for its address, to a bare Fedify inbox (bench/lib/bare-fedify-inbox.ts). */
async function bareFedifyInbox(actors: readonly RemoteActor[]) {
  const host = "127.0.9.2";
  const origin = `https://${host}`;
  const creates: Signed[] = [];
  for (let n = 0; n < ACTIVITIES; n++) creates.push(await signedCreate(`${origin}/inbox`, actors[n % ACTORS]!, n));
  const child = spawn(process.execPath, [join(import.meta.dirname, "lib", "bare-fedify-inbox.ts")], {
    env: { PATH: process.env.PATH ?? "", HOST: host, NODE_EXTRA_CA_CERTS: TEST_CA },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await healthy(origin, child, 60_000);
    const cpuAtStart = cpuTicksOf(child.pid!);
    const started = performance.now();
    const handled = async () => Number(await (await fetch(`${origin}/handled`)).text());
    const statuses = await postAll(`${origin}/inbox`, creates);
    const acceptedMs = performance.now() - started;
    const handledMs = await reached(handled, ACTIVITIES, started) - started;
    const accepted = statuses.get(202) ?? 0;
    const figures = {
      accepted,
      answers: Object.fromEntries(statuses),
      handled: await handled(),
      acceptedPerSecond: round(accepted / (acceptedMs / 1000)),
      handledPerSecond: round(ACTIVITIES / (handledMs / 1000)),
      cpuMsPerActivity: round((cpuTicksOf(child.pid!) - cpuAtStart) * 10 / ACTIVITIES),
      peakRssMiB: memoryOf(child.pid!)?.peakRssMiB,
    };
    process.stdout.write(`bare Fedify inbox: ${accepted}/${ACTIVITIES} accepted (${figures.acceptedPerSecond}/s), `
      + `${figures.handled} handed to its listener (${figures.handledPerSecond}/s); answers ${JSON.stringify(figures.answers)}; `
      + `CPU per activity ${figures.cpuMsPerActivity} ms\n`);
    return figures;
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function main(): Promise<void> {
  await holdBenchmarkLock();
  if (databaseKind() !== "postgresql") {
    process.stdout.write("inbox: PostgreSQL only (set TEST_DATABASE_URL); skipped\n");
    return;
  }
  const machine = await describeMachine("postgresql", process.env.TEST_DATABASE_URL);
  process.stdout.write(`inbox: ${ACTIVITIES} Creates from ${ACTORS} new actors on ${HOSTS} instances, ${CONCURRENCY} at a time\n`);
  const actors = await Promise.all(Array.from({ length: ACTORS }, (_, i) => remoteActor(i, HOSTS)));
  const byIri = new Map(actors.map((a) => [a.iri, a]));
  const unexpected: string[] = [];
  const sink = await startSink(HOSTS, (request: SinkRequest) => {
    const url = new URL(request.url);
    const actor = byIri.get(`${url.origin}${url.pathname}`);
    if (request.method === "GET" && actor) {
      return { status: 200, headers: { "content-type": "application/activity+json" }, body: actor.document };
    }
    const collection = /^(.*)\/(followers|following|outbox)$/.exec(`${url.origin}${url.pathname}`);
    if (request.method === "GET" && collection && byIri.has(collection[1]!)) {
      return {
        status: 200,
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: collection[0], type: "OrderedCollection", totalItems: 0, orderedItems: [] }),
      };
    }
    if (request.method === "GET" && url.pathname === "/.well-known/webfinger") {
      const [user, host] = (url.searchParams.get("resource") ?? "").replace(/^acct:/, "").split("@");
      const found = actors.find((a) => a.username === user && a.host === host);
      if (found) {
        return {
          status: 200,
          headers: { "content-type": "application/jrd+json" },
          body: JSON.stringify({ subject: `acct:${user}@${host}`, links: [{ rel: "self", type: "application/activity+json", href: found.iri }] }),
        };
      }
    }
    unexpected.push(`${request.method} ${request.url}`);
    return { status: 404 };
  });

  const bare = await bareFedifyInbox(actors);
  const database = await freshDatabase("inbox");
  const handle = await database.open(2);
  try {
    const origin = "https://127.0.9.1";
    const reader = await localAccount(handle.db, origin, "reader");
    const plein = await startPleinProcess(database, SPLIT ? { env: { PLEIN_ROLE: "web" } } : {});
    const worker = SPLIT ? await startPleinWorker(database, handle.db) : undefined;
    try {
      const idle = await idleMemory(plein.pid);
      process.stdout.write("signing the Creates...\n");
      const inbox = `${plein.origin}/inbox`;
      const creates: Signed[] = [];
      for (let n = 0; n < ACTIVITIES; n++) creates.push(await signedCreate(inbox, actors[n % ACTORS]!, n));

      const stored = async () => Number((await sql<{ n: string }>`
        select count(*) as n from posts where iri like 'https://127.100.%/objects/%'`.execute(handle.db)).rows[0]!.n);
      // CPU each Plein process spends, from the first request until everything is stored.
      const cpuAtStart = { plein: cpuTicksOf(plein.pid), worker: worker ? cpuTicksOf(worker.pid) : Number.NaN };
      const started = performance.now();
      const counting = reached(stored, ACTIVITIES, started);
      const statuses = await postAll(inbox, creates);
      const acceptedAt = performance.now();
      const processedAt = await counting;
      const cpuMs = (pid: number, start: number) => round((cpuTicksOf(pid) - start) * 10);
      const cpu = { plein: cpuMs(plein.pid, cpuAtStart.plein), ...(worker ? { worker: cpuMs(worker.pid, cpuAtStart.worker) } : {}) };
      const peak = plein.memory();
      const accepted = statuses.get(202) ?? 0;
      const processed = await stored();
      const acceptedMs = acceptedAt - started;
      const processedMs = processedAt - started;
      // "visible in timelines": the public timeline shows them.
      const timeline = await api<Array<{ uri: string }>>(plein.origin, reader.token, "GET", "/api/v1/timelines/public?remote=true&limit=40");
      const figures = {
        accepted,
        answers: Object.fromEntries(statuses),
        processed,
        acceptedMs: round(acceptedMs),
        processedMs: round(processedMs),
        acceptedPerSecond: round(accepted / (acceptedMs / 1000)),
        processedPerSecond: round(processed / (processedMs / 1000)),
        // Milliseconds of CPU per activity: `plein` accepts (and, without SPLIT, also processes), `worker` processes.
        cpuMsPerActivity: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, round(ms / ACTIVITIES)])),
        inPublicTimeline: timeline.filter((s) => s.uri.startsWith("https://127.100.")).length,
        unexpectedRequests: unexpected.slice(0, 10),
        unexpectedRequestCount: unexpected.length,
        server: { startMs: round(plein.startMs), idleRssMiB: idle?.rssMiB, peakRssMiB: peak?.peakRssMiB },
        processes: SPLIT ? "plein web + plein worker" : "plein serve",
        // Not a target: Plein beside bare Fedify on the same machine, in the same run.
        bareFedify: bare,
        ofBareFedify: {
          accepted: round(accepted / (acceptedMs / 1000) / bare.acceptedPerSecond, 2),
          processed: round(processed / (processedMs / 1000) / bare.handledPerSecond, 2),
        },
        ...(worker ? { worker: { peakRssMiB: worker.memory()?.peakRssMiB } } : {}),
      };
      process.stdout.write(`${accepted}/${ACTIVITIES} accepted in ${figures.acceptedMs} ms (${figures.acceptedPerSecond}/s), `
        + `${processed} stored in ${figures.processedMs} ms (${figures.processedPerSecond}/s); answers ${JSON.stringify(figures.answers)}, `
        + `peak RSS ${peak?.peakRssMiB} MiB; CPU per activity ${JSON.stringify(figures.cpuMsPerActivity)} ms; `
        + `of bare Fedify: ${figures.ofBareFedify.accepted} accepted, ${figures.ofBareFedify.processed} processed\n`);
      report({
        benchmark: "inbox",
        description: "pre-signed Creates of public Notes from remote actors new to Plein, posted concurrently to its shared inbox",
        date: new Date().toISOString(),
        fullSize: isFullSize({ ACTIVITIES, ACTORS }, DEFAULTS),
        parameters: { activities: ACTIVITIES, actors: ACTORS, instances: HOSTS, concurrency: CONCURRENCY },
        machine,
        targets: [
          atLeast("accepted per second", figures.acceptedPerSecond, "/s", 1000),
          atLeast("processed (stored, in timelines) per second", figures.processedPerSecond, "/s", 500),
        ],
        figures,
      });
    } finally {
      await worker?.stop();
      await plein.stop();
    }
  } finally {
    await handle.close();
    await database.drop();
    await sink.close();
  }
}

await main();
