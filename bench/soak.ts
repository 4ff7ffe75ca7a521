/**
 * Soak (issue 10): SOAK_SECONDS of mixed load at a fixed rate, open loop
 * (each request starts at its scheduled time whether or not the earlier ones
 * have answered), on Plein as deployed; its RSS is sampled all along and,
 * after a warm-up (the first 20% of the run), a least-squares line through
 * the samples says whether memory grows.
 *
 * Every second, times SOAK_RATE: 20 home-timeline reads, 10 public-timeline
 * reads, 10 status GETs, 10 actor/WebFinger GETs, 3 new statuses (one in
 * three in a group with members on a sink; the others go to the author's
 * followers, remote actors on the sink), 2 favourites, 5 inbox Creates from
 * the remote actors (signed as they are sent).
 *
 *   TEST_DATABASE_URL=postgres://... npm run bench:soak     (600 s on PostgreSQL)
 *   SOAK_SECONDS=60 npm run bench:soak                      (a short run on PGlite)
 *
 * Knobs: SOAK_SECONDS (600), SOAK_RATE (1, multiplies every rate),
 * MAX_IN_FLIGHT (256: requests beyond it wait, and their wait counts as lag;
 * those still waiting when the time is up are not sent, and counted).
 * BENCH_HEAP_SNAPSHOTS=1: heap snapshots of Plein at the end of the warm-up and
 * at the end, in bench/results/profiles/ (compare them in DevTools' Memory tab).
 * Heap and queue depth come from Plein's own /metrics (prom-client's process
 * metrics), opened with a token for the run: Plein is not instrumented.
 */
import { loadavg } from "node:os";
import { signRequest } from "@fedify/fedify";
import { sql } from "kysely";
import { createGroup } from "../src/domain/groups.ts";
import "../src/modules/builtin.ts";
import { defaultModules } from "../src/modules/registry.ts";
import { installTemporal } from "../src/temporal.ts";
import { databaseKind, freshDatabase } from "./lib/database.ts";
import { holdBenchmarkLock } from "./lib/lock.ts";
import { describeMachine } from "./lib/machine.ts";
import { below, isFullSize, report } from "./lib/results.ts";
import { idleMemory, memoryOf, startPleinProcess } from "./lib/server.ts";
import { api, localAccount } from "./lib/setup.ts";
import { remoteActor, type RemoteActor } from "./lib/remote-actors.ts";
import { type SinkRequest, startSink } from "./lib/sink.ts";
import { knob, latencies, round } from "./lib/stats.ts";

installTemporal();

const DEFAULTS = { SOAK_SECONDS: 600, SOAK_RATE: 1 };
const SECONDS = Math.max(1, knob("SOAK_SECONDS", DEFAULTS.SOAK_SECONDS));
const RATE = rateKnob();
const MAX_IN_FLIGHT = Math.max(1, knob("MAX_IN_FLIGHT", 256));
const LOCAL_ACCOUNTS = 5;
const REMOTE_ACTORS = 5;
const GROUP_MEMBERS_REMOTE = 20;
const HOSTS = 5;
const WARM_UP = 0.2;
/** SOAK_RATE: a positive number (0.5 halves every rate). */
function rateKnob(): number {
  const raw = process.env.SOAK_RATE;
  if (raw === undefined || raw === "") return DEFAULTS.SOAK_RATE;
  const value = Number(raw);
  if (!(value > 0 && value <= 100)) throw new Error(`SOAK_RATE must be a number above 0 (got "${raw}")`);
  return value;
}
/** RSS and heap every this many seconds (10 s; shorter runs sample more often to have a line to fit). */
const SAMPLE_SECONDS = Math.min(10, Math.max(1, Math.round(SECONDS / 30)));
/** A request that starts later than this after its scheduled time is behind schedule. */
const BEHIND_MS = 1000;
const METRICS_TOKEN = `soak-${crypto.randomUUID()}`;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** Requests per second of each kind, before SOAK_RATE. */
const MIX = {
  home: 20,
  public: 10,
  status: 10,
  actorOrWebfinger: 10,
  newStatus: 3,
  favourite: 2,
  inboxCreate: 5,
} as const;
type Kind = keyof typeof MIX;

