import { type Kysely, sql } from "kysely";

// Mastodon media uploads. A `media` row now says what it is for ("file": a
// group's shared file, served by the file module; "attachment": a status's
// image; "avatar"/"header": a profile's, at most one each per account) and,
// for images, what was learned processing them: dimensions, a preview kept
// under its own storage key, a blurhash, the description and focal point.
// A status's attachment row names the upload it shows (at most one status
// per upload) and keeps a copy of what it showed when attached.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("media")
    .addColumn("purpose", "text", (c) => c.notNull().defaultTo("file")
      .check(sql`purpose in ('file', 'attachment', 'avatar', 'header')`))
    .addColumn("description", "text")
    .addColumn("focus_x", "double precision")
    .addColumn("focus_y", "double precision")
    .addColumn("blurhash", "text")
    .addColumn("width", "integer")
    .addColumn("height", "integer")
    .addColumn("preview_storage_key", "text", (c) => c.unique())
    .addColumn("preview_width", "integer")
    .addColumn("preview_height", "integer")
    .execute();
  await db.schema.createIndex("media_profile_image").on("media").columns(["owner_id", "purpose"]).unique()
    .where(sql.ref("purpose"), "in", [sql.lit("avatar"), sql.lit("header")]).execute();

  await db.schema.alterTable("post_attachments")
    .addColumn("media_id", "bigint", (c) => c.references("media.id").onDelete("cascade"))
    .addColumn("preview_url", "text")
    .addColumn("preview_width", "integer")
    .addColumn("preview_height", "integer")
    .addColumn("focus_x", "double precision")
    .addColumn("focus_y", "double precision")
    .execute();
  await db.schema.createIndex("post_attachments_media").on("post_attachments").column("media_id").unique()
    .where(sql.ref("media_id"), "is not", null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("post_attachments_media").execute();
  await db.schema.alterTable("post_attachments")
    .dropColumn("media_id").dropColumn("preview_url").dropColumn("preview_width").dropColumn("preview_height")
    .dropColumn("focus_x").dropColumn("focus_y")
    .execute();
  await db.schema.dropIndex("media_profile_image").execute();
  await db.schema.alterTable("media")
    .dropColumn("purpose").dropColumn("description").dropColumn("focus_x").dropColumn("focus_y").dropColumn("blurhash")
    .dropColumn("width").dropColumn("height").dropColumn("preview_storage_key").dropColumn("preview_width").dropColumn("preview_height")
    .execute();
}
