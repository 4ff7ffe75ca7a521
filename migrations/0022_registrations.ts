import { type Kysely, sql } from "kysely";

// How people join (src/domain/registrations.ts): the instance's registration
// mode and the e-mail domains it takes (one row, `closed` until an admin
// chooses), the admins' invite codes, accounts waiting for approval; and what
// the sessions list shows of a web session (an id to end it by, when it
// started, when it was last used).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("registration_settings")
    .addColumn("id", "boolean", (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn("mode", "text", (c) => c.notNull().check(sql`mode in ('closed', 'open', 'approval', 'invite', 'domains')`))
    .addColumn("allowed_domains", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("registration_invites")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("code", "text", (c) => c.notNull().unique())
    .addColumn("created_by", "bigint", (c) => c.references("actors.id").onDelete("set null"))
    .addColumn("max_uses", "integer", (c) => c.notNull().check(sql`max_uses > 0`))
    .addColumn("uses", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema.alterTable("users").addColumn("approval_pending", "boolean", (c) => c.notNull().defaultTo(false)).execute();
  await sql`create index users_approval_pending on users (actor_id) where approval_pending`.execute(db);

  await db.schema.alterTable("web_sessions").addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().unique()).execute();
  await db.schema.alterTable("web_sessions").addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`)).execute();
  await db.schema.alterTable("web_sessions").addColumn("last_used_at", "timestamptz").execute();
  await db.schema.createIndex("web_sessions_actor_id").on("web_sessions").column("actor_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("web_sessions_actor_id").execute();
  for (const col of ["last_used_at", "created_at", "id"]) await db.schema.alterTable("web_sessions").dropColumn(col).execute();
  await db.schema.dropIndex("users_approval_pending").execute();
  await db.schema.alterTable("users").dropColumn("approval_pending").execute();
  await db.schema.dropTable("registration_invites").execute();
  await db.schema.dropTable("registration_settings").execute();
}
