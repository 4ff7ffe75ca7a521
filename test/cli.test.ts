import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { authenticateToken } from "../src/domain/tokens.ts";
import { testDatabaseUrl } from "./support/db.ts";

/**
 * The `plein` command as operators use it: real processes, a real data
 * directory (PGlite on disk) or, with TEST_DATABASE_URL, a PostgreSQL schema
 * of its own. With PGlite, admin commands reach a running server through its
 * admin socket, and open the database themselves when no server runs.
 */

const ROOT = join(import.meta.dirname, "..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const MAIN = join(ROOT, "src", "main.ts");
const SERVER_START = 120_000; // a fresh PGlite data directory takes 5-15 s to initialise; slow machines more
const COMMAND = 60_000;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without any Plein settings of the test run itself. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|TEST_DATABASE_URL$|VITEST|NODE_OPTIONS$)/.test(k)) {
      env[k] = v;
    }
  }
  return env;
}

function collect(child: ChildProcess): Promise<Result> & { output: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return Object.assign(done, { output: () => `--- stdout\n${stdout}--- stderr\n${stderr}` });
}

/** Runs `plein ARGS...` to completion (killed after `timeout`). */
async function plein(args: string[], env: Record<string, string>, timeout = COMMAND): Promise<Result> {
  const child = spawn(NODE, [MAIN, ...args], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  try {
    return await collect(child);
  } finally {
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Serving {
  child: ChildProcess;
  result: Promise<Result> & { output: () => string };
  url: string;
}

/** Starts `plein serve` and waits for its first 200 from /healthz. */
async function serve(env: Record<string, string>): Promise<Serving> {
  const child = spawn(NODE, [MAIN, "serve"], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const result = collect(child);
  let exited = false;
  void result.then(() => { exited = true; });
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + SERVER_START;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`plein serve exited before it was healthy\n${result.output()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      if (res.status === 200) return { child, result, url };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill("SIGKILL");
  throw new Error(`plein serve was not healthy after ${SERVER_START} ms\n${result.output()}`);
}

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

/**
 * POSTs `body` on a connection of its own (the server may close it after
 * refusing the body), with Content-Length or chunked.
 */
function rawPost(url: string, body: Buffer, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, {
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/activity+json",
        ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(body.length) }),
      },
    }, (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { text += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", (err) => {
      if (!answered) reject(err); // after the answer, a reset of the unread upload is expected
    });
    const chunk = 64 * 1024;
    for (let at = 0; at < body.length; at += chunk) req.write(body.subarray(at, at + chunk));
    req.end();
  });
}

describe("plein without a database", () => {
  it("--help exits 0 and lists the commands", async () => {
    const { code, stdout } = await plein(["--help"], {});
    expect(code).toBe(0);
    for (const command of ["serve", "web", "worker", "migrate", "user create", "token"]) {
      expect(stdout).toContain(command);
    }
  });

  it("no command prints usage and exits 2", async () => {
    const { code, stdout } = await plein([], {});
    expect(stdout).toContain("usage:");
    expect(code).toBe(2);
  });

  it("an unknown command exits 2 with one line naming it", async () => {
    const { code, stderr } = await plein(["frobnicate"], { PLEIN_DATA_DIR: join(tmpdir(), "plein-never-created") });
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("frobnicate");
    expect(existsSync(join(tmpdir(), "plein-never-created"))).toBe(false);
  });
});

describe(`plein serve, user create and token as separate processes (${testDatabaseUrl ? "PostgreSQL" : "PGlite on disk"})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "plein-cli-test-"));
  const schema = `cli_${randomBytes(6).toString("hex")}`;
  let env: Record<string, string>;
  let server: Serving | undefined;
  const tokens: string[] = [];

  beforeAll(async () => {
    env = { PLEIN_DATA_DIR: dataDir, PORT: String(await freePort()) };
    if (testDatabaseUrl) {
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const url = new URL(testDatabaseUrl);
      url.searchParams.set("options", `-c search_path=${schema}`);
      env.DATABASE_URL = url.href;
    }
    server = await serve(env);
  }, SERVER_START + 10_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL");
      await server.result;
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (testDatabaseUrl) {
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  });

  it("serves /healthz", async () => {
    const res = await fetch(`${server!.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("user create works while the server runs", async () => {
    const result = await plein(["user", "create", "alice", "--email", "a@example.test", "--password", "secret123"], env);
    expect(result.code, JSON.stringify(result)).toBe(0);
    expect(result.stdout).toContain("alice");
    // The server sees the new user at once.
    const res = await fetch(`${server!.url}/.well-known/webfinger?resource=acct:alice@localhost:${env.PORT}`);
    expect(res.status).toBe(200);
  });

  it("token prints a token alone on its last line", async () => {
    const result = await plein(["token", "alice"], env);
    expect(result.code, JSON.stringify(result)).toBe(0);
    const token = lastLine(result.stdout);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    tokens.push(token);
  });

  it("token --scopes rejects an unknown scope with a non-zero exit", async () => {
    const result = await plein(["token", "alice", "--scopes", "read sudo"], env);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("sudo");
  });

  it("token for an unknown user fails with a non-zero exit", async () => {
    const result = await plein(["token", "nobody"], env);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/nobody|not found/i);
  });

  it("user create of a taken name exits non-zero with a clear message", async () => {
    const result = await plein(["user", "create", "alice", "--email", "other@example.test", "--password", "secret123"], env);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/alice.*(already taken|exists)/i);
  });

  it("user create without required options exits 2 with usage", async () => {
    const result = await plein(["user", "create", "bob"], env);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain("usage");
  });

  it("group create starts a group owned by a user, served as a Group actor at once", async () => {
    const result = await plein(["group", "create", "beleid", "--owner", "alice", "--visibility", "closed", "--join", "approval",
      "--display-name", "Beleidsteam", "--allowed-domains", "*.Rijksoverheid.nl, gemeente.nl"], env);
    expect(result.code, JSON.stringify(result)).toBe(0);
    expect(result.stdout).toMatch(/beleid.*closed.*approval.*alice, members from: \*\.rijksoverheid\.nl, gemeente\.nl/);
    const res = await fetch(`${server!.url}/users/beleid`, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
    const actor = await res.json() as Record<string, unknown>;
    expect(actor.type).toBe("Group");
    expect(actor.name).toBe("Beleidsteam");
    expect(actor.manuallyApprovesFollowers).toBe(true);
    expect(actor.attributedTo).toContain(`${server!.url.replace("127.0.0.1", "localhost")}/users/alice`);
  });

  it("group create refuses bad options, a taken name and an unknown owner", async () => {
    for (const args of [["group", "create", "x", "--owner", "alice", "--visibility", "hidden"], ["group", "create", "x"], ["group", "delete", "x"]]) {
      const result = await plein(args, env);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout + result.stderr).toMatch(/usage|must be one of/);
    }
    const taken = await plein(["group", "create", "alice", "--owner", "alice"], env);
    expect(taken.code).toBe(1);
    expect(taken.stdout + taken.stderr).toMatch(/already taken/);
    const badDomain = await plein(["group", "create", "team3", "--owner", "alice", "--allowed-domains", "https://example.nl/"], env);
    expect(badDomain.code).toBe(1);
    expect(badDomain.stdout + badDomain.stderr).toMatch(/allowed_domains: Give a domain name, not a URL/);
    const nobody = await plein(["group", "create", "team2", "--owner", "nobody"], env);
    expect(nobody.code).toBe(1);
    expect(nobody.stdout + nobody.stderr).toMatch(/nobody/);
    // Six plein processes one after another: a deadline for six starts, not one.
  }, 90_000);

  it("refuses request bodies over 1 MiB with 413 over real HTTP", async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x7b);
    for (const chunked of [false, true]) {
      const { status, body } = await rawPost(`${server!.url}/inbox`, big, chunked);
      expect(status, `chunked: ${chunked}`).toBe(413);
      expect(JSON.parse(body)).toHaveProperty("error");
    }
  });

  it.skipIf(testDatabaseUrl)("a second serve on the same data directory refuses, and the first keeps working", async () => {
    const second = await plein(["serve"], { ...env, PORT: String(await freePort()) }, SERVER_START);
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull(); // exited by itself, not killed by the timeout
    const lines = second.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(/in use by process \d+/);
    expect(second.stderr).not.toMatch(/\bat .*:\d+:\d+/);

    expect(server!.child.exitCode).toBeNull();
    expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
    const again = await plein(["token", "alice"], env);
    expect(again.code, JSON.stringify(again)).toBe(0);
    tokens.push(lastLine(again.stdout));
  }, SERVER_START);

  it("stops cleanly on SIGTERM with exit status 0", async () => {
    server!.child.kill("SIGTERM");
    const result = await server!.result;
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    await expect(fetch(`${server!.url}/healthz`)).rejects.toThrow();
    if (!testDatabaseUrl) expect(existsSync(join(dataDir, "plein.pid"))).toBe(false);
  }, COMMAND);

  it("token works with no server running, opening the database itself", async () => {
    const result = await plein(["token", "alice", "--scopes", "read"], env);
    expect(result.code, JSON.stringify(result)).toBe(0);
    const token = lastLine(result.stdout);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    tokens.push(token);
    if (!testDatabaseUrl) expect(existsSync(join(dataDir, "plein.pid"))).toBe(false); // released the lock
  }, COMMAND);

  it("every token printed authenticates as alice", async () => {
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const handle = testDatabaseUrl
      ? await openDatabase({ databaseUrl: testDatabaseUrl, searchPath: schema, poolSize: 1 })
      : await openDatabase({ dataDir });
    try {
      for (const token of tokens) {
        const auth = await authenticateToken(handle.db, token);
        expect(auth?.actor.username).toBe("alice");
      }
      const last = await authenticateToken(handle.db, tokens.at(-1)!);
      expect(last?.scopes).toEqual(["read"]);
      expect(await authenticateToken(handle.db, "x".repeat(43))).toBeUndefined();
    } finally {
      await handle.close();
    }
  }, COMMAND);
});
