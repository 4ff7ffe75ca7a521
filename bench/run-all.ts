/**
 * `npm run bench`: every benchmark of issue 10, each in a process of its own,
 * one after the other, on PostgreSQL (TEST_DATABASE_URL) and on PGlite where
 * it makes sense (fan-out, reads, footprint, soak; the inbox benchmark reads the
 * database while Plein runs and the timeline seed is PostgreSQL-sized), and
 * the earlier delivery-latency benchmarks (bench/delivery.ts, group-delivery.ts). Then
 * bench/results.json: every result (figures, targets, machine) and a summary
 * of the targets and of each Plein process's peak memory.
 *
 *   TEST_DATABASE_URL=postgres://plein:plein@127.0.0.1:5432/plein_test npm run bench
 *   BENCH_ONLY=fanout,reads npm run bench          (some of them)
 *   BENCH_DATABASES=postgresql npm run bench       (one database only)
 *
 * The size knobs of each benchmark pass through (MEMBERS=200, SOAK_SECONDS=30 ...; the delivery
 * benchmarks' POSTS is DELIVERY_POSTS here, POSTS being the timelines'); a run
 * smaller than the sizes writes bench/results/smoke/results.json instead.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DatabaseKind, describeMachine } from "./lib/machine.ts";
import { RESULTS_DIR, type Result, SMOKE_DIR } from "./lib/results.ts";
import { TEST_CA } from "./lib/server.ts";

const PLAN: Array<{ name: string; databases: DatabaseKind[] }> = [
  { name: "footprint", databases: ["postgresql", "pglite"] },
  { name: "reads", databases: ["postgresql", "pglite"] },
  { name: "timelines", databases: ["postgresql"] },
  { name: "inbox", databases: ["postgresql"] },
  { name: "fanout", databases: ["postgresql", "pglite"] },
  { name: "soak", databases: ["postgresql", "pglite"] },
];

/** The earlier delivery-latency benchmarks (real instances in one process); their results are kept as they are. */
const LATENCY: Array<{ name: string; file: string }> = [
  { name: "delivery", file: "delivery" },
  { name: "group-delivery", file: "group-delivery" },
];

const pgUrl = process.env.TEST_DATABASE_URL || undefined;
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
const databases = (process.env.BENCH_DATABASES?.split(",").map((s) => s.trim()) ?? ["postgresql", "pglite"]) as DatabaseKind[];

function run(name: string, kind: DatabaseKind, extra: Record<string, string | undefined> = {}): Promise<number> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CA, ...extra };
  if (kind === "pglite") delete env.TEST_DATABASE_URL;
  else env.TEST_DATABASE_URL = pgUrl;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, `${name}.ts`)], { env, stdio: "inherit" });
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

function resultWrittenSince(name: string, kind: DatabaseKind, since: number): Result | undefined {
  for (const dir of [RESULTS_DIR, SMOKE_DIR]) {
    const file = join(dir, `${name}-${kind}.json`);
    if (existsSync(file) && statSync(file).mtimeMs >= since) return JSON.parse(readFileSync(file, "utf8")) as Result;
  }
  return undefined;
}

