import { type Kysely, sql } from "kysely";

// OAuth 2 for Mastodon apps (src/domain/oauth.ts). Client secrets,
// authorization codes, refresh tokens and sign-in sessions are kept as
// SHA-256 digests only: a copy of the database hands out no credential.
// An app's own token (client_credentials) belongs to no account, so
// access_tokens.actor_id becomes nullable.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("applications")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("website", "text")
    .addColumn("redirect_uris", sql`text[]`, (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull().unique())
    .addColumn("client_secret_digest", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("oauth_codes")
    .addColumn("code_digest", "text", (c) => c.primaryKey())
    .addColumn("application_id", "bigint", (c) => c.notNull().references("applications.id").onDelete("cascade"))
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("redirect_uri", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("code_challenge", "text")
    .addColumn("code_challenge_method", "text")
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    // set when the code is spent; a second use revokes the token it gave (RFC 6749 section 4.1.2)
    .addColumn("used_at", "timestamptz")
    .addColumn("access_token_id", "bigint", (c) => c.references("access_tokens.id").onDelete("set null"))
    .execute();
  await db.schema.createIndex("oauth_codes_expires_at").on("oauth_codes").column("expires_at").execute();

  await db.schema
    .createTable("web_sessions")
    .addColumn("session_digest", "text", (c) => c.primaryKey())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("web_sessions_expires_at").on("web_sessions").column("expires_at").execute();

  await db.schema.alterTable("access_tokens").alterColumn("actor_id", (c) => c.dropNotNull()).execute();
  await db.schema.alterTable("access_tokens").addColumn("refresh_token_digest", "text", (c) => c.unique()).execute();
  await db.schema.alterTable("access_tokens")
    .addForeignKeyConstraint("access_tokens_application_fk", ["application_id"], "applications", ["id"])
    .onDelete("cascade")
    .execute();
  await db.schema.createIndex("access_tokens_application_id").on("access_tokens").column("application_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("access_tokens_application_id").execute();
  await db.schema.alterTable("access_tokens").dropConstraint("access_tokens_application_fk").execute();
  await db.schema.alterTable("access_tokens").dropColumn("refresh_token_digest").execute();
  await sql`delete from access_tokens where actor_id is null`.execute(db);
  await db.schema.alterTable("access_tokens").alterColumn("actor_id", (c) => c.setNotNull()).execute();
  for (const t of ["web_sessions", "oauth_codes", "applications"]) await db.schema.dropTable(t).execute();
}
