/**
 * Traces from `plein serve` as deployed: the CLI loads the OpenTelemetry SDK only
 * when an OTLP endpoint is configured (src/ops/tracing-enabled.ts), and then the
 * spans of an actor fetch reach the collector (a real loopback HTTP server) by the
 * time the process has stopped on SIGTERM.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../support/instances.ts";
import { type ProcessDatabase, processDatabase } from "../support/process-database.ts";
import { freePort } from "../support/processes.ts";

const MAIN = join(import.meta.dirname, "..", "..", "src", "main.ts");

interface TraceExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string }> }>;
  }>;
}

let collector: Server;
let collectorPort: number;
const received: TraceExport[] = [];
let database: ProcessDatabase | undefined;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (d: string) => void (text += d)).on("end", () => {
      if (req.url === "/v1/traces") received.push(JSON.parse(text) as TraceExport);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  collectorPort = (collector.address() as { port: number }).port;
  database = await processDatabase("tracing");
}, 120_000);

afterAll(async () => {
  await database?.remove();
  await new Promise((resolve) => collector?.close(resolve));
});

it("exports the spans of an actor fetch when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set", async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN, "serve"], {
    env: {
      ...process.env, ...database!.env, PORT: String(port), PLEIN_ORIGIN: origin, LOG_LEVEL: "warning",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${collectorPort}/v1/traces`, OTEL_SERVICE_NAME: "plein-process-test",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding("utf8").on("data", (chunk: string) => void (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    await waitFor(async () => (await fetch(`${origin}/healthz`).catch(() => null))?.status === 200, { timeoutMs: 60_000, message: "plein to answer /healthz" });
    // The instance actor, named after the host, exists from the first start.
    const res = await fetch(`${origin}/users/127.0.0.1`, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited, output).toBe(0);
  // Shutting down sends what the batch processor holds.
  const resources = received.flatMap((e) => e.resourceSpans ?? []);
  const spans = resources.flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? []);
  expect(spans.map((s) => s.name)).toContain("activitypub.dispatch_actor");
  const serviceNames = resources.flatMap((r) => r.resource?.attributes ?? []).filter((a) => a.key === "service.name").map((a) => a.value.stringValue);
  expect(serviceNames).toContain("plein-process-test");
}, 120_000);
