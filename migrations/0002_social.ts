import { type Kysely, sql } from "kysely";

// Follows, posts (all object types, boosts included), mentions, tags,
// attachments, likes, blocks, reports and the inbox's processed-activity log.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("follows")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("follower_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("followee_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("activity_iri", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("follows_pair", ["follower_id", "followee_id"])
    .execute();
  await db.schema.createIndex("follows_followee").on("follows").columns(["followee_id", "state", "id"]).execute();
  await db.schema.createIndex("follows_follower").on("follows").columns(["follower_id", "state", "id"]).execute();

  await db.schema
    .createTable("posts")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("iri", "text", (c) => c.notNull().unique())
    .addColumn("url", "text")
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("local", "boolean", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("reblog_of_id", "bigint", (c) => c.references("posts.id").onDelete("cascade"))
    .addColumn("in_reply_to_id", "bigint", (c) => c.references("posts.id").onDelete("set null"))
    .addColumn("in_reply_to_iri", "text")
    .addColumn("name", "text")
    .addColumn("summary", "text")
    .addColumn("sensitive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("content_html", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("content_source", "text")
    .addColumn("language", "text")
    .addColumn("extra", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("replies_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("likes_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("reblogs_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addColumn("edited_at", "timestamptz")
    .addColumn("deleted_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex("posts_actor").on("posts").columns(["actor_id", "id"]).execute();
  await db.schema.createIndex("posts_in_reply_to").on("posts").columns(["in_reply_to_id", "id"]).execute();
  await db.schema.createIndex("posts_in_reply_to_iri").on("posts").column("in_reply_to_iri").execute();
  await db.schema.createIndex("posts_reblog_of").on("posts").columns(["reblog_of_id", "actor_id"]).execute();

  await db.schema
    .createTable("post_mentions")
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("post_mentions_pk", ["post_id", "actor_id"])
    .execute();
  await db.schema.createIndex("post_mentions_actor").on("post_mentions").columns(["actor_id", "post_id"]).execute();

  await db.schema
    .createTable("post_tags")
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("tag", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("post_tags_pk", ["post_id", "tag"])
    .execute();
  await db.schema.createIndex("post_tags_tag").on("post_tags").columns(["tag", "post_id"]).execute();

  await db.schema
    .createTable("post_attachments")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("media_type", "text")
    .addColumn("description", "text")
    .addColumn("width", "integer")
    .addColumn("height", "integer")
    .addColumn("blurhash", "text")
    .execute();
  await db.schema.createIndex("post_attachments_post").on("post_attachments").columns(["post_id", "position"]).execute();

  await db.schema
    .createTable("likes")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("activity_iri", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("likes_pair", ["actor_id", "post_id"])
    .execute();
  await db.schema.createIndex("likes_post").on("likes").columns(["post_id", "id"]).execute();

  await db.schema
    .createTable("blocks")
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("activity_iri", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint("blocks_pk", ["actor_id", "target_id"])
    .execute();

  await db.schema
    .createTable("reports")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("reporter_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
    .addColumn("post_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("activity_iri", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable("processed_activities")
    .addColumn("activity_iri", "text", (c) => c.primaryKey())
    .addColumn("processed_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["processed_activities", "reports", "blocks", "likes", "post_attachments", "post_tags",
    "post_mentions", "posts", "follows"]) {
    await db.schema.dropTable(t).execute();
  }
}
