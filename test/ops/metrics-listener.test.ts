/**
 * PLEIN_METRICS_PORT: /metrics on a listener of its own, for a worker too
 * (which has no other HTTP), on loopback by default; with
 * PLEIN_METRICS_TOKEN set it asks for the token there as well.
 */
import { createServer } from "node:net";
import { afterEach, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";
import { sample } from "../support/metrics.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let running: RunningPlein | undefined;

afterEach(async () => {
  await running?.close();
  await running?.database.close();
  running = undefined;
});

async function startWorker(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  running = await startPlein(loadConfig({ PLEIN_DATA_DIR: "memory://", PLEIN_METRICS_PORT: String(port), ...env }),
    { database: await openTestDatabase(), role: "worker" });
  return port;
}

it("serves a worker's metrics on its own loopback port, and nothing else there", async () => {
  const port = await startWorker({});
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(sample(await res.text(), "plein_queue_depth", { queue: "deliveries", state: "ready" })).toBe(0);
  const other = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(other.status).toBe(404);
  expect(await other.json()).toHaveProperty("error");
});

it("asks for PLEIN_METRICS_TOKEN there too when it is set", async () => {
  const token = "listener-metrics-token-0123456789";
  const port = await startWorker({ PLEIN_METRICS_TOKEN: token });
  expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
  expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
});
