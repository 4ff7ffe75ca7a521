import { type Kysely, sql } from "kysely";

// Storage for Fedify (key-value store and message queue), actors with their
// key pairs, local users and their API tokens.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("kv_entries")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz")
    .execute();
  await db.schema.createIndex("kv_entries_expires_at").on("kv_entries").column("expires_at")
    .where(sql.ref("expires_at"), "is not", null).execute();

  await db.schema
    .createTable("queue_messages")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("ordering_key", "text")
    .addColumn("available_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("locked_until", "timestamptz")
    .addColumn("locked_by", "text")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("queue_messages_ready").on("queue_messages")
    .columns(["queue", "available_at", "id"]).execute();
  await db.schema.createIndex("queue_messages_ordering").on("queue_messages")
    .columns(["queue", "ordering_key", "id"]).where(sql.ref("ordering_key"), "is not", null).execute();

  await db.schema
    .createTable("actors")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("iri", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("local", "boolean", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("summary_html", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("avatar_url", "text")
    .addColumn("header_url", "text")
    .addColumn("url", "text")
    .addColumn("inbox_url", "text")
    .addColumn("shared_inbox_url", "text")
    .addColumn("outbox_url", "text")
    .addColumn("followers_url", "text")
    .addColumn("following_url", "text")
    .addColumn("featured_url", "text")
    .addColumn("manually_approves_followers", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("bot", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("fields", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("followers_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("following_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("posts_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("fetched_at", "timestamptz")
    .addColumn("gone_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One namespace per domain, case-insensitive (users and groups share it).
  await sql`create unique index actors_handle on actors (lower(username), lower(domain))`.execute(db);

  await db.schema
    .createTable("actor_keys")
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("algorithm", "text", (c) => c.notNull())
    .addColumn("private_jwk", "jsonb", (c) => c.notNull())
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("actor_keys_pk", ["actor_id", "algorithm"])
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("actor_id", "bigint", (c) => c.primaryKey().references("actors.id").onDelete("cascade"))
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("admin", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index users_email on users (lower(email))`.execute(db);

  await db.schema
    .createTable("access_tokens")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("token_digest", "text", (c) => c.notNull().unique())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("application_id", "bigint")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_used_at", "timestamptz")
    .addColumn("revoked_at", "timestamptz")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["access_tokens", "users", "actor_keys", "actors", "queue_messages", "kv_entries"]) {
    await db.schema.dropTable(t).execute();
  }
}
