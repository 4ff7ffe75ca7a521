import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import type { Database } from "../../src/db/schema.ts";
import { QUEUES } from "../../src/db/queue-rows.ts";
import type { BenchDatabase } from "./database.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
/** CPU profiles and heap snapshots of Plein (git-ignored). */
export const PROFILES_DIR = join(ROOT, "bench", "results", "profiles");
/** The benchmarks' certificate (bench/tls): 127.0.9.1-12 for Plein, 127.100.0-3.1-250 for sinks. */
export const BENCH_TLS = { cert: join(ROOT, "bench", "tls", "server.pem"), key: join(ROOT, "bench", "tls", "server.key") } as const;
export const TEST_CA = join(ROOT, "test", "tls", "ca.pem");

export interface Memory {
  rssMiB: number;
  /** the process's highest RSS so far (VmHWM) */
  peakRssMiB: number;
}

/** RSS of a process from /proc (Linux); undefined elsewhere or once it has exited. */
export function memoryOf(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: Math.round(kib("VmRSS") / 1024), peakRssMiB: Math.round(kib("VmHWM") / 1024) };
}

export interface PleinProcess {
  pid: number;
  /** e.g. https://127.0.9.1 */
  origin: string;
  host: string;
  /** from spawn to the first 200 of /healthz */
  startMs: number;
  memory(): Memory | undefined;
  /** With BENCH_HEAP_SNAPSHOTS=1: asks Plein for a heap snapshot (in PROFILES_DIR) and waits until it is written; false otherwise. */
  heapSnapshot(): Promise<boolean>;
  /** SIGTERM, waits for the exit; returns the memory seen just before. */
  stop(): Promise<Memory | undefined>;
}

export interface StartOptions {
  /** default 127.0.9.1 */
  host?: string;
  /** HTTPS on 443 with the benchmarks' certificate (default); false: plain HTTP on port 80 */
  tls?: boolean;
  env?: Record<string, string>;
}

export async function healthy(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Plein exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`Plein at ${origin} not healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Starts `plein serve` (HTTP and queues, as deployed) in a process of its own,
 * so that its memory is its own and the load generators' is not counted, and
 * waits for its first healthy answer.
 */
/** Plein's tuning knobs, passed through from the benchmark's environment to compare settings. */
const TUNING = ["PLEIN_QUEUE_CONCURRENCY", "PLEIN_OUTBOX_CONCURRENCY", "PLEIN_DB_POOL_SIZE", "PLEIN_DOCUMENT_CACHE_SECONDS"] as const;

function tuningFromEnvironment(): Record<string, string> {
  return Object.fromEntries(TUNING.flatMap((name) => process.env[name] === undefined ? [] : [[name, process.env[name]!]]));
}

function pleinEnvironment(database: BenchDatabase, options: StartOptions, host: string, tls: boolean, mediaDir: string): Record<string, string> {
  const origin = tls ? `https://${host}` : `http://${host}`;
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    NODE_EXTRA_CA_CERTS: TEST_CA,
    HOST: host,
    PORT: tls ? "443" : "80",
    PLEIN_ORIGIN: origin,
    PLEIN_ROLE: "all",
    PLEIN_ALLOW_PRIVATE_ADDRESS: "true",
    PLEIN_FEDERATION_MODE: "open",
    PLEIN_RATE_LIMIT: "0",
    PLEIN_MEDIA_DIR: mediaDir,
    LOG_LEVEL: process.env.PLEIN_BENCH_LOG || "error",
    ...(tls ? { PLEIN_TLS_CERT: BENCH_TLS.cert, PLEIN_TLS_KEY: BENCH_TLS.key } : {}),
    ...database.serverEnv,
    ...tuningFromEnvironment(),
    ...options.env,
  };
}

/**
 * With SPLIT=1 a benchmark runs Plein as two processes, `plein web` and `plein worker`
 * (docs/OPERATIONS.md): a Node process computes on one core, and the machine has more.
 */
export const SPLIT = process.env.SPLIT === "1";

/**
 * Starts `plein worker` (queues only, no HTTP) beside a `plein web` started with
 * `{ role: "web" }`, and waits until it listens on every queue (a LISTEN
 * connection each, seen through `db`). Stopped with SIGTERM like the web process.
 */
