import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

// The file a file post carries: our own upload (a `media` row) or another
// server's file (its URL), with what the post shows of it.
const m0001: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("file_posts")
      .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
      // No action (checked at the end of the statement): an account's removal takes media and posts together.
      .addColumn("media_id", "bigint", (c) => c.references("media.id"))
      .addColumn("url", "text")
      .addColumn("file_name", "text", (c) => c.notNull())
      .addColumn("media_type", "text")
      .addColumn("size", "bigint")
      .addColumn("sha256", "text")
      .addCheckConstraint("file_posts_one_source", sql`(media_id is null) <> (url is null)`)
      .execute();
    await db.schema.createIndex("file_posts_media").on("file_posts").column("media_id")
      .where(sql.ref("media_id"), "is not", null).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("file_posts").execute();
  },
};

export const fileMigrations: Readonly<Record<string, Migration>> = {
  module_file_0001: m0001,
};
