import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../src/db/database.ts";
import { testDatabaseUrl } from "./db.ts";
import { TEMPLATE_PATH } from "./global-setup.ts";
import { createSchema } from "./processes.ts";

/** A migrated database for the `plein` processes a test spawns, as an operator points them at one. */
export interface ProcessDatabase {
  /** DATABASE_URL (PostgreSQL) or PLEIN_DATA_DIR (PGlite) for the processes' environment */
  env: Record<string, string>;
  /** PostgreSQL: the test's own connection to the same schema, open beside the processes */
  db: Db | undefined;
  /** PGlite: the data directory, which only one process may open at a time */
  dataDir: string | undefined;
  /** Drops the schema or removes the data directory. */
  remove(): Promise<void>;
}

/**
 * With TEST_DATABASE_URL a PostgreSQL schema of the test's own (`createSchema`: the URL
 * carries its search_path); otherwise a PGlite data directory (named after `name`) copied
 * from the migrated template. `setup` runs on it first (users, tokens); a PGlite handle
 * is closed afterwards, so that the processes can open the directory.
 */
export async function processDatabase(name: string, setup?: (db: Db) => Promise<void>): Promise<ProcessDatabase> {
  if (testDatabaseUrl) {
    const schema = await createSchema(testDatabaseUrl);
    try {
      await setup?.(schema.db);
    } catch (error) {
      await schema.close();
      throw error;
    }
    return { env: { DATABASE_URL: schema.url }, db: schema.db, dataDir: undefined, remove: () => schema.close() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), `plein-${name}-`));
  const handle = await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(TEMPLATE_PATH)]) });
  try {
    await setup?.(handle.db);
  } catch (error) {
    await handle.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  await handle.close();
  return { env: { PLEIN_DATA_DIR: dataDir }, db: undefined, dataDir, remove: async () => rmSync(dataDir, { recursive: true, force: true }) };
}
