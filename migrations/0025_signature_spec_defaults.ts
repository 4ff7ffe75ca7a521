import { type Kysely, sql } from "kysely";

// Fedify's HTTP Signatures spec per origin is now stored only when it is not
// Fedify's first knock (federation/signature-spec-cache.ts): an entry saying
// "rfc9421" changes nothing Fedify does, and every process lists the stored
// specs at once. Earlier versions wrote one for every server delivered to.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    delete from kv_entries
    where key like '["\\_fedify","httpMessageSignaturesSpec",%' and value = '"rfc9421"'::jsonb`.execute(db);
}

// Nothing to restore: without an entry Fedify knocks with RFC 9421 first, as the entry said.
export async function down(): Promise<void> {}