async function signedPost(url: string, actor: RemoteActor, activity: Record<string, unknown>): Promise<Request> {
  const body = JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", actor: actor.iri, ...activity });
  const request = new Request(url, { method: "POST", headers: { "content-type": "application/activity+json" }, body });
  return signRequest(request, actor.privateKey, actor.keyId, { spec: "draft-cavage-http-signatures-12" });
}

function createActivity(actor: RemoteActor, n: number): Record<string, unknown> {
  const published = new Date().toISOString();
  const object = `https://${actor.host}/objects/soak-${n}`;
  return {
    id: `https://${actor.host}/activities/create/soak-${n}`,
    type: "Create",
    published,
    to: [PUBLIC],
    cc: [`${actor.iri}/followers`],
    object: {
      id: object, type: "Note", attributedTo: actor.iri, content: `<p>Soak note ${n}</p>`, published, url: object,
      to: [PUBLIC], cc: [`${actor.iri}/followers`],
    },
  };
}

/** Least squares: y = intercept + slope * x. */
function fitLine(points: ReadonlyArray<{ x: number; y: number }>): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: points[0]?.y ?? Number.NaN };
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const slope = sxx ? sxy / sxx : Number.NaN;
  return { slope, intercept: my - slope * mx };
}

/** Plein's /metrics: the V8 heap in use and the queues' depth (ready, delayed, running). */
async function scrape(origin: string): Promise<{ heapUsedMiB: number; queueDepth: number } | undefined> {
  try {
    const response = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (!response.ok) return undefined;
    const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    let queueDepth = 0;
    for (const m of text.matchAll(/^plein_queue_depth\{[^}]*\} (\S+)$/gm)) queueDepth += Number(m[1]);
    return { heapUsedMiB: heap ? round(Number(heap[1]) / 2 ** 20) : Number.NaN, queueDepth };
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "TypeError")) return undefined;
    throw error;
  }
}

interface Sample {
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number | undefined;
  queueDepth: number | undefined;
  /** the load generator's requests waiting for an answer */
  inFlight: number;
}

