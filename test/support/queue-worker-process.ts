/**
 * A queue worker in a process of its own, for test/worker-crash.test.ts.
 *
 * Environment:
 * - WORKER_DATABASE_URL and WORKER_SCHEMA (pg), or WORKER_DATA_DIR (PGlite on disk)
 * - WORKER_QUEUE: queue name
 * - WORKER_MODE: "hang" (the handler never returns) or "complete" (it writes
 *   a done-marker into kv_entries and returns)
 * - WORKER_LEASE_MS: lease length
 *
 * Prints "ready", "got <id>" when the handler starts, "done <id>" when it has
 * written its marker, and "closed" after SIGTERM once it has shut down.
 */
import { KyselyMessageQueue } from "../../federation/queue.ts";
import { openDatabase } from "../../src/db/database.ts";
import { installTemporal } from "../../src/temporal.ts";

installTemporal();

const env = process.env;
const databaseUrl = env.WORKER_DATABASE_URL || undefined;
const mode = env.WORKER_MODE === "hang" ? "hang" : "complete";
const handle = databaseUrl
  ? await openDatabase({ databaseUrl, ...(env.WORKER_SCHEMA ? { searchPath: env.WORKER_SCHEMA } : {}), poolSize: 3 })
  : await openDatabase({ dataDir: env.WORKER_DATA_DIR! });
const db = handle.db;

const queue = new KyselyMessageQueue({
  db,
  queue: env.WORKER_QUEUE!,
  leaseMs: Number(env.WORKER_LEASE_MS ?? "60000"),
  pollIntervalMs: 100,
  workerId: `worker-${mode}-${process.pid}`,
  ...(databaseUrl ? { listenUrl: databaseUrl } : { releaseStaleLocksOnStart: true }),
});

const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());

const say = (line: string) => process.stdout.write(`${line}\n`);
say("ready");
await queue.listen(async (message) => {
  const { id } = message as { id: string };
  say(`got ${id}`);
  if (mode === "hang") await new Promise<never>(() => {});
  await db
    .insertInto("kv_entries")
    .values({ key: JSON.stringify(["done", id]), value: JSON.stringify({ pid: process.pid }) })
    .execute();
  say(`done ${id}`);
}, { signal: controller.signal });
await handle.close();
say("closed");
