import { type Kysely, sql } from "kysely";

// Other servers' files (avatars, headers, attachments of received posts)
// cached by this server and served from its own origin (src/media/remote-cache.ts):
// one row per remote URL, kind, and the origin the fetch was signed for
// ('' = unsigned; a signed fetch may get closed content, kept apart from the
// unsigned answer). A row without a storage key has not been fetched yet or
// failed; failures are remembered so that a dead host is not asked again at
// once. `server_secrets` holds the key that makes the served URLs unguessable.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("remote_media")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('avatar', 'header', 'attachment')`))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("signed_for", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("storage_key", "text", (c) => c.unique())
    // The type it is served as (decided when it was fetched), its size and SHA-256 (hex).
    .addColumn("content_type", "text")
    .addColumn("size", "bigint")
    .addColumn("sha256", "text")
    .addColumn("fetched_at", "timestamptz")
    .addColumn("last_used_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("failed_at", "timestamptz")
    .addColumn("retry_at", "timestamptz")
    .addColumn("failure", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("remote_media_source", ["kind", "url", "signed_for"])
    .execute();
  // Eviction walks the least recently used.
  await db.schema.createIndex("remote_media_last_used").on("remote_media").column("last_used_at").execute();

  await db.schema
    .createTable("server_secrets")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("server_secrets").execute();
  await db.schema.dropTable("remote_media").execute();
}
