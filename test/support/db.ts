import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { TEMPLATE_PATH } from "./global-setup.ts";

/** Which database the tests run on: PGlite unless TEST_DATABASE_URL is set. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

export interface TestDatabase extends DatabaseHandle {
  /** What a second handle on the same data needs (pg only: same schema). */
  openAnother?: () => Promise<DatabaseHandle>;
}

/** A fresh, migrated database of its own: a PGlite copy of the template, or a new pg schema. */
export async function openTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (!testDatabaseUrl) {
    const dump = new Blob([readFileSync(TEMPLATE_PATH)]);
    return openDatabase({ dataDir: "memory://", loadDataDir: dump });
  }
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const open = () => openDatabase({ databaseUrl: testDatabaseUrl, searchPath: schema, poolSize: 5 });
  const dropSchema = async () => {
    const drop = new pg.Client({ connectionString: testDatabaseUrl });
    await drop.connect();
    await drop.query(`drop schema if exists ${schema} cascade`);
    await drop.end();
  };
  const handle = await openDatabase({ databaseUrl: testDatabaseUrl, searchPath: schema, poolSize: options.poolSize ?? 5 });
  try {
    await migrateToLatest(handle.db);
  } catch (err) {
    await handle.close();
    await dropSchema();
    throw err;
  }
  return {
    ...handle,
    openAnother: open,
    async close() {
      await handle.close();
      await dropSchema();
    },
  };
}