async function main(): Promise<void> {
  await holdBenchmarkLock();
  const kind = databaseKind();
  const machine = await describeMachine(kind, process.env.TEST_DATABASE_URL);
  const perSecond = Object.values(MIX).reduce((a, b) => a + b, 0) * RATE;
  process.stdout.write(`soak: ${SECONDS} s at ${perSecond} requests/s (rate x${RATE}), samples every ${SAMPLE_SECONDS} s, ${kind}\n`);

  const actors = await Promise.all(Array.from({ length: REMOTE_ACTORS }, (_, i) => remoteActor(i, HOSTS)));
  const byIri = new Map(actors.map((a) => [a.iri, a]));
  const sinkPosts = new Map<string, number>();
  const unexpected: string[] = [];
  const sink = await startSink(HOSTS, (request: SinkRequest) => {
    const url = new URL(request.url);
    const path = `${url.origin}${url.pathname}`;
    if (request.method === "POST" && url.pathname.endsWith("/inbox")) {
      const type = (JSON.parse(request.body.toString("utf8")) as { type?: string }).type ?? "?";
      sinkPosts.set(type, (sinkPosts.get(type) ?? 0) + 1);
      return { status: 202 };
    }
    const actor = byIri.get(path);
    if (request.method === "GET" && actor) return { status: 200, headers: { "content-type": "application/activity+json" }, body: actor.document };
    const collection = /^(.*)\/(followers|following|outbox)$/.exec(path);
    if (request.method === "GET" && collection && byIri.has(collection[1]!)) {
      return {
        status: 200,
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: path, type: "OrderedCollection", totalItems: 0, orderedItems: [] }),
      };
    }
    unexpected.push(`${request.method} ${request.url}`);
    return { status: 404 };
  });

  const origin = "https://127.0.9.1";
  const database = await freshDatabase("soak");
  const handle = await database.open();
  const locals: Array<{ id: string; username: string; token: string }> = [];
  let groupId: string;
  try {
    for (let i = 0; i < LOCAL_ACCOUNTS; i++) {
      const { actor, token } = await localAccount(handle.db, origin, `u${i}`);
      locals.push({ id: actor.id, username: `u${i}`, token });
    }
    const owner = await handle.db.selectFrom("actors").selectAll().where("id", "=", locals[0]!.id).executeTakeFirstOrThrow();
    const group = await createGroup(handle.db, new URL(origin), owner, { name: "soak", visibility: "closed", joinMode: "open", modules: defaultModules() });
    groupId = group.actor.id;
    // Remote members on the sink (by SQL, as the fan-out benchmark does: delivery, not discovery) and the other local accounts.
    await sql`
      insert into actors (iri, type, username, domain, local, inbox_url, shared_inbox_url, fetched_at)
      select 'https://' || host || '/users/m' || i, 'Person', 'm' || i, host, false,
             'https://' || host || '/users/m' || i || '/inbox', 'https://' || host || '/inbox', now()
      from (select i, '127.100.0.' || (i % ${HOSTS} + 1) as host from generate_series(0, ${GROUP_MEMBERS_REMOTE - 1}) as i) as members`.execute(handle.db);
    await sql`
      insert into memberships (group_id, member_id, state)
      select ${groupId}::bigint, id, 'member' from actors
      where (domain like '127.100.%' and username like 'm%') or (local and id <> ${locals[0]!.id}::bigint and id <> ${groupId}::bigint)
      on conflict do nothing`.execute(handle.db);
  } finally {
    await handle.close();
  }

  const plein = await startPleinProcess(database, { env: { PLEIN_METRICS_TOKEN: METRICS_TOKEN } });
  const statusIds: string[] = [];
  const rememberStatus = (id: string) => {
    statusIds.push(id);
    if (statusIds.length > 1000) statusIds.splice(0, statusIds.length - 1000);
  };
  try {
    const idle = await idleMemory(plein.pid);
    // Local accounts follow each other (home timelines), remote actors follow every local account (their posts go to the sink).
    for (const a of locals) {
      for (const b of locals) if (a !== b) await api(plein.origin, a.token, "POST", `/api/v1/accounts/${b.id}/follow`, {});
    }
    let followN = 0;
    for (const actor of actors) {
      for (const local of locals) {
        const request = await signedPost(`${plein.origin}/users/${local.username}/inbox`, actor, {
          id: `${actor.iri}/follows/${followN++}`, type: "Follow", object: `${plein.origin}/users/${local.username}`,
        });
        const response = await fetch(request);
        await response.arrayBuffer();
        if (response.status >= 300) throw new Error(`Follow from ${actor.iri}: ${response.status}`);
      }
    }
    const acceptsDue = actors.length * locals.length;
    const acceptDeadline = performance.now() + 120_000;
    while ((sinkPosts.get("Accept") ?? 0) < acceptsDue && performance.now() < acceptDeadline) await new Promise((r) => setTimeout(r, 100));
    process.stdout.write(`set up: ${locals.length} local accounts, ${actors.length} remote followers each (${sinkPosts.get("Accept") ?? 0}/${acceptsDue} Accepts), `
      + `a group with ${GROUP_MEMBERS_REMOTE} remote members; idle RSS ${idle?.rssMiB} MiB\n`);
    for (const local of locals) {
      rememberStatus((await api<{ id: string }>(plein.origin, local.token, "POST", "/api/v1/statuses", { status: `First post of ${local.username}`, visibility: "public" })).id);
    }

    // The schedule: every kind's requests evenly spread over each second.
    const events: Array<{ at: number; kind: Kind; i: number }> = [];
    for (const [k, n] of Object.entries(MIX) as Array<[Kind, number]>) {
      const perSecondOfKind = n * RATE;
      const total = Math.round(SECONDS * perSecondOfKind);
      for (let i = 0; i < total; i++) events.push({ at: (i + 0.5) / perSecondOfKind * 1000, kind: k, i });
    }
    events.sort((a, b) => a.at - b.at);

    const counts = new Map<string, { requests: number; non2xx: Record<string, number>; failed: number; ms: number[] }>();
    const lateness: number[] = [];
    let behind = 0;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
    let createN = 0;
    const o = plein.origin;

    /** One request of a kind: its endpoint name and the Request. */
    async function build(kind: Kind, i: number): Promise<{ endpoint: string; request: Request; after?: (body: string) => void }> {
      const local = pick(locals);
      const auth = { authorization: `Bearer ${local.token}`, accept: "application/json" };
      switch (kind) {
        case "home":
          return { endpoint: "GET /api/v1/timelines/home", request: new Request(`${o}/api/v1/timelines/home?limit=20`, { headers: auth }) };
        case "public":
          return {
            endpoint: "GET /api/v1/timelines/public",
            request: new Request(`${o}/api/v1/timelines/public?limit=20`, { headers: auth }),
            // Remote posts for the favourites, a few per page.
            after: (body) => {
              for (const s of (JSON.parse(body) as Array<{ id: string }>).slice(0, 3)) rememberStatus(s.id);
            },
          };
        case "status":
          return { endpoint: "GET /api/v1/statuses/:id", request: new Request(`${o}/api/v1/statuses/${pick(statusIds)}`, { headers: auth }) };
        case "actorOrWebfinger":
          return i % 2
            ? { endpoint: "GET /users/:name", request: new Request(`${o}/users/${local.username}`, { headers: { accept: "application/activity+json" } }) }
            : { endpoint: "GET /.well-known/webfinger", request: new Request(`${o}/.well-known/webfinger?resource=acct:${local.username}@${plein.host}`, { headers: { accept: "application/jrd+json" } }) };
        case "newStatus": {
          const inGroup = i % 3 === 0;
          const json = { ...auth, "content-type": "application/json" };
          const after = (body: string) => rememberStatus((JSON.parse(body) as { id: string }).id);
          return inGroup
            ? { endpoint: "POST /api/plein/v1/groups/:id/posts", request: new Request(`${o}/api/plein/v1/groups/${groupId}/posts`, { method: "POST", headers: json, body: JSON.stringify({ text: `Soak group post ${i}` }) }), after }
            : { endpoint: "POST /api/v1/statuses", request: new Request(`${o}/api/v1/statuses`, { method: "POST", headers: json, body: JSON.stringify({ status: `Soak post ${i}`, visibility: "public" }) }), after };
        }
        case "favourite":
          return { endpoint: "POST /api/v1/statuses/:id/favourite", request: new Request(`${o}/api/v1/statuses/${pick(statusIds)}/favourite`, { method: "POST", headers: auth }) };
        case "inboxCreate": {
          const actor = actors[i % actors.length]!;
          return { endpoint: "POST /inbox (Create)", request: await signedPost(`${o}/inbox`, actor, createActivity(actor, createN++)) };
        }
      }
    }

    async function send(event: { at: number; kind: Kind; i: number }, started: number): Promise<void> {
      const late = performance.now() - started - event.at;
      lateness.push(late);
      if (late > BEHIND_MS) behind++;
      const { endpoint, request, after } = await build(event.kind, event.i);
      let entry = counts.get(endpoint);
      if (!entry) counts.set(endpoint, entry = { requests: 0, non2xx: {}, failed: 0, ms: [] });
      entry.requests++;
      const t0 = performance.now();
      try {
        const response = await fetch(request, { signal: AbortSignal.timeout(30_000) });
        const body = await response.text();
        entry.ms.push(performance.now() - t0);
        if (response.status < 200 || response.status > 299) {
          entry.non2xx[response.status] = (entry.non2xx[response.status] ?? 0) + 1;
          if (entry.failed + Object.values(entry.non2xx).reduce((a, b) => a + b, 0) <= 3) {
            process.stderr.write(`${endpoint}: ${response.status} ${body.slice(0, 200)}\n`);
          }
        } else if (after && body) after(body);
      } catch (error) {
        if (!(error instanceof Error && (error.name === "TimeoutError" || error.name === "TypeError"))) throw error;
        entry.failed++;
        if (entry.failed <= 3) process.stderr.write(`${endpoint}: ${String(error)} ${String(error.cause ?? "")}\n`);
      }
    }

    let inFlight = 0;
    const samples: Sample[] = [];
    const sample = async (started: number) => {
      const rss = memoryOf(plein.pid);
      const metrics = await scrape(o);
      if (rss) samples.push({ atSeconds: round((performance.now() - started) / 1000), rssMiB: rss.rssMiB, heapUsedMiB: metrics?.heapUsedMiB, queueDepth: metrics?.queueDepth, inFlight });
    };

    const started = performance.now();
    await sample(started);
    const sampler = setInterval(() => void sample(started), SAMPLE_SECONDS * 1000);
    const running = new Set<Promise<void>>();
    const waiting: Array<{ at: number; kind: Kind; i: number }> = [];
    const launch = (event: { at: number; kind: Kind; i: number }) => {
      inFlight++;
      const p = send(event, started).finally(() => {
        inFlight--;
        running.delete(p);
        const next = waiting.shift();
        if (next) launch(next);
      });
      running.add(p);
    };
    let progressAt = 0;
    // BENCH_HEAP_SNAPSHOTS=1: a heap snapshot of Plein at the end of the warm-up and one at the end, to compare what grows.
    let firstSnapshot: Promise<boolean> | undefined;
    for (const event of events) {
      if (!firstSnapshot && event.at >= SECONDS * WARM_UP * 1000) firstSnapshot = plein.heapSnapshot();
      const wait = started + event.at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (inFlight < MAX_IN_FLIGHT) launch(event);
      else waiting.push(event);
      if (event.at - progressAt >= 60_000) {
        progressAt = event.at;
        const last = samples.at(-1);
        process.stdout.write(`  ${Math.round(event.at / 1000)} s: RSS ${last?.rssMiB} MiB, heap ${last?.heapUsedMiB} MiB, queue ${last?.queueDepth}, in flight ${inFlight}, behind schedule ${behind}\n`);
      }
    }
    // The load ends on time: requests still waiting for a free slot are not sent, and counted.
    const notSent = waiting.splice(0).length;
    while (running.size) await Promise.all([...running]);
    const loadSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await sample(started);
    await firstSnapshot;
    await plein.heapSnapshot();
    const queueAtEnd = samples.at(-1)?.queueDepth;
    // The queues drain: how long until nothing is left (at most 120 s)?
    const drainStarted = performance.now();
    let drained = await scrape(o);
    while (drained && drained.queueDepth > 0 && performance.now() - drainStarted < 120_000) {
      await new Promise((r) => setTimeout(r, 1000));
      drained = await scrape(o);
    }
    const drainSeconds = round((performance.now() - drainStarted) / 1000);
    const afterIdle = await idleMemory(plein.pid);
    const peak = plein.memory();

    const warmUpEnd = SECONDS * WARM_UP;
    const afterWarmUp = samples.filter((s) => s.atSeconds >= warmUpEnd);
    const rssLine = fitLine(afterWarmUp.map((s) => ({ x: s.atSeconds, y: s.rssMiB })));
    const heapPoints = afterWarmUp.filter((s) => s.heapUsedMiB !== undefined && Number.isFinite(s.heapUsedMiB));
    const heapLine = fitLine(heapPoints.map((s) => ({ x: s.atSeconds, y: s.heapUsedMiB! })));
    // The heap's low points (the least in-use heap of each minute, i.e. after the collections) grow only if something is kept.
    // A minute the run does not cover to its end (the last, cut short) may have no collection in it: left out.
    const byMinute = new Map<number, number[]>();
    for (const h of heapPoints) {
      const minute = Math.floor(h.atSeconds / 60);
      byMinute.set(minute, [...byMinute.get(minute) ?? [], h.heapUsedMiB!]);
    }
    const sampledUntil = samples.at(-1)!.atSeconds;
    const floors = new Map([...byMinute].filter(([minute, heaps]) => heaps.length >= 2 && (minute + 1) * 60 <= sampledUntil)
      .map(([minute, heaps]) => [minute, Math.min(...heaps)]));
    const heapFloorLine = fitLine([...floors].map(([minute, y]) => ({ x: minute * 60, y })));
    const lastAt = samples.at(-1)!.atSeconds;
    const rssAtWarmUpEnd = rssLine.intercept + rssLine.slope * warmUpEnd;
    const rssAtEnd = rssLine.intercept + rssLine.slope * lastAt;
    const growthPercent = round((rssAtEnd - rssAtWarmUpEnd) / rssAtWarmUpEnd * 100, 2);
    const slopePerMinute = round(rssLine.slope * 60, 3);
    const endpoints = Object.fromEntries([...counts].sort().map(([name, e]) => [name, {
      requests: e.requests, non2xx: e.non2xx, failed: e.failed, latency: latencies(e.ms),
    }]));
    const requests = [...counts.values()].reduce((s, e) => s + e.requests, 0);
    const errors = [...counts.values()].reduce((s, e) => s + e.failed + Object.values(e.non2xx).reduce((a, b) => a + b, 0), 0);
    const late = latencies(lateness);
    const figures = {
      requests,
      requestsPerSecond: round(requests / loadSeconds),
      loadSeconds: round(loadSeconds),
      errors,
      lag: { behindScheduleOver1s: behind, notSentAtEnd: notSent, maxInFlight: Math.max(...samples.map((s) => s.inFlight)), latenessP50Ms: late.p50Ms, latenessP99Ms: late.p99Ms, latenessMaxMs: late.maxMs },
      endpoints,
      memory: {
        warmUpSeconds: warmUpEnd,
        rssAtWarmUpEndMiB: round(rssAtWarmUpEnd),
        rssAtEndMiB: round(rssAtEnd),
        rssGrowthPercent: growthPercent,
        rssSlopeMiBPerMinute: slopePerMinute,
        heapSlopeMiBPerMinute: round(heapLine.slope * 60, 3),
        heapFloorsMiB: Object.fromEntries([...floors].map(([minute, y]) => [`minute${minute}`, y])),
        heapFloorSlopeMiBPerMinute: round(heapFloorLine.slope * 60, 3),
        rssSampledAtWarmUpEndMiB: afterWarmUp[0]?.rssMiB,
        rssSampledAtEndMiB: samples.at(-1)?.rssMiB,
        rssAfterDrainAndIdleMiB: afterIdle?.rssMiB,
        samples,
      },
      queue: { depthAtEnd: queueAtEnd, depthAfterDrain: drained?.queueDepth, drainSeconds },
      sinkReceived: Object.fromEntries(sinkPosts),
      unexpectedRequests: unexpected.slice(0, 10),
      unexpectedRequestCount: unexpected.length,
      loadAverageAtEnd: round(loadavg()[0]!, 2),
      server: { startMs: round(plein.startMs), idleRssMiB: idle?.rssMiB, peakRssMiB: peak?.peakRssMiB },
    };
    process.stdout.write(`${requests} requests in ${figures.loadSeconds} s (${figures.requestsPerSecond}/s), ${errors} errors, `
      + `${behind} behind schedule (> ${BEHIND_MS} ms; ${notSent} not sent at the end; lateness p99 ${late.p99Ms} ms, max ${late.maxMs} ms)\n`);
    for (const [name, e] of Object.entries(endpoints)) {
      process.stdout.write(`  ${name}: ${e.requests}, p50 ${e.latency.p50Ms} ms, p99 ${e.latency.p99Ms} ms`
        + `${Object.keys(e.non2xx).length || e.failed ? `, non-2xx ${JSON.stringify(e.non2xx)}, failed ${e.failed}` : ""}\n`);
    }
    process.stdout.write(`RSS (fitted) ${figures.memory.rssAtWarmUpEndMiB} MiB after warm-up -> ${figures.memory.rssAtEndMiB} MiB at the end `
      + `(${growthPercent} %, ${slopePerMinute} MiB/min; heap ${figures.memory.heapSlopeMiBPerMinute} MiB/min, its low points ${figures.memory.heapFloorSlopeMiBPerMinute} MiB/min); queue ${queueAtEnd} at the end, `
      + `${drained?.queueDepth} after ${drainSeconds} s; sink got ${JSON.stringify(figures.sinkReceived)}; load average ${machine.loadAverage} -> ${figures.loadAverageAtEnd}\n`);
    report({
      benchmark: "soak",
      description: "mixed load at a fixed rate (open loop) on Plein as deployed; RSS sampled, a least-squares line after the warm-up",
      date: new Date().toISOString(),
      fullSize: isFullSize({ SOAK_SECONDS: SECONDS, SOAK_RATE: RATE }, DEFAULTS),
      parameters: { seconds: SECONDS, rate: RATE, requestsPerSecond: perSecond, ...Object.fromEntries(Object.entries(MIX).map(([k, n]) => [`${k}PerSecond`, n * RATE])),
        localAccounts: LOCAL_ACCOUNTS, remoteActors: REMOTE_ACTORS, remoteGroupMembers: GROUP_MEMBERS_REMOTE, sampleSeconds: SAMPLE_SECONDS, maxInFlight: MAX_IN_FLIGHT },
      machine,
      targets: [
        below("RSS growth after warm-up (fitted line)", growthPercent, "%", 10),
        below("RSS slope after warm-up", slopePerMinute, "MiB/min", 1),
        below("errors (non-2xx and failed requests)", errors, "", 1),
      ],
      figures,
    });
  } finally {
    await plein.stop();
    await database.drop();
    await sink.close();
  }
}

await main();
