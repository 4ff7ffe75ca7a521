/**
 * Settings Plein's PostgreSQL pool gives every connection: JIT off (the
 * issue measured 250-450 ms of JIT compilation on the long visibility
 * conditions). PGlite has no JIT; it runs with small shared buffers, which
 * stay resident in its WebAssembly heap (src/db/database.ts).
 */
import { sql } from "kysely";
import pg from "pg";
import { expect, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { testDatabaseUrl } from "./support/db.ts";

it.skipIf(!testDatabaseUrl)("turns JIT off on every connection of the pool", async () => {
  const handle = await openDatabase({ databaseUrl: testDatabaseUrl!, poolSize: 3 });
  try {
    // Three at once: each holds its own connection.
    const settings = await Promise.all([1, 2, 3].map(() => handle.db.transaction().execute(async (trx) => {
      const jit = (await sql<{ jit: string }>`show jit`.execute(trx)).rows[0]!.jit;
      await sql`select pg_sleep(0.05)`.execute(trx);
      const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      return { jit, pid };
    })));
    expect(new Set(settings.map((s) => s.pid)).size).toBe(3);
    expect(settings.map((s) => s.jit)).toEqual(["off", "off", "off"]);
  } finally {
    await handle.close();
  }
});

it("runs the embedded database with 16 MB of shared buffers", async () => {
  const handle = await openDatabase({ dataDir: "memory://" });
  try {
    const { shared_buffers } = (await sql<{ shared_buffers: string }>`show shared_buffers`.execute(handle.db)).rows[0]!;
    expect(shared_buffers).toBe("16MB");
  } finally {
    await handle.close();
  }
}, 60_000);

it.skipIf(!testDatabaseUrl)("outlives its connections being cut (PostgreSQL restarting) and reconnects", async () => {
  const handle = await openDatabase({ databaseUrl: testDatabaseUrl!, poolSize: 2 });
  const admin = new pg.Client({ connectionString: testDatabaseUrl! });
  await admin.connect();
  const errors: unknown[] = [];
  const onUncaught = (error: unknown) => void errors.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]!.pid;
    // The connection is idle in the pool now; the server ends it, as a restart does.
    await admin.query("select pg_terminate_backend($1)", [pid]);
    await until(async () => (await admin.query("select 1 from pg_stat_activity where pid = $1", [pid])).rowCount === 0);
    // The backend wrote its goodbye to our socket before it left pg_stat_activity, but the
    // admin connection's answer can be read first: let the event loop read that socket too.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    const again = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]!.pid;
    expect(again).not.toBe(pid);
    expect(errors).toEqual([]);
  } finally {
    process.off("uncaughtException", onUncaught);
    await admin.end();
    await handle.close();
  }
});

async function until(check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 10_000) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it.skipIf(!testDatabaseUrl)("outlives a connection cut while it is lent out (inside a transaction) and reconnects", async () => {
  const handle = await openDatabase({ databaseUrl: testDatabaseUrl!, poolSize: 2 });
  const admin = new pg.Client({ connectionString: testDatabaseUrl! });
  await admin.connect();
  const errors: unknown[] = [];
  const onUncaught = (error: unknown) => void errors.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    let pid = 0;
    const cut = handle.db.transaction().execute(async (trx) => {
      pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      // Between two queries of the transaction the server ends the connection, as a restart does.
      await admin.query("select pg_terminate_backend($1)", [pid]);
      await until(async () => (await admin.query("select 1 from pg_stat_activity where pid = $1", [pid])).rowCount === 0);
      await sql`select 1`.execute(trx);
    });
    await expect(cut).rejects.toThrow();
    const again = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db)).rows[0]!.pid;
    expect(again).not.toBe(pid);
    expect(errors).toEqual([]);
  } finally {
    process.off("uncaughtException", onUncaught);
    await admin.end();
    await handle.close();
  }
});
