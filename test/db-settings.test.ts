/**
 * Settings Plein's PostgreSQL pool gives every connection: JIT off (the
 * issue measured 250-450 ms of JIT compilation on the long visibility
 * conditions). PGlite has no JIT: PostgreSQL only.
 */
import { sql } from "kysely";
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