async function main(): Promise<void> {
  if (!pgUrl) process.stdout.write("TEST_DATABASE_URL is not set: PostgreSQL benchmarks (inbox, timelines among them) are skipped\n");
  const results: Result[] = [];
  const failed: string[] = [];
  for (const { name, databases: supported } of PLAN) {
    if (only && !only.includes(name)) continue;
    for (const kind of supported) {
      if (!databases.includes(kind) || (kind === "postgresql" && !pgUrl)) continue;
      process.stdout.write(`\n### ${name} on ${kind}\n`);
      const started = Date.now();
      const code = await run(name, kind);
      const result = resultWrittenSince(name, kind, started);
      if (code !== 0 || !result) failed.push(`${name} on ${kind} (exit code ${code})`);
      if (result) results.push(result);
    }
  }
  const latency: Record<string, unknown> = {};
  for (const { name, file } of LATENCY) {
    if (only && !only.includes(name)) continue;
    for (const kind of databases) {
      if (kind === "postgresql" && !pgUrl) continue;
      process.stdout.write(`\n### ${name} on ${kind}\n`);
      const started = Date.now();
      // POSTS is the timeline benchmark's knob here; theirs is DELIVERY_POSTS.
      const path = join(RESULTS_DIR, `${file}-${kind}.json`);
      const before = existsSync(path) ? readFileSync(path) : undefined;
      const code = await run(name, kind, { POSTS: process.env.DELIVERY_POSTS });
      if (code !== 0 || !existsSync(path) || statSync(path).mtimeMs < started) {
        failed.push(`${name} on ${kind} (exit code ${code})`);
        continue;
      }
      latency[`${name}-${kind}`] = JSON.parse(readFileSync(path, "utf8"));
      // They always write beside the real figures: a smaller run goes to smoke/, the real figures stay.
      if (Number(process.env.DELIVERY_POSTS || 20) < 20) {
        mkdirSync(SMOKE_DIR, { recursive: true });
        renameSync(path, join(SMOKE_DIR, `${file}-${kind}.json`));
        if (before) writeFileSync(path, before);
      }
    }
  }
  // A partial run (BENCH_ONLY, BENCH_DATABASES) keeps the other benchmarks' latest
  // full-size results, each with its own date and machine load, marked as earlier.
  const earlier: Result[] = [];
  if (only || process.env.BENCH_DATABASES) {
    for (const { name, databases: supported } of PLAN) {
      for (const kind of supported) {
        if (results.some((r) => r.benchmark === name && r.machine.database.kind === kind)) continue;
        const file = join(RESULTS_DIR, `${name}-${kind}.json`);
        if (existsSync(file)) earlier.push({ ...JSON.parse(readFileSync(file, "utf8")) as Result, earlier: true });
      }
    }
  }
  results.push(...earlier.filter((r) => r.fullSize));
  const fullSize = results.length > 0 && results.every((r) => r.fullSize);
  const summary = {
    date: new Date().toISOString(),
    fullSize,
    machine: await describeMachine(pgUrl ? "postgresql" : "pglite", pgUrl),
    failed,
    targets: results.flatMap((r) => r.targets.map((t) => ({ benchmark: r.benchmark, database: r.machine.database.kind, ...t }))),
    peakRssMiB: Object.fromEntries(results.map((r) => [`${r.benchmark}-${r.machine.database.kind}`, peakOf(r)])),
    results,
    latency,
  };
  const file = fullSize ? join(import.meta.dirname, "results.json") : join(SMOKE_DIR, "results.json");
  mkdirSync(fullSize ? import.meta.dirname : SMOKE_DIR, { recursive: true });
  writeFileSync(file, JSON.stringify(summary, null, 2) + "\n");
  process.stdout.write(`\n### Targets${fullSize ? "" : " (SMOKE RUN)"}\n`);
  for (const t of summary.targets) process.stdout.write(`  ${t.met ? "ok  " : "MISS"} ${t.benchmark}/${t.database}: ${t.name}: ${t.value} ${t.unit} (target ${t.target})\n`);
  for (const f of failed) process.stdout.write(`  FAILED ${f}\n`);
  process.stdout.write(`written to ${file}\n`);
  if (failed.length) process.exitCode = 1;
}

/** The peak RSS of the benchmark's Plein process(es), from its figures. */
function peakOf(result: Result): number | undefined {
  const peaks: number[] = [];
  const visit = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      if (key === "peakRssMiB" && typeof v === "number") peaks.push(v);
      else if (key === "peakRssMB" && typeof v === "number") peaks.push(Math.round(v * 1e6 / 2 ** 20));
      else if (key !== "bareFedify") visit(v);
    }
  };
  visit(result.figures);
  return peaks.length ? Math.max(...peaks) : undefined;
}

await main();
