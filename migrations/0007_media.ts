import { type Kysely, sql } from "kysely";

// Uploaded files: who uploaded them and what they are. The bytes are in the
// media storage (src/media) under `storage_key`; content modules (files in
// groups) and attachments refer to these rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("media")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("owner_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("storage_key", "text", (c) => c.notNull().unique())
    // As the uploader named it, cleaned of paths and control characters.
    .addColumn("file_name", "text", (c) => c.notNull())
    // As the uploader declared it (normalised); what it is served as is decided when serving.
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("media_owner").on("media").columns(["owner_id", "id"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("media").execute();
}
