/**
 * Delivery latency between real instances: three instances on loopback over
 * HTTPS (as in the federation tests), alice on A followed by bob on B and
 * carol on C. alice posts 20 times; for each post we measure the time from the
 * API answer to the moment it shows in both followers' home timelines
 * (polled every 20 ms). Prints median / p90 / max and writes
 * bench/results/delivery-<database>.json.
 *
 *   npm run bench:delivery        (NODE_EXTRA_CA_CERTS=test/tls/ca.pem node bench/delivery.ts)
 *
 * Uses PGlite unless TEST_DATABASE_URL is set; loopback addresses 127.0.8.x
 * unless PLEIN_TEST_POOL says otherwise. POSTS=n changes the number of posts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { installTemporal } from "../src/temporal.ts";

installTemporal();
process.env.PLEIN_TEST_POOL ||= "8";

const { default: buildTemplate } = await import("../test/support/global-setup.ts");
const { closeInstances, startInstances } = await import("../test/support/instances.ts");
const { findInHome, followAndWait, postStatus } = await import("../test/support/mastodon.ts");

const POSTS = Number(process.env.POSTS || 20);
const POLL_MS = 20;
const TIMEOUT_MS = 60_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  await buildTemplate();
  const instances = await startInstances(3);
  try {
    const [A, B, C] = instances as [typeof instances[number], typeof instances[number], typeof instances[number]];
    const alice = await A.createUser("alice");
    const bob = await B.createUser("bob");
    const carol = await C.createUser("carol");
    await followAndWait(bob, alice.handle);
    await followAndWait(carol, alice.handle);

    const samples: Array<{ post: number; totalMs: number; bobMs: number; carolMs: number }> = [];
    for (let i = 1; i <= POSTS; i++) {
      const post = await postStatus(alice, { status: `Benchmark post ${i} ${crypto.randomUUID()}`, visibility: "public" });
      const start = performance.now();
      const arrived: { bob?: number; carol?: number } = {};
      while (arrived.bob === undefined || arrived.carol === undefined) {
        if (performance.now() - start > TIMEOUT_MS) throw new Error(`Post ${i} not delivered within ${TIMEOUT_MS} ms`);
        const [b, c] = await Promise.all([
          arrived.bob === undefined ? findInHome(bob, post.uri) : undefined,
          arrived.carol === undefined ? findInHome(carol, post.uri) : undefined,
        ]);
        const now = performance.now() - start;
        if (b) arrived.bob = now;
        if (c) arrived.carol = now;
        if (arrived.bob === undefined || arrived.carol === undefined) await new Promise((r) => setTimeout(r, POLL_MS));
      }
      samples.push({ post: i, totalMs: round(Math.max(arrived.bob, arrived.carol)), bobMs: round(arrived.bob), carolMs: round(arrived.carol) });
      process.stdout.write(`post ${String(i).padStart(2)}: ${round(Math.max(arrived.bob, arrived.carol))} ms\n`);
    }

    const totals = samples.map((s) => s.totalMs).sort((a, b) => a - b);
    const summary = {
      medianMs: percentile(totals, 50),
      p90Ms: percentile(totals, 90),
      maxMs: totals[totals.length - 1] ?? NaN,
    };
    const result = {
      benchmark: "delivery",
      description: "time from POST /api/v1/statuses answering to the post showing in the home timelines of followers on two other instances",
      date: new Date().toISOString(),
      database: process.env.TEST_DATABASE_URL ? "postgresql" : "pglite",
      node: process.version,
      cpus: cpus().length,
      posts: POSTS,
      pollMs: POLL_MS,
      ...summary,
      samples,
    };
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `delivery-${result.database}.json`), JSON.stringify(result, null, 2) + "\n");
    process.stdout.write(`delivery to 2 instances over ${POSTS} posts: median ${summary.medianMs} ms, `
      + `p90 ${summary.p90Ms} ms, max ${summary.maxMs} ms (${result.database}; polled every ${POLL_MS} ms)\n`);
  } finally {
    await closeInstances(instances);
  }
}

await main();
