import { type Kysely, sql } from "kysely";
import { type MigrationResultSet, Migrator } from "kysely/migration";
import type { Database } from "./schema.ts";
import { migrations } from "../../migrations/index.ts";

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  // Kysely looks for its migration tables in every schema unless told which one;
  // with several Plein schemas in one database (tests, shared servers) that finds
  // another schema's lock table. Pin them to the connection's current schema.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: rows[0]?.schema ?? "public",
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
