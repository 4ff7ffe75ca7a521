/**
 * With an OTLP endpoint, Fedify's spans are exported: a real loopback HTTP
 * server stands in for the collector and receives OTLP/HTTP JSON.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { startTracing, type Tracing } from "../../src/ops/tracing.ts";
import { tracingEnabled } from "../../src/ops/tracing-enabled.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";

const ORIGIN = "https://plein.test";

interface ExportedSpan { name: string; attributes?: Array<{ key: string; value: Record<string, unknown> }> }
interface TraceExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: ExportedSpan[] }>;
  }>;
}

let collector: Server;
const exports: Array<{ path: string; contentType: string | undefined; body: TraceExport }> = [];
let tracing: Tracing;
let running: RunningPlein;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (d: string) => void (text += d)).on("end", () => {
      exports.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: JSON.parse(text) as TraceExport });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const { port } = collector.address() as { port: number };
  tracing = startTracing({ url: `http://127.0.0.1:${port}/v1/traces`, serviceName: "plein-test" });
  running = await startPlein(loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://" }),
    { database: await openTestDatabase(), listen: false, role: "web", tracerProvider: tracing.provider });
});

afterAll(async () => {
  await running?.close();
  await running?.database.close();
  await tracing?.shutdown();
  await new Promise((resolve) => collector?.close(resolve));
});

it("is on only when an OTLP endpoint is configured", () => {
  expect(tracingEnabled({})).toBe(false);
  expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
  expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
});

it("exports the spans of an actor fetch to the collector", async () => {
  await createUser(running.deps.db, new URL(ORIGIN), { username: "spoor", email: "spoor@example.test", password: "password1" });
  const res = await running.app.request(`${ORIGIN}/users/spoor`, { headers: { accept: "application/activity+json" } });
  expect(res.status).toBe(200);
  await tracing.provider.forceFlush();
  expect(exports.length).toBeGreaterThan(0);
  expect(exports[0]!.path).toBe("/v1/traces");
  expect(exports[0]!.contentType).toMatch(/^application\/json/);
  const resources = exports.flatMap((e) => e.body.resourceSpans ?? []);
  const spans = resources.flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? []);
  expect(spans.map((s) => s.name)).toContain("activitypub.dispatch_actor");
  const serviceNames = resources.flatMap((r) => r.resource?.attributes ?? []).filter((a) => a.key === "service.name").map((a) => a.value.stringValue);
  expect(serviceNames).toContain("plein-test");
});
