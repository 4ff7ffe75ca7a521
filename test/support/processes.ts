/**
 * Real `plein` processes (serve, web, worker) on one PostgreSQL schema, for the
 * fault tests (test/faults): started as children of the test, stopped with
 * SIGTERM or killed with SIGKILL, their output kept for failure messages.
 * Also: remote followers inserted straight into the database, and "sink"
 * servers that stand for their inboxes and record what they receive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { QUEUES } from "../../src/db/queue-rows.ts";
import { waitFor } from "./instances.ts";
import type { ReceivedRequest } from "./fake-remote.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "main.ts");

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
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

/** A schema of its own on the PostgreSQL server at `serverUrl`, migrated; `url` selects it. */
export interface PgSchema {
  /** connection string whose connections use the schema */
  url: string;
  db: DatabaseHandle["db"];
  close(): Promise<void>;
}

export async function createSchema(serverUrl: string): Promise<PgSchema> {
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const handle = await openDatabase({ databaseUrl: serverUrl, searchPath: schema, poolSize: 3 });
  await migrateToLatest(handle.db);
  return {
    url: url.href,
    db: handle.db,
    async close() {
      await handle.close();
      const drop = new pg.Client({ connectionString: serverUrl });
      await drop.connect();
      await drop.query(`drop schema if exists ${schema} cascade`);
      await drop.end();
    },
  };
}

export class PleinProcess {
  readonly child: ChildProcess;
  readonly command: string;
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, env: Record<string, string>) {
    this.command = command;
    this.child = spawn(process.execPath, [MAIN, command], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8").on("data", (d: string) => {
        this.output += d;
      });
    }
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Options every process of one test shares: where it listens (web), its origin and database. */
export interface ProcessEnv {
  DATABASE_URL: string;
  PLEIN_ORIGIN: string;
  [key: string]: string;
}

export function processEnv(databaseUrl: string, origin: string, extra: Record<string, string> = {}): ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    PLEIN_ORIGIN: origin,
    PLEIN_ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "warning",
    ...extra,
  };
}

/** Starts `plein web` or `plein serve` on `port` and waits for /healthz to answer 200. */
export async function startWeb(command: "web" | "serve", env: ProcessEnv, port: number): Promise<PleinProcess> {
  const proc = new PleinProcess(command, { ...env, PORT: String(port), HOST: "127.0.0.1" });
  await waitFor(async () => {
    if (!proc.running) throw new Error(`plein ${command} exited\n${proc.output}`);
    return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok;
  }, { timeoutMs: 60_000, intervalMs: 200, message: `plein ${command} to start\n${proc.output}` });
  return proc;
}

/** Starts `plein worker` and waits until it is listening on every queue (a LISTEN connection each). */
export async function startWorker(env: ProcessEnv, db: DatabaseHandle["db"]): Promise<PleinProcess> {
  const proc = new PleinProcess("worker", env);
  const { sql } = await import("kysely");
  await waitFor(async () => {
    if (!proc.running) throw new Error(`plein worker exited\n${proc.output}`);
    const rows = await sql<{ n: number }>`
      select count(*)::integer as n from pg_stat_activity
      where application_name like ${`plein-listen %:${proc.child.pid}:%`}`.execute(db);
    return rows.rows[0]!.n >= QUEUES.length;
  }, { timeoutMs: 60_000, intervalMs: 200, message: `plein worker to start\n${proc.output}` });
  return proc;
}

/** Runs a plein admin command to completion; its stdout. */
export async function runPlein(args: string[], env: ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`plein ${args.join(" ")} exited ${code}\n${stdout}${stderr}`);
  return stdout;
}

/** Creates a local user and returns a Mastodon API token for it. */
export async function createUserWithToken(env: ProcessEnv, name: string): Promise<string> {
  await runPlein(["user", "create", name, "--email", `${name}@example.test`, "--password", "correct horse battery"], env);
  const out = await runPlein(["token", name, "--scopes", "read write follow"], env);
  return out.trim().split("\n").at(-1)!;
}

/** Posts a public status through `origin`'s API; its id and uri. */
export async function postStatus(origin: string, token: string, text: string): Promise<{ id: string; uri: string }> {
  const response = await fetch(`${origin}/api/v1/statuses`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ status: text, visibility: "public" }),
  });
  if (response.status !== 200) throw new Error(`POST /api/v1/statuses: ${response.status} ${await response.text()}`);
  return await response.json() as { id: string; uri: string };
}

/**
 * A remote server that only receives: every POST to /users/NAME/inbox is
 * recorded (with its headers, for signature checks) and answered by
 * `answer` (202 by default). Actors are never served from it: the tests
 * insert the followers into the database themselves.
 */
export interface Sink {
  origin: string;
  host: string;
  received: ReceivedRequest[];
  inboxOf(name: string): string;
  close(): Promise<void>;
}

export type SinkAnswer = (req: IncomingMessage, res: ServerResponse) => void;

export async function startSink(host: string, answer?: SinkAnswer): Promise<Sink> {
  const received: ReceivedRequest[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0]!, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (answer) answer(req, res);
      else res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    host: new URL(origin).host,
    received,
    inboxOf: (name) => `${origin}/users/${name}/inbox`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Inserts remote actors on `sink` (own inboxes, no shared inbox) that follow local `username`. */
export async function insertFollowers(db: DatabaseHandle["db"], username: string, sink: Sink, names: string[]): Promise<void> {
  const local = await db.selectFrom("actors").select("id").where("username", "=", username).where("local", "=", true).executeTakeFirstOrThrow();
  const actors = await db.insertInto("actors").values(names.map((name) => ({
    iri: `${sink.origin}/users/${name}`,
    type: "Person" as const,
    username: name,
    domain: sink.host,
    local: false,
    inbox_url: sink.inboxOf(name),
    shared_inbox_url: null,
    followers_url: `${sink.origin}/users/${name}/followers`,
    fields: JSON.stringify([]),
    fetched_at: new Date(),
  }))).returning("id").execute();
  await db.insertInto("follows").values(actors.map((a) => ({
    follower_id: a.id,
    followee_id: local.id,
    state: "accepted" as const,
    activity_iri: `${sink.origin}/follows/${a.id}`,
  }))).execute();
  await db.updateTable("actors").set((eb) => ({ followers_count: eb("followers_count", "+", names.length) })).where("id", "=", local.id).execute();
}

/** The recipient (NAME of /users/NAME/inbox) of each request a sink received. */
export function recipientOf(request: ReceivedRequest): string {
  return request.path.split("/")[2]!;
}
