import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

export const TEMPLATE_PATH = join(import.meta.dirname, "..", ".tmp", "template.tgz");

/**
 * Builds one migrated PGlite database per run and dumps it; each test file
 * loads the dump (~1 s) instead of initialising PGlite from scratch (~10 s).
 * On PostgreSQL (TEST_DATABASE_URL) each test file migrates its own schema.
 */
export default async function setup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  mkdirSync(join(import.meta.dirname, "..", ".tmp"), { recursive: true });
  const handle = await openDatabase({ dataDir: "memory://" });
  await migrateToLatest(handle.db);
  const dump = await handle.pglite!.dumpDataDir("gzip");
  writeFileSync(TEMPLATE_PATH, Buffer.from(await dump.arrayBuffer()));
  await handle.close();
}
