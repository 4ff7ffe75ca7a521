/**
 * Real Plein instances for federation tests, all inside the test process.
 *
 * Each instance listens with HTTPS on port 443 of its own loopback address
 * 127.0.P.N and has the port-less origin https://127.0.P.N (Fedify drops ports
 * from handles and looks `acct:` handles up over https only). P comes from
 * VITEST_POOL_ID (1..8), so test files running in parallel never share an
 * address; when another process (a second vitest run, the benchmark) holds
 * that block, the first free block is used instead (claimPool). N is 1..12
 * within one process. The server certificate in test/tls
 * names every one of these addresses; Node trusts its CA through
 * NODE_EXTRA_CA_CERTS (`npm test` sets it) or, failing that, through
 * `tls.setDefaultCACertificates` below.
 *
 * Every instance has its own database (a PGlite copy of the migrated template,
 * or a pg schema of its own with TEST_DATABASE_URL). `stop()` closes HTTP and
 * the queue but keeps the database, `restart()` starts Plein again on the same
 * database and address: what a crash-and-restart looks like from outside.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { configure, getConsoleSink, type LogLevel as LogtapeLevel } from "@logtape/logtape";
import { sql } from "kysely";
import pg from "pg";
import { loadConfig, type LogLevel } from "../../src/config.ts";
import { type Db, openDatabase } from "../../src/db/database.ts";
import { migratorFor } from "../../src/db/migrate.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { type RunningPlein, type StartOptions, startPlein } from "../../src/server.ts";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "./db.ts";

const TLS_DIR = join(import.meta.dirname, "..", "tls");
export const TLS = {
  ca: join(TLS_DIR, "ca.pem"),
  cert: join(TLS_DIR, "server.pem"),
  key: join(TLS_DIR, "server.key"),
} as const;

/** Highest instance number per process; the certificate covers 127.0.P.1 to 127.0.P.12. */
export const MAX_INSTANCES = 12;

trustTestCa();

/**
 * NODE_EXTRA_CA_CERTS is read once at process start. When a test runs without
 * it (e.g. `npx vitest run` directly), add the test CA to the default store,
 * which every later TLS connection (fetch included) uses.
 */
function trustTestCa(): void {
  const ca = readFileSync(TLS.ca, "utf8").trim();
  const normalise = (pem: string) => pem.replace(/\s+/g, "");
  const trusted = getCACertificates("default");
  if (trusted.some((pem) => normalise(pem) === normalise(ca))) return;
  setDefaultCACertificates([...trusted, ca]);
}

/**
 * The preferred P of 127.0.P.N: PLEIN_TEST_POOL, else VITEST_POOL_ID, else 1.
 * VITEST_POOL_ID keeps the parallel test files of one vitest run apart, but not
 * two vitest runs on one machine; see claimPool().
 */
export function preferredPool(): number {
  const raw = process.env.PLEIN_TEST_POOL || process.env.VITEST_POOL_ID || "1";
  const pool = Number(raw);
  if (!Number.isInteger(pool) || pool < 1 || pool > 8) {
    throw new Error(`Test pool ${raw} is outside 1..8: the test certificate covers 127.0.1.x to 127.0.8.x only `
      + "(run vitest with --maxWorkers=8 or fewer, or set PLEIN_TEST_POOL)");
  }
  return pool;
}

/** Address whose port 443 a process holds while it uses 127.0.P.1-12 (outside the certificate's range). */
const poolLockAddress = (pool: number) => `127.0.${pool}.250`;

let claimed: { pool: number; lock: Server } | undefined;

/**
 * Claims a block 127.0.P.x for this process: a plain TCP listener on
 * 127.0.P.250:443 is the lock, so a second vitest run (or the benchmark) on
 * the same machine takes another block instead of colliding. The preferred
 * block first, then the others; waits while all eight are taken.
 */
