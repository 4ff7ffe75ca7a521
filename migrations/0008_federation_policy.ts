import { type Kysely, sql } from "kysely";

// The instance's federation policy (src/domain/policy.ts): its mode and
// whether it is published (one row, written at start-up from
// PLEIN_FEDERATION_MODE when there is none yet), and the admins' rules per
// domain. `domain` is the host name a rule names; `subdomains` is true for a
// `*.domain` rule (the domain itself and every host under it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("federation_settings")
    .addColumn("id", "boolean", (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn("mode", "text", (c) => c.notNull().check(sql`mode in ('open', 'blocklist', 'allowlist')`))
    .addColumn("published", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("federation_domain_rules")
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("subdomains", "boolean", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull().check(sql`action in ('allow', 'silence', 'block')`))
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("federation_domain_rules_pk", ["domain", "subdomains"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("federation_domain_rules").execute();
  await db.schema.dropTable("federation_settings").execute();
}
