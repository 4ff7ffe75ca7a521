/**
 * "A change takes effect at once" in a running instance, as an operator
 * makes it: `plein federation block|remove|mode` run as processes of their
 * own while a server runs. On PGlite the command reaches the server through
 * its admin socket; on PostgreSQL (TEST_DATABASE_URL) the server is a
 * `plein web` process and the command another process on the same schema,
 * whose change the server hears of through NOTIFY. A blocked server's inbox
 * POSTs then get 403, over real HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testDatabaseUrl } from "../support/db.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { waitFor } from "../support/instances.ts";
import { type ProcessDatabase, processDatabase } from "../support/process-database.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "main.ts");
const START = 120_000;

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

/** The environment without the test run's own Plein settings. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|TEST_DATABASE_URL$|VITEST|NODE_OPTIONS$)/.test(k)) env[k] = v;
  }
  return env;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe(`plein federation while a server runs (${testDatabaseUrl ? "PostgreSQL: plein web + CLI processes" : "PGlite: plein serve + CLI over the admin socket"})`, () => {
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  let output = "";
  let database: ProcessDatabase | undefined;
  let evil: FakeRemote;
  let mallory: FakeActor;
  let origin: string;

  const plein = async (...args: string[]) => {
    const result = await run(args, env);
    expect(result.code, `plein ${args.join(" ")}\n${result.stdout}${result.stderr}`).toBe(0);
    return result.stdout;
  };

  /** A fresh Follow of alice by mallory, over the network; the status it got. */
  const follow = async () => (await deliverOverNetwork(`${origin}/inbox`,
    { "@context": AS_CONTEXT, id: newId(mallory), type: "Follow", actor: mallory.iri, object: `${origin}/users/alice` }, mallory)).status;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    database = await processDatabase("policy");
    env = { PORT: String(port), PLEIN_ORIGIN: origin, PLEIN_ALLOW_PRIVATE_ADDRESS: "true", LOG_LEVEL: "warning", ...database.env };
    evil = await startFakeRemote({ host: "127.0.0.7" });
    mallory = await evil.actor("mallory");
    server = spawn(process.execPath, [MAIN, testDatabaseUrl ? "web" : "serve"], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [server.stdout!, server.stderr!]) stream.setEncoding("utf8").on("data", (d: string) => { output += d; });
    await waitFor(async () => {
      if (server!.exitCode !== null) throw new Error(`the server exited\n${output}`);
      return (await fetch(`${origin}/healthz`).catch(() => null))?.ok;
    }, { timeoutMs: START, intervalMs: 200, message: `the server to start\n${output}` });
    await plein("user", "create", "alice", "--email", "alice@example.test", "--password", "correct horse battery");
  }, START + 30_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.on("close", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    await evil?.close();
    await database?.remove();
  });

  test("block, remove and mode take effect at once in the running server", async () => {
    expect(await follow()).toBe(202);
    expect(await plein("federation", "block", "127.0.0.7")).toContain("Block rule for 127.0.0.7");
    // The server refuses from now on (on PostgreSQL: as soon as it hears the NOTIFY).
    await waitFor(async () => (await follow()) === 403, { message: "the block to reach the server" });
    const refusedFrom = evil.received.length;
    expect(await follow()).toBe(403);
    expect(evil.received.length).toBe(refusedFrom); // not even its key is fetched

    expect(await plein("federation", "remove", "127.0.0.7")).toContain("Removed the rule for 127.0.0.7");
    await waitFor(async () => (await follow()) === 202, { message: "the removal to reach the server" });

    expect(await plein("federation", "mode", "allowlist")).toContain("Federation mode is now allowlist");
    await waitFor(async () => (await follow()) === 403, { message: "allowlist mode to reach the server" });
    await plein("federation", "allow", "127.0.0.7");
    await waitFor(async () => (await follow()) === 202, { message: "the allow rule to reach the server" });
    expect(await plein("federation", "list")).toBe("mode: allowlist\npublished: no\n1 domain rule:\n  allow   127.0.0.7\n");
  }, 120_000);
});
