/**
 * `/metrics`: the process's counters (src/ops/metrics.ts) and gauges read
 * from the database at scrape time, in Prometheus text format 0.0.4.
 * Never public by default: the main listener serves it only when
 * PLEIN_METRICS_TOKEN is set (as a Bearer token); PLEIN_METRICS_PORT opens
 * a listener of its own (on loopback unless PLEIN_METRICS_HOST says
 * otherwise), which worker processes need, having no HTTP otherwise.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { KvStore } from "@fedify/fedify";
import type { Context, Handler, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Gauge, Registry } from "prom-client";
import type { Db } from "../db/database.ts";
import { QUEUES, type QueueBacklog, queueBacklog } from "../db/queue-rows.ts";
import { processRegistry, recordHttpRequest } from "./metrics.ts";

/** Fedify keeps each remote host's circuit breaker state here (its default `kvPrefixes.circuitBreaker`). */
const CIRCUIT_PREFIX = ["_fedify", "circuit"] as const;

export interface MetricsSources {
  db: Db;
  /** Fedify's KvStore, where its circuit breaker keeps each remote host's state. */
  kv: KvStore;
}

/** The process's metrics plus this instance's database gauges. */
export function instanceMetrics({ db, kv }: MetricsSources): Registry {
  const own = new Registry();
  // One query serves both queue gauges of a scrape (the registry collects them concurrently).
  let backlog: Promise<Map<string, QueueBacklog>> | undefined;
  const readBacklog = () => backlog ??= queueBacklog(db)
    .then((rows) => new Map(rows.map((b) => [b.queue, b])))
    .finally(() => {
      backlog = undefined;
    });
  const queuesOf = (found: Map<string, QueueBacklog>) => new Set<string>([...QUEUES, ...found.keys()]);
  new Gauge({
    name: "plein_queue_depth",
    help: "Messages in a queue: ready (due, unclaimed), delayed (retry or delay pending), running (claimed)",
    labelNames: ["queue", "state"] as const,
    registers: [own],
    async collect() {
      const found = await readBacklog();
      for (const queue of queuesOf(found)) {
        const b = found.get(queue);
        this.set({ queue, state: "ready" }, b?.ready ?? 0);
        this.set({ queue, state: "delayed" }, b?.delayed ?? 0);
        this.set({ queue, state: "running" }, b?.running ?? 0);
      }
    },
  });
  new Gauge({
    name: "plein_queue_oldest_age_seconds",
    help: "Seconds since the longest-waiting due message of a queue became due (0: none due)",
    labelNames: ["queue"] as const,
    registers: [own],
    async collect() {
      const found = await readBacklog();
      for (const queue of queuesOf(found)) this.set({ queue }, found.get(queue)?.oldestAgeSeconds ?? 0);
    },
  });
  new Gauge({
    name: "plein_remote_hosts_circuit_broken",
    help: "Remote hosts whose circuit breaker holds deliveries: open (not tried until the recovery delay), half-open (one probe)",
    labelNames: ["state"] as const,
    registers: [own],
    async collect() {
      let open = 0;
      let halfOpen = 0;
      for await (const { key, value } of kv.list([...CIRCUIT_PREFIX])) {
        if (key.length !== CIRCUIT_PREFIX.length + 1 || typeof value !== "object" || value === null) continue;
        const state = (value as { state?: unknown }).state;
        if (state === "open") open++;
        else if (state === "half-open") halfOpen++;
      }
      this.set({ state: "open" }, open);
      this.set({ state: "half-open" }, halfOpen);
    },
  });
  return Registry.merge([processRegistry, own]);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

/** Serves the registry; when `token` is set, only to a request bearing it. */
export function metricsHandler(registry: Registry, token: string | undefined): Handler {
  return async (c) => {
    if (token !== undefined && !bearerMatches(c.req.header("authorization"), token)) {
      return c.json({ error: "The metrics need the bearer token of PLEIN_METRICS_TOKEN" }, 401, {
        "www-authenticate": 'Bearer realm="metrics"',
      });
    }
    const body = await registry.metrics();
    return c.body(body, 200, { "content-type": registry.contentType, "cache-control": "no-store" });
  };
}

const answeredBy = new WeakMap<Context, string>();

/**
 * Wraps a catch-all middleware (Fedify's) so that what it answers itself,
 * without handing on, is counted as route `label`.
 */
export function labelAnswers(label: string, middleware: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    let handedOn = false;
    const result = await middleware(c, async () => {
      handedOn = true;
      await next();
    });
    if (!handedOn) answeredBy.set(c, label);
    return result;
  };
}

/**
 * Counts every request by the route pattern that answered it, never by its
 * path (a label per path would let anyone grow the metrics without bound).
 * What a middleware wrapped by `labelAnswers` answered carries its label;
 * anything else no route answered (guards, not found) is "other".
 */
export function httpMetrics(): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const responder = matchedRoutes(c)[c.req.routeIndex];
      const route = answeredBy.get(c) ?? (responder && !responder.path.includes("*") ? responder.path : "other");
      recordHttpRequest(route, c.req.method, c.res.status, (performance.now() - start) / 1000);
    }
  };
}
