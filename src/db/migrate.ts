import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationResultSet, Migrator } from "kysely/migration";
import type { Database } from "./schema.ts";
import { migrations } from "../../migrations/index.ts";
import "../modules/builtin.ts";
import { moduleMigrations } from "../modules/registry.ts";

/**
 * The core's migrations and those of every registered content module (their
 * names start with "module_", after the core's). Modules may be added to a
 * running installation, so their migrations may come after a core migration
 * that ran later: order is checked within each, not across (unordered).
 */
export function allMigrations(): Record<string, Migration> {
  const modules = moduleMigrations();
  for (const name of Object.keys(modules)) {
    if (!name.startsWith("module_")) throw new TypeError(`Module migration "${name}" must be named module_<module>_<number>`);
  }
  return { ...migrations, ...modules };
}

/** A Migrator for `schema` with every migration. */
export function migratorFor(db: Kysely<Database>, schema: string): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => allMigrations() },
    migrationTableSchema: schema,
    allowUnorderedMigrations: true,
  });
}

/**
 * Whether `schema`'s migration table (`present`: it exists) records exactly the
 * migrations of this version. Kysely's Migrator first checks its tables through the
 * catalogue (every table and column of the database, twice), which on the embedded
 * database took 0.3 s of each start, and most starts have nothing to migrate. Anything
 * else (no table yet, a migration pending, one recorded that this version does not
 * know, as after a downgrade) is the Migrator's to handle, with its lock and its errors.
 */
async function upToDate(db: Kysely<Database>, schema: string, present: boolean, wanted: readonly string[]): Promise<boolean> {
  if (!present) return false;
  const { rows } = await sql<{ name: string }>`select name from ${sql.id(schema, "kysely_migration")}`.execute(db);
  const done = new Set(rows.map((r) => r.name));
  return done.size === wanted.length && wanted.every((name) => done.has(name));
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  // Kysely looks for its migration tables in every schema unless told which one;
  // with several Plein schemas in one database (tests, shared servers) that finds
  // another schema's lock table. Pin them to the connection's current schema.
  const { rows: [current] } = await sql<{ schema: string | null; present: boolean }>`
    select current_schema() as schema,
           to_regclass(quote_ident(current_schema()) || '.kysely_migration') is not null as present`.execute(db);
  const schema = current?.schema ?? "public";
  // What the Migrator answers when nothing is pending.
  if (await upToDate(db, schema, current?.present ?? false, Object.keys(allMigrations()))) return { results: [] };
  const result = await migratorFor(db, schema).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