async function claimPool(): Promise<number> {
  if (claimed) return claimed.pool;
  const preferred = preferredPool();
  const order = [preferred, ...[1, 2, 3, 4, 5, 6, 7, 8].filter((p) => p !== preferred)];
  const deadline = Date.now() + 120_000;
  for (;;) {
    for (const pool of order) {
      const lock = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        lock.once("error", () => resolve(false));
        lock.listen({ host: poolLockAddress(pool), port: 443, exclusive: true }, () => resolve(true));
      });
      if (ok && await addressesFree(pool)) {
        lock.unref();
        claimed = { pool, lock };
        return pool;
      }
      if (ok) await new Promise<void>((resolve) => lock.close(() => resolve()));
    }
    if (Date.now() > deadline) throw new Error("All eight loopback blocks 127.0.1-8.x are in use by other test processes");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Is port 443 free on all of 127.0.P.1-12 (something that does not take the lock may hold one)? */
async function addressesFree(pool: number): Promise<boolean> {
  for (let n = 1; n <= MAX_INSTANCES; n++) {
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen({ host: `127.0.${pool}.${n}`, port: 443, exclusive: true }, () => resolve(true));
    });
    if (free) await new Promise<void>((resolve) => probe.close(() => resolve()));
    else return false;
  }
  return true;
}

function releasePoolIfIdle(): void {
  if (!claimed || usedNumbers.size > 0) return;
  claimed.lock.close();
  claimed = undefined;
}

const usedNumbers = new Set<number>();

function allocateNumber(): number {
  for (let n = 1; n <= MAX_INSTANCES; n++) {
    if (!usedNumbers.has(n)) {
      usedNumbers.add(n);
      return n;
    }
  }
  throw new Error(`At most ${MAX_INSTANCES} test instances per process`);
}

function releaseNumber(n: number): void {
  usedNumbers.delete(n);
  releasePoolIfIdle();
}

export interface ApiResponse<T> {
  status: number;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: T;
  /** The raw body text. */
  text: string;
  headers: Headers;
}

type Query = Record<string, string | number | boolean | readonly (string | number)[] | undefined>;

/** A small Mastodon API client for one bearer token (or none). */
export interface ApiClient {
  /** the instance's origin */
  readonly origin: string;
  get<T = unknown>(path: string, query?: Query): Promise<ApiResponse<T>>;
  post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Any request; `path` may be absolute (another origin) or relative to this instance. */
  request<T = unknown>(method: string, path: string, init?: { body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
}

export interface TestUser {
  actor: Actor;
  token: string;
  /** `name@127.0.P.N` */
  handle: string;
  /** The user's Mastodon API client on its own instance. */
  api: ApiClient;
}

export interface CreateUserOptions {
  locked?: boolean;
  admin?: boolean;
  displayName?: string;
  /** Default "read write follow". */
  scopes?: string[];
}

export interface TestInstance {
  /** 1..12: the N of 127.0.P.N */
  readonly number: number;
  /** `https://127.0.P.N` */
  readonly origin: string;
  /** `127.0.P.N` (also the handle domain) */
  readonly host: string;
  /** The running Plein; throws while stopped. */
  readonly running: RunningPlein;
  readonly isRunning: boolean;
  /** This instance's database; stays open across stop/restart. */
  readonly database: TestDatabase;
  readonly db: Db;
  /** Creates a local user and an API token for it. */
  createUser(name: string, options?: CreateUserOptions): Promise<TestUser>;
  /** A Mastodon API client for `token` (none: unauthenticated). */
  api(token?: string): ApiClient;
  /** Closes HTTP and the queue, keeps the database. */
  stop(): Promise<void>;
  /** Starts Plein again on the same database and address. */
  restart(): Promise<void>;
  /** Stops (if running) and closes the database. */
  close(): Promise<void>;
}

export interface StartInstancesOptions {
  /** Extra environment for every instance (e.g. PLEIN_FEDERATION_MODE). */
  env?: Record<string, string>;
  /** More startPlein() options for every instance (start and restart alike). */
  start?: Omit<StartOptions, "database" | "role" | "listen">;
}

/** Log level for the instances: PLEIN_TEST_LOG (trace..fatal), default "error". */
function testLogLevel(): LogLevel | undefined {
  const level = process.env.PLEIN_TEST_LOG || "error";
  if (level === "off" || level === "none") return undefined;
  const levels: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
  return levels.includes(level as LogLevel) ? level as LogLevel : "error";
}

let loggingConfigured = false;

/** Plein's and Fedify's logs to the console at PLEIN_TEST_LOG's level (default: errors only). */
async function configureTestLogging(level: LogLevel): Promise<void> {
  if (loggingConfigured) return;
  loggingConfigured = true;
  await configure({
    reset: true,
    // Fedify logs with per-request context (withContext); without storage LogTape warns on every request.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["plein"], lowestLevel: level as LogtapeLevel, sinks: ["console"] },
      { category: ["fedify"], lowestLevel: level as LogtapeLevel, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: ["console"] },
    ],
  });
}

export async function startInstances(count: number, options: StartInstancesOptions = {}): Promise<TestInstance[]> {
  const level = testLogLevel();
  if (level) await configureTestLogging(level);
  const pool = await claimPool();
  const started: TestInstance[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await startInstance(pool, options));
  } catch (error) {
    await Promise.allSettled(started.map((instance) => instance.close()));
    releasePoolIfIdle();
    throw error;
  }
  return started;
}

