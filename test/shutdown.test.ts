/**
 * Graceful shutdown as an operator sees it: `plein serve` gets SIGTERM while
 * a request is in flight and clients stream. /healthz answers 503 during the
 * drain (PLEIN_DRAIN_SECONDS), then the listener closes, the WebSocket is
 * closed with 1001 and the SSE response ends, the in-flight request still
 * completes, and the process exits 0. Run with JSON logs at debug level: every
 * line is a JSON object, and no token sent to it appears in them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUser } from "../src/domain/accounts.ts";
import { issueToken } from "../src/domain/tokens.ts";
import { type ProcessDatabase, processDatabase } from "./support/process-database.ts";

const MAIN = join(import.meta.dirname, "..", "src", "main.ts");
const METRICS_TOKEN = "shutdown-test-metrics-token-0123456789";

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

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a new TCP connection to the port is accepted. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

let env: Record<string, string>;
let port: number;
let token: string;
let database: ProcessDatabase | undefined;

beforeAll(async () => {
  port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  database = await processDatabase("shutdown", async (db) => {
    const actor = await createUser(db, new URL(origin), { username: "anna", email: "anna@example.test", password: "password1" });
    token = await issueToken(db, actor, ["read", "write"]);
  });
  env = {
    PORT: String(port), PLEIN_ORIGIN: origin,
    LOG_LEVEL: "debug", PLEIN_LOG_FORMAT: "json", PLEIN_ALLOW_PRIVATE_ADDRESS: "true", PLEIN_DRAIN_SECONDS: "5", PLEIN_METRICS_TOKEN: METRICS_TOKEN,
    ...database.env,
  };
}, 120_000);

afterAll(async () => {
  await database?.remove();
});

it("finishes an in-flight request, closes streams, answers 503 on /healthz while draining, and exits 0", async () => {
  const child: ChildProcess = spawn(process.execPath, [MAIN, "serve"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding("utf8").on("data", (chunk: string) => void (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    const origin = env.PLEIN_ORIGIN!;
    await until(async () => (await fetch(`${origin}/healthz`).catch(() => null))?.status === 200, "plein to answer /healthz");
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${origin}/api/v1/accounts/verify_credentials`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);

    // A WebSocket stream (token in the query, as Mastodon apps do) and an SSE stream.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streaming?stream=user&access_token=${token}`);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const wsClosed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    const sse = await fetch(`${origin}/api/v1/streaming/user`, { headers: auth });
    expect(sse.status).toBe(200);
    const sseEnded = (async () => {
      for await (const _chunk of sse.body!) { /* heartbeats */ }
    })();

    // A request whose body is half sent.
    const body = JSON.stringify({ status: "Sent while the server stops" });
    const half = Math.floor(body.length / 2);
    const slow = httpRequest(`${origin}/api/v1/statuses`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      slow.on("response", (res: IncomingMessage) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => void (text += d)).on("end", () => resolve({ status: res.statusCode!, text }));
      });
      slow.on("error", reject);
    });
    slow.write(body.slice(0, half));
    slow.flushHeaders();

    // A request whose client hangs up while its handler waits for a remote
    // server that has not answered yet: the handler still runs when the
    // listener closes, and the database must outlive it.
    const remoteSockets: Socket[] = [];
    const hungRemote = createServer((socket) => {
      socket.on("error", () => {});
      remoteSockets.push(socket);
    });
    await new Promise<void>((resolve) => hungRemote.listen(0, "127.0.0.1", resolve));
    const remotePort = (hungRemote.address() as { port: number }).port;
    const lookup = `http://127.0.0.1:${remotePort}/users/slow`;
    const abandoned = new AbortController();
    const search = fetch(`${origin}/api/v2/search?resolve=true&q=${encodeURIComponent(lookup)}`, { headers: auth, signal: abandoned.signal })
      .catch(() => "aborted");
    await until(() => remoteSockets.length > 0, "the search to reach the remote server");
    abandoned.abort();
    expect(await search).toBe("aborted");

    child.kill("SIGTERM");
    await until(() => output.includes("SIGTERM received"), "the SIGTERM to be noticed");
    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "draining", error: "shutting down" });

    // The drain is over: no new connections; the streams are told to go.
    await until(async () => !(await accepting(port)), "the listener to close");
    expect(await wsClosed).toBe(1001);
    await sseEnded;

    slow.end(body.slice(half));
    const result = await answered;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toMatchObject({ content: expect.stringContaining("Sent while the server stops") });

    // Every connection is gone; only now does the remote answer, and the
    // abandoned search's handler goes on to the database.
    for (const socket of remoteSockets) socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    hungRemote.close();
    expect(await exited).toBe(0);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }

  const lines = output.split("\n").filter((line) => line.trim() !== "");
  expect(lines.length).toBeGreaterThan(3);
  for (const line of lines) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(["@timestamp", "level", "logger", "message"]));
  }
  // The abandoned search finished its work (its answer logged) before the database closed.
  expect(lines.some((line) => line.includes("/api/v2/search") && line.includes(": 200"))).toBe(true);
  expect(lines.filter((line) => (JSON.parse(line) as { level: string }).level === "ERROR")).toEqual([]);
  expect(output).not.toContain(token);
  expect(output).not.toContain(METRICS_TOKEN);
}, 180_000);
