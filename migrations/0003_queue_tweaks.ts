import { type Kysely, sql } from "kysely";

// KvStore.list(prefix) matches keys (JSON text) with `LIKE 'prefix%'`; the
// primary key index cannot serve that under a non-C collation, a
// text_pattern_ops index can.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index kv_entries_key_prefix on kv_entries (key text_pattern_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("kv_entries_key_prefix").execute();
}
