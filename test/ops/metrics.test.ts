/**
 * /metrics on the main listener: closed unless PLEIN_METRICS_TOKEN is set,
 * then only for its Bearer token; requests counted by route pattern (never
 * by path); queue gauges read from the database when scraped.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { enqueueJobs } from "../../src/db/queue-rows.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";
import { sample } from "../support/metrics.ts";

const ORIGIN = "https://plein.test";
const TOKEN = "metrics-token-for-the-test-0123456789";

let open: RunningPlein;
let closed: RunningPlein;

beforeAll(async () => {
  // role "web": nothing consumes the queues, so what is enqueued stays for the gauges.
  open = await startPlein(loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", PLEIN_METRICS_TOKEN: TOKEN }),
    { database: await openTestDatabase(), listen: false, role: "web" });
  closed = await startPlein(loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://" }),
    { database: await openTestDatabase(), listen: false, role: "web" });
});

afterAll(async () => {
  for (const running of [open, closed]) {
    await running?.close();
    await running?.database.close();
  }
});

const scrape = async (running: RunningPlein = open, authorization: string | null = `Bearer ${TOKEN}`) =>
  running.app.request(`${ORIGIN}/metrics`, authorization === null ? {} : { headers: { authorization } });

async function metricsText(): Promise<string> {
  const res = await scrape();
  expect(res.status).toBe(200);
  return res.text();
}

describe("access", () => {
  it("is not served without PLEIN_METRICS_TOKEN", async () => {
    const res = await scrape(closed);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });

  it("answers 401 without the token or with another one", async () => {
    for (const authorization of [null, "Bearer wrong-token-wrong-token-wrong", `Basic ${TOKEN}`, TOKEN]) {
      const res = await scrape(open, authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await res.json()).toHaveProperty("error");
    }
  });

  it("serves Prometheus text 0.0.4 for the token", async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toMatch(/^# HELP plein_http_requests_total /m);
    expect(text).toMatch(/^# TYPE plein_http_request_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE plein_deliveries_total counter$/m);
    expect(text).toMatch(/^# TYPE plein_inbox_activities_total counter$/m);
    expect(sample(text, "plein_remote_hosts_circuit_broken", { state: "open" })).toBe(0);
  });
});

describe("HTTP requests", () => {
  it("are counted by route pattern, method and status, never by path", async () => {
    const ids = [randomUUID(), randomUUID()];
    const count = async () => sample(await metricsText(), "plein_http_requests_total", { route: "/api/v1/accounts/:id", method: "GET", status: "404" }) ?? 0;
    const before = await count();
    for (const id of ids) expect((await open.app.request(`${ORIGIN}/api/v1/accounts/${id}`)).status).toBe(404);
    const unrouted = `/no-such-page-${randomUUID()}`;
    expect((await open.app.request(`${ORIGIN}${unrouted}`)).status).toBe(404);
    expect((await open.app.request(`${ORIGIN}/healthz`, { method: "PROPFIND" })).status).toBe(404);
    const text = await metricsText();
    expect(await count()).toBe(before + 2);
    expect(sample(text, "plein_http_requests_total", { route: "/healthz", method: "GET", status: "200" })).toBeUndefined();
    expect(sample(text, "plein_http_requests_total", { route: "other", method: "OTHER", status: "404" })).toBeGreaterThanOrEqual(1);
    for (const raw of [...ids, unrouted, "PROPFIND"]) expect(text).not.toContain(raw);
    expect(sample(text, "plein_http_request_duration_seconds_count", { route: "/api/v1/accounts/:id", method: "GET" })).toBeGreaterThanOrEqual(2);
  });

  it("counts what Fedify answers as route \"fedify\", and what falls through it to no route as \"other\"", async () => {
    await createUser(open.deps.db, new URL(ORIGIN), { username: "metrik", email: "metrik@example.test", password: "password1" });
    const count = async (route: string, status: string) => sample(await metricsText(), "plein_http_requests_total", { route, method: "GET", status }) ?? 0;
    const [fedify, other] = [await count("fedify", "200"), await count("other", "404")];
    const res = await open.app.request(`${ORIGIN}/users/metrik`, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
    expect((await open.app.request(`${ORIGIN}/users/metrik/nothing-here`)).status).toBe(404);
    expect(await count("fedify", "200")).toBe(fedify + 1);
    expect(await count("other", "404")).toBe(other + 1);
  });
});

describe("queue gauges", () => {
  it("show each queue's depth by state and how long its oldest due message has waited", async () => {
    const db = open.deps.db;
    const [oldest] = await enqueueJobs(db, DELIVERY_QUEUE, [{ type: "test.oldest" }]);
    await enqueueJobs(db, DELIVERY_QUEUE, [{ type: "test.a" }, { type: "test.b" }]);
    await enqueueJobs(db, DELIVERY_QUEUE, [{ type: "test.later" }], { delayMs: 3_600_000 });
    await db.updateTable("queue_messages").set({ available_at: sql<Date>`now() - interval '2 minutes'` }).where("id", "=", oldest!).execute();
    const text = await metricsText();
    expect(sample(text, "plein_queue_depth", { queue: DELIVERY_QUEUE, state: "ready" })).toBe(3);
    expect(sample(text, "plein_queue_depth", { queue: DELIVERY_QUEUE, state: "delayed" })).toBe(1);
    expect(sample(text, "plein_queue_depth", { queue: DELIVERY_QUEUE, state: "running" })).toBe(0);
    expect(sample(text, "plein_queue_depth", { queue: "fedify", state: "ready" })).toBe(0);
    expect(sample(text, "plein_queue_oldest_age_seconds", { queue: DELIVERY_QUEUE })).toBeGreaterThanOrEqual(120);
    expect(sample(text, "plein_queue_oldest_age_seconds", { queue: "fedify" })).toBe(0);
    expect(sample(text, "plein_queue_depth", { queue: "fedify-outbox", state: "ready" })).toBe(0);
    expect(sample(text, "plein_queue_oldest_age_seconds", { queue: "fedify-outbox" })).toBe(0);
  });
});
