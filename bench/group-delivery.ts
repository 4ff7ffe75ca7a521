/**
 * Group delivery latency between real instances: a closed group on A (owned
 * by anna), members bram on B and cato on C. Each round a member posts in the
 * group; we measure the time from the API answer to the post showing in the
 * group for the members on the two other instances (polled every 20 ms).
 * Two cases: anna posts on A (the group's own server announces it, the post
 * embedded), and bram posts on B (sent to A, which announces it; C fetches it
 * from B, which first asks A whether C hosts a member). Prints median / p90 /
 * max and writes bench/results/group-delivery-<database>.json.
 *
 *   npm run bench:groups     (NODE_EXTRA_CA_CERTS=test/tls/ca.pem node bench/group-delivery.ts)
 *
 * Uses PGlite unless TEST_DATABASE_URL is set; loopback addresses 127.0.8.x
 * unless PLEIN_TEST_POOL says otherwise. POSTS=n changes the number of posts per case.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { installTemporal } from "../src/temporal.ts";

installTemporal();
process.env.PLEIN_TEST_POOL ||= "8";

const { default: buildTemplate } = await import("../test/support/global-setup.ts");
const { closeInstances, startInstances } = await import("../test/support/instances.ts");
const plein = await import("../test/support/plein.ts");
type User = Awaited<ReturnType<Awaited<ReturnType<typeof startInstances>>[number]["createUser"]>>;

const POSTS = Number(process.env.POSTS || 20);
const POLL_MS = 20;
const TIMEOUT_MS = 60_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

interface Reader {
  user: User;
  groupId: string;
}

async function measure(author: User, authorGroupId: string, readers: Reader[], label: string) {
  const samples: number[] = [];
  for (let i = 1; i <= POSTS; i++) {
    const post = await plein.postInGroup(author, authorGroupId, { text: `${label} ${i} ${crypto.randomUUID()}` });
    const start = performance.now();
    const pending = new Set(readers);
    while (pending.size > 0) {
      if (performance.now() - start > TIMEOUT_MS) throw new Error(`${label} ${i} not delivered within ${TIMEOUT_MS} ms`);
      for (const r of [...pending]) {
        const posts = await plein.groupPosts(r.user, r.groupId, { top_level: "false" });
        if (posts.some((p) => p.uri === post.uri)) pending.delete(r);
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const ms = round(performance.now() - start);
    samples.push(ms);
    process.stdout.write(`${label} ${String(i).padStart(2)}: ${ms} ms\n`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90), maxMs: sorted.at(-1) ?? NaN, samples };
}

async function main(): Promise<void> {
  await buildTemplate();
  const instances = await startInstances(3);
  try {
    const [A, B, C] = instances as [typeof instances[number], typeof instances[number], typeof instances[number]];
    const anna = await A.createUser("anna");
    const bram = await B.createUser("bram");
    const cato = await C.createUser("cato");
    const group = await plein.createGroup(anna, { name: "bench", visibility: "closed", join_mode: "open" });
    const onB = await plein.groupOn(bram, `bench@${A.host}`);
    const onC = await plein.groupOn(cato, `bench@${A.host}`);
    await plein.joinGroup(bram, onB);
    await plein.joinGroup(cato, onC);
    await plein.waitForMembership(bram, onB.id, "member");
    await plein.waitForMembership(cato, onC.id, "member");

    const fromGroupServer = await measure(anna, group.id, [{ user: bram, groupId: onB.id }, { user: cato, groupId: onC.id }], "post on A");
    const fromMemberServer = await measure(bram, onB.id, [{ user: anna, groupId: group.id }, { user: cato, groupId: onC.id }], "post on B");
    const result = {
      benchmark: "group-delivery",
      description: "time from POST /api/plein/v1/groups/:id/posts answering to the post showing in a closed group for members on the two other instances",
      date: new Date().toISOString(),
      database: process.env.TEST_DATABASE_URL ? "postgresql" : "pglite",
      node: process.version,
      cpus: cpus().length,
      postsPerCase: POSTS,
      pollMs: POLL_MS,
      postOnGroupServer: fromGroupServer,
      postOnMemberServer: fromMemberServer,
    };
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `group-delivery-${result.database}.json`), JSON.stringify(result, null, 2) + "\n");
    for (const [name, s] of [["post on the group's server (A -> B, C)", fromGroupServer], ["post on a member's server (B -> A -> C)", fromMemberServer]] as const) {
      process.stdout.write(`${name}: median ${s.medianMs} ms, p90 ${s.p90Ms} ms, max ${s.maxMs} ms (${result.database})\n`);
    }
  } finally {
    await closeInstances(instances);
  }
}

await main();