/** Closes every instance given; safe to call with instances already closed. */
export async function closeInstances(instances: readonly TestInstance[] | undefined): Promise<void> {
  if (!instances) return;
  const results = await Promise.allSettled(instances.map((instance) => instance.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

async function startInstance(pool: number, options: StartInstancesOptions): Promise<TestInstance> {
  const number = allocateNumber();
  const host = `127.0.${pool}.${number}`;
  const origin = `https://${host}`;
  // Uploaded files: a directory of each instance's own, kept across restarts, removed on close.
  const mediaDir = mkdtempSync(join(tmpdir(), `plein-media-${host}-`));
  const env: Record<string, string> = {
    HOST: host,
    PORT: "443",
    PLEIN_ORIGIN: origin,
    PLEIN_ALLOW_PRIVATE_ADDRESS: "true",
    PLEIN_TLS_CERT: TLS.cert,
    PLEIN_TLS_KEY: TLS.key,
    PLEIN_ROLE: "all",
    LOG_LEVEL: testLogLevel() ?? "error",
    PLEIN_MEDIA_DIR: mediaDir,
    // Tests poll the API far faster than people do; test/api/rate-limit.test.ts turns the limit on.
    PLEIN_RATE_LIMIT: "0",
    // pg: the queues LISTEN on this URL for wake-ups (they read their schema from the
    // database handle); the handle itself comes from openInstanceDatabase().
    ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl } : {}),
    ...options.env,
  };
  const removeMedia = () => rmSync(mediaDir, { recursive: true, force: true });
  let database: TestDatabase;
  try {
    database = await openInstanceDatabase();
  } catch (error) {
    removeMedia();
    releaseNumber(number);
    throw error;
  }
  let running: RunningPlein | undefined;
  let closed = false;

  const start = async () => {
    try {
      running = await startPlein(loadConfig(env), { ...options.start, database, role: "all" });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "EADDRINUSE") {
        throw new Error(`${host}:443 is in use: another test process on pool ${pool}, or an instance not closed`, { cause: error });
      }
      throw error;
    }
  };

  const stop = async () => {
    const current = running;
    running = undefined;
    // startPlein closes only what it opened: the database we passed stays open.
    if (current) await current.close();
  };

  const api = (token?: string) => apiClient(origin, token);

  const instance: TestInstance = {
    number,
    origin,
    host,
    get running() {
      if (!running) throw new Error(`Instance ${host} is not running`);
      return running;
    },
    get isRunning() {
      return running !== undefined;
    },
    database,
    db: database.db,
    async createUser(name, opts = {}) {
      const actor = await createUser(database.db, new URL(origin), {
        username: name,
        email: `${name}@${host}.example`,
        password: `password-${name}-${number}`,
        ...(opts.admin === undefined ? {} : { admin: opts.admin }),
        ...(opts.displayName === undefined ? {} : { displayName: opts.displayName }),
        ...(opts.locked === undefined ? {} : { locked: opts.locked }),
      });
      const token = await issueToken(database.db, actor, opts.scopes ?? ["read", "write", "follow"]);
      return { actor, token, handle: `${actor.username}@${host}`, api: api(token) };
    },
    api,
    stop,
    async restart() {
      if (closed) throw new Error(`Instance ${host} is closed`);
      if (running) await stop();
      await start();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await stop();
      } finally {
        await database.close();
        removeMedia();
        releaseNumber(number);
      }
    },
  };

  try {
    await start();
  } catch (error) {
    closed = true;
    await database.close().catch(() => {});
    removeMedia();
    releaseNumber(number);
    throw error;
  }
  return instance;
}

