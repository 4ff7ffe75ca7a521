import { type Kysely, sql } from "kysely";

// What the instance admin pages (src/web/admin) keep: the instance's own
// description (name, short description, contact address, rules; one row,
// shown by the Mastodon instance entities), whether a local account is
// suspended (it cannot sign in and its tokens and sessions stop working),
// and whether a report has been dealt with, by whom.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("instance_profile")
    .addColumn("id", "boolean", (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("short_description", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("contact_email", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("rules", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.alterTable("users").addColumn("suspended_at", "timestamptz").execute();
  await db.schema.alterTable("reports").addColumn("resolved_at", "timestamptz").execute();
  await db.schema.alterTable("reports")
    .addColumn("resolved_by_id", "bigint", (c) => c.references("actors.id").onDelete("set null"))
    .execute();
  // The admins' list of reports: the open ones first, each paged on its id.
  await db.schema.createIndex("reports_open").on("reports").column("id").where(sql.ref("resolved_at"), "is", null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("reports_open").execute();
  await db.schema.alterTable("reports").dropColumn("resolved_by_id").execute();
  await db.schema.alterTable("reports").dropColumn("resolved_at").execute();
  await db.schema.alterTable("users").dropColumn("suspended_at").execute();
  await db.schema.dropTable("instance_profile").execute();
}
