import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { type Db, openDatabase } from "../../src/db/database.ts";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "./db.ts";
import { TEMPLATE_PATH } from "./global-setup.ts";

/** A migrated database for the `plein` processes a test spawns, as an operator points them at one. */
export interface ProcessDatabase {
  /** DATABASE_URL (PostgreSQL) or PLEIN_DATA_DIR (PGlite) for the processes' environment */
  env: Record<string, string>;
  /** PostgreSQL: the test's own handle on the same schema, open beside the processes */
  handle: TestDatabase | undefined;
  /** PGlite: the data directory, which only one process may open at a time */
  dataDir: string | undefined;
  /** Drops the schema or removes the data directory. */
  remove(): Promise<void>;
}

/**
 * With TEST_DATABASE_URL a PostgreSQL schema of the test's own (the URL carries its
 * search_path); otherwise a PGlite data directory (named after `name`) copied from the
 * migrated template. `setup` runs on it first (users, tokens); a PGlite handle is
 * closed afterwards, so that the processes can open the directory.
 */
export async function processDatabase(name: string, setup?: (db: Db) => Promise<void>): Promise<ProcessDatabase> {
  if (testDatabaseUrl) {
    const handle = await openTestDatabase();
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(handle.db)).rows[0]!.s;
    const url = new URL(testDatabaseUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    await setup?.(handle.db);
    return { env: { DATABASE_URL: url.href }, handle, dataDir: undefined, remove: () => handle.close() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), `plein-${name}-`));
  const handle = await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(TEMPLATE_PATH)]) });
  try {
    await setup?.(handle.db);
  } finally {
    await handle.close();
  }
  return { env: { PLEIN_DATA_DIR: dataDir }, handle: undefined, dataDir, remove: async () => rmSync(dataDir, { recursive: true, force: true }) };
}