/**
 * openTestDatabase(), except on PostgreSQL: Kysely's Migrator looks for its own
 * tables in every schema (introspection), so once one schema of the test
 * database is migrated, migrating a second, empty one fails with `relation
 * "kysely_migration_lock" does not exist`. Several instances per file means
 * several schemas per process, so migrate each one with its schema named.
 * (Fix for everyone: pass `migrationTableSchema: current_schema()` in
 * src/db/migrate.ts; then this can call openTestDatabase() on both drivers.)
 */
async function openInstanceDatabase(): Promise<TestDatabase> {
  if (!testDatabaseUrl) return openTestDatabase();
  const url = testDatabaseUrl;
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${schema}`);
  const open = () => openDatabase({ databaseUrl: url, searchPath: schema, poolSize: 5 });
  const handle = await open();
  const dropped = async () => {
    await handle.close();
    await admin(`drop schema if exists ${schema} cascade`);
  };
  try {
    const result = await migratorFor(handle.db, schema).migrateToLatest();
    if (result.error) throw result.error;
  } catch (error) {
    await dropped();
    throw error;
  }
  return { ...handle, openAnother: open, close: dropped };
}

function toSearchParams(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(key.endsWith("[]") ? key : `${key}[]`, String(item));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function apiClient(origin: string, token?: string): ApiClient {
  const request = async <T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      if (typeof init.body === "string") {
        body = init.body;
      } else {
        body = JSON.stringify(init.body);
        headers["content-type"] ??= "application/json";
      }
    }
    const response = await fetch(new URL(path, origin), { method, headers, body, redirect: "manual" });
    const text = await response.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };
  return {
    origin,
    get: (path, query) => request("GET", query ? path + toSearchParams(query) : path),
    post: (path, body) => request("POST", path, { body }),
    put: (path, body) => request("PUT", path, { body }),
    patch: (path, body) => request("PATCH", path, { body }),
    delete: (path, body) => request("DELETE", path, { body }),
    request,
  };
}

export interface WaitOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Named in the timeout error. */
  message?: string;
}

/**
 * Polls `predicate` until it returns a value other than undefined, null or
 * false, and returns that value. A predicate that throws (an `expect` that does
 * not hold yet) is polled again; on timeout the last error is rethrown, so a
 * failing test shows what was last seen.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const what = options.message ? `: ${options.message}` : "";
  if (lastError instanceof Error) {
    lastError.message = `waitFor timed out after ${timeoutMs} ms${what}\n${lastError.message}`;
    throw lastError;
  }
  if (lastError !== undefined) throw new Error(`waitFor timed out after ${timeoutMs} ms${what}: ${String(lastError)}`);
  throw new Error(`waitFor timed out after ${timeoutMs} ms${what} (last value: ${String(lastValue)})`);
}

/** Messages that are due or being handled, on every queue of this instance's database. */
export async function pendingMessages(instance: TestInstance): Promise<number> {
  const row = await sql<{ n: number }>`
    select count(*)::integer as n from queue_messages
    where available_at <= now() or (locked_until is not null and locked_until > now())`.execute(instance.db);
  return row.rows[0]?.n ?? 0;
}

/**
 * Waits until no instance has a due or running queue message (delayed retries
 * do not count), twice in a row: every delivery caused so far has been sent
 * and handled. Use before asserting that something did NOT arrive.
 */
export async function settle(instances: readonly TestInstance[], options: WaitOptions = {}): Promise<void> {
  let quietRounds = 0;
  await waitFor(async () => {
    const counts = await Promise.all(instances.map(pendingMessages));
    quietRounds = counts.every((n) => n === 0) ? quietRounds + 1 : 0;
    return quietRounds >= 2 ? true : undefined;
  }, { message: "queues did not drain", ...options });
}