export async function startPleinWorker(database: BenchDatabase, db: Kysely<Database>, options: StartOptions = {}): Promise<{ pid: number; memory(): Memory | undefined; stop(): Promise<Memory | undefined> }> {
  const host = options.host ?? "127.0.9.1";
  const mediaDir = mkdtempSync(join(tmpdir(), "plein-bench-media-"));
  const env = { ...pleinEnvironment(database, options, host, options.tls ?? true, mediaDir), PLEIN_ROLE: "worker" };
  const profile = process.env.BENCH_PROFILE === "1" ? ["--cpu-prof", `--cpu-prof-dir=${PROFILES_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, "src", "main.ts"), "worker"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid!;
  const deadline = performance.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`plein worker exited with code ${child.exitCode} while starting`);
    const rows = await sql<{ n: number }>`select count(*)::integer as n from pg_stat_activity
      where application_name like ${`plein-listen %:${pid}:%`}`.execute(db);
    if (rows.rows[0]!.n >= QUEUES.length) break;
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("plein worker not listening within 120 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid,
    memory: () => memoryOf(pid),
    stop: () => stopChild(child, exited, mediaDir),
  };
}

/** SIGTERM (SIGKILL after 30 s), waits for the exit, removes the media directory; the memory seen just before. */
async function stopChild(child: ChildProcess, exited: Promise<void>, mediaDir: string): Promise<Memory | undefined> {
  const last = memoryOf(child.pid!);
  if (child.exitCode === null) {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(mediaDir, { recursive: true, force: true });
  return last;
}

export async function startPleinProcess(database: BenchDatabase, options: StartOptions = {}): Promise<PleinProcess> {
  const host = options.host ?? "127.0.9.1";
  const tls = options.tls ?? true;
  const origin = tls ? `https://${host}` : `http://${host}`;
  const mediaDir = mkdtempSync(join(tmpdir(), "plein-bench-media-"));
  const env = pleinEnvironment(database, options, host, tls, mediaDir);
  const command = env.PLEIN_ROLE === "web" ? "web" : "serve";
  const started = performance.now();
  // BENCH_PROFILE=1: a V8 CPU profile of Plein (open it in Chrome's DevTools), written when it stops.
  const profile = process.env.BENCH_PROFILE === "1" ? ["--cpu-prof", `--cpu-prof-dir=${PROFILES_DIR}`] : [];
  // BENCH_HEAP_SNAPSHOTS=1: SIGUSR2 makes Plein write a V8 heap snapshot there (`heapSnapshot()` below); compare two in DevTools' Memory tab.
  if (process.env.BENCH_HEAP_SNAPSHOTS === "1") profile.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${PROFILES_DIR}`);
  const child = spawn(process.execPath, [...profile, join(ROOT, "src", "main.ts"), command], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await healthy(origin, child, 120_000);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(mediaDir, { recursive: true, force: true });
    throw error;
  }
  const startMs = performance.now() - started;
  const pid = child.pid!;
  return {
    pid,
    origin,
    host,
    startMs,
    memory: () => memoryOf(pid),
    async heapSnapshot() {
      if (process.env.BENCH_HEAP_SNAPSHOTS !== "1" || child.exitCode !== null) return false;
      mkdirSync(PROFILES_DIR, { recursive: true });
      const before = new Set(readdirSync(PROFILES_DIR));
      child.kill("SIGUSR2");
      // Node writes Heap.<date>.<pid>...heapsnapshot; it is complete once its size stops changing.
      const deadline = performance.now() + 300_000;
      let last = -1;
      while (performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const file = readdirSync(PROFILES_DIR).find((f) => !before.has(f) && f.endsWith(".heapsnapshot") && f.includes(`.${pid}.`));
        if (!file) continue;
        const size = statSync(join(PROFILES_DIR, file)).size;
        if (size > 0 && size === last) {
          process.stdout.write(`heap snapshot: ${join(PROFILES_DIR, file)} (${Math.round(size / 2 ** 20)} MiB)\n`);
          return true;
        }
        last = size;
      }
      return false;
    },
    stop: () => stopChild(child, exited, mediaDir),
  };
}

/** CPU time (user and system) a process has used, in ticks of 1/100 s, from /proc (Linux); NaN elsewhere or once it has exited. */
export function cpuTicksOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** Waits until the process has been quiet (CPU time barely moving) for a moment, then reads its RSS: memory at idle. */
export async function idleMemory(pid: number, quietMs = 2000): Promise<Memory | undefined> {
  const cpuTicks = () => cpuTicksOf(pid);
  const deadline = performance.now() + 30_000;
  let before = cpuTicks();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = cpuTicks();
    // under 5% of one core over the interval (ticks are 1/100 s)
    if (!(now - before > quietMs / 1000 * 100 * 0.05) || performance.now() > deadline) return memoryOf(pid);
    before = now;
  }
}
