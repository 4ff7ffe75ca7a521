import { type Kysely, sql } from "kysely";

// What Mastodon apps keep per account besides posts and follows: bookmarks,
// mutes, pinned posts, earlier versions of edited posts, and read markers.
// Lists of an account's likes and blocks are paged on the row's own id, so
// both get an (actor, id) index; blocks get an id to page on.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("bookmarks")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("bookmarks_pair", ["actor_id", "post_id"])
    .execute();
  await db.schema.createIndex("bookmarks_actor").on("bookmarks").columns(["actor_id", "id"]).execute();
  await db.schema.createIndex("bookmarks_post").on("bookmarks").column("post_id").execute();

  await db.schema.createIndex("likes_actor").on("likes").columns(["actor_id", "id"]).execute();

  await db.schema.alterTable("blocks")
    .addColumn("id", "bigint", (c) => c.notNull().generatedAlwaysAsIdentity())
    .execute();
  await db.schema.createIndex("blocks_actor").on("blocks").columns(["actor_id", "id"]).execute();
  // The visibility rule asks, for each post, whether its author blocks the viewer: by the viewer first.
  await db.schema.createIndex("blocks_target").on("blocks").columns(["target_id", "actor_id"]).execute();

  await db.schema
    .createTable("mutes")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("notifications", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("mutes_pair", ["actor_id", "target_id"])
    .execute();
  await db.schema.createIndex("mutes_actor").on("mutes").columns(["actor_id", "id"]).execute();

  await db.schema
    .createTable("pins")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.notNull().unique().references("posts.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex("pins_actor").on("pins").columns(["actor_id", "id"]).execute();

  // An earlier version of a post, kept when it is edited (locally or by an Update).
  await db.schema
    .createTable("post_edits")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("name", "text")
    .addColumn("summary", "text")
    .addColumn("sensitive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("content_html", "text", (c) => c.notNull())
    .addColumn("content_source", "text")
    .addColumn("language", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("post_edits_post").on("post_edits").columns(["post_id", "id"]).execute();

  await db.schema
    .createTable("markers")
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("timeline", "text", (c) => c.notNull().check(sql`timeline in ('home', 'notifications')`))
    .addColumn("last_read_id", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint("markers_pk", ["actor_id", "timeline"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["markers", "post_edits", "pins", "mutes", "bookmarks"]) await db.schema.dropTable(t).execute();
  await db.schema.dropIndex("blocks_target").execute();
  await db.schema.dropIndex("blocks_actor").execute();
  await db.schema.alterTable("blocks").dropColumn("id").execute();
  await db.schema.dropIndex("likes_actor").execute();
}
