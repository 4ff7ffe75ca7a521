import { type Kysely, sql } from "kysely";

// Mastodon's report fields (a category, whether it was forwarded) and the
// domains a person blocks for themselves (Mastodon's user domain blocks:
// nothing of that server in their timelines and notifications). The block
// list is paged on the row id; timelines ask "does the viewer block this
// author's domain?", answered by the (actor_id, domain) key and an index of
// actors by domain.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("reports")
    .addColumn("category", "text", (c) => c.notNull().defaultTo("other").check(sql`category in ('spam', 'legal', 'violation', 'other')`))
    .execute();
  await db.schema.alterTable("reports").addColumn("forwarded", "boolean", (c) => c.notNull().defaultTo(false)).execute();

  await db.schema
    .createTable("user_domain_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("user_domain_blocks_pair", ["actor_id", "domain"])
    .execute();
  await db.schema.createIndex("user_domain_blocks_actor").on("user_domain_blocks").columns(["actor_id", "id"]).execute();
  // Timelines leave out the accounts of the viewer's blocked domains: those accounts, by domain.
  await db.schema.createIndex("actors_domain").on("actors").column("domain").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("actors_domain").execute();
  await db.schema.dropTable("user_domain_blocks").execute();
  await db.schema.alterTable("reports").dropColumn("forwarded").execute();
  await db.schema.alterTable("reports").dropColumn("category").execute();
}
