import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import type { DatabaseKind } from "./machine.ts";

/**
 * A database of the benchmark's own: on PostgreSQL (TEST_DATABASE_URL) a
 * database `plein_bench_<name>_<pid>` on that server, created afresh and dropped
 * at the end (the tests' database is never touched); otherwise an embedded PGlite data
 * directory in a temporary directory. Setup code opens it before Plein starts
 * (PGlite allows one process at a time), then Plein runs on it in a process of its own.
 */
export interface BenchDatabase {
  kind: DatabaseKind;
  /** PostgreSQL: the benchmark database's URL */
  url: string | undefined;
  /** The environment that points Plein at it. */
  serverEnv: Record<string, string>;
  /** A migrated handle for setup and checks (PostgreSQL: any time; PGlite: only while Plein is not running). */
  open(poolSize?: number): Promise<DatabaseHandle>;
  /** Removes it (BENCH_KEEP=1 keeps it, e.g. to EXPLAIN queries afterwards). */
  drop(): Promise<void>;
}

export const databaseKind = (): DatabaseKind => (process.env.TEST_DATABASE_URL ? "postgresql" : "pglite");

async function admin(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(name: string): Promise<BenchDatabase> {
  const keep = process.env.BENCH_KEEP === "1";
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    // The process id keeps two runs (say, of two worktrees) from dropping each other's database.
    const dbName = `plein_bench_${name.replace(/[^a-z0-9_]/g, "_")}_${process.pid}`;
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    await admin(serverUrl, [`drop database if exists ${dbName} with (force)`, `create database ${dbName}`]);
    return {
      kind: "postgresql",
      url: url.href,
      serverEnv: { DATABASE_URL: url.href },
      async open(poolSize = 4) {
        const handle = await openDatabase({ databaseUrl: url.href, poolSize });
        await migrateToLatest(handle.db);
        return handle;
      },
      async drop() {
        if (!keep) await admin(serverUrl, [`drop database if exists ${dbName} with (force)`]);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), `plein-bench-${name}-`));
  const dataDir = join(dir, "data");
  return {
    kind: "pglite",
    url: undefined,
    serverEnv: { PLEIN_DATA_DIR: dataDir },
    async open() {
      const handle = await openDatabase({ dataDir });
      await migrateToLatest(handle.db);
      return handle;
    },
    async drop() {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
