/**
 * Footprint (issue 10): the time from starting `plein serve` to its first
 * healthy answer (GET /healthz 200), on a new database (first start:
 * migrations included) and then RESTARTS times on the same one; Plein's RSS
 * once idle after each start, and its peak RSS. (Every other benchmark reports
 * the peak RSS of its Plein process too: `server.peakRssMiB` in its result.)
 *
 *   npm run bench:footprint              (PGlite; TEST_DATABASE_URL=... for PostgreSQL)
 *
 * Knobs: RESTARTS (5).
 */
import { installTemporal } from "../src/temporal.ts";
import { databaseKind, freshDatabase } from "./lib/database.ts";
import { holdBenchmarkLock } from "./lib/lock.ts";
import { describeMachine } from "./lib/machine.ts";
import { below, isFullSize, report } from "./lib/results.ts";
import { idleMemory, startPleinProcess } from "./lib/server.ts";
import { knob, percentile, round } from "./lib/stats.ts";

installTemporal();

const DEFAULTS = { RESTARTS: 5 };
const RESTARTS = Math.max(1, knob("RESTARTS", DEFAULTS.RESTARTS));
const MB = (mib: number | undefined) => (mib === undefined ? Number.NaN : Math.round(mib * 2 ** 20 / 1e6));

async function main(): Promise<void> {
  await holdBenchmarkLock();
  const kind = databaseKind();
  const machine = await describeMachine(kind, process.env.TEST_DATABASE_URL);
  process.stdout.write(`footprint: first start and ${RESTARTS} restarts, ${kind}\n`);
  const database = await freshDatabase("footprint");
  const starts: Array<{ startMs: number; idleRssMB: number; peakRssMB: number }> = [];
  try {
    for (let i = 0; i <= RESTARTS; i++) {
      const plein = await startPleinProcess(database);
      try {
        const idle = await idleMemory(plein.pid);
        const peak = plein.memory();
        starts.push({ startMs: round(plein.startMs), idleRssMB: MB(idle?.rssMiB), peakRssMB: MB(peak?.peakRssMiB) });
        process.stdout.write(`${i === 0 ? "first start" : `restart ${i}`}: healthy after ${round(plein.startMs)} ms, `
          + `idle RSS ${MB(idle?.rssMiB)} MB, peak ${MB(peak?.peakRssMiB)} MB\n`);
      } finally {
        await plein.stop();
      }
    }
  } finally {
    await database.drop();
  }
  const [first, ...restarts] = starts as [typeof starts[number], ...typeof starts];
  const restartMs = restarts.map((s) => s.startMs).sort((a, b) => a - b);
  const idleMB = restarts.map((s) => s.idleRssMB).sort((a, b) => a - b);
  const figures = {
    firstStartMs: first.startMs,
    restartMedianMs: percentile(restartMs, 50),
    restartMaxMs: restartMs.at(-1)!,
    idleRssMedianMB: percentile(idleMB, 50),
    peakRssMB: Math.max(...starts.map((s) => s.peakRssMB)),
    starts,
  };
  report({
    benchmark: "footprint",
    description: "start-up time to the first healthy answer (first start, restarts) and memory (RSS) at idle and at peak",
    date: new Date().toISOString(),
    fullSize: isFullSize({ RESTARTS }, DEFAULTS),
    parameters: { restarts: RESTARTS },
    machine,
    targets: [
      below("restart to first healthy answer (median)", figures.restartMedianMs, "ms", 2000),
      below("idle RSS (median after restarts)", figures.idleRssMedianMB, "MB", 250),
    ],
    figures,
  });
}

await main();
