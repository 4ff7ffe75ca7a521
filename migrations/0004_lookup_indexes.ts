import { type Kysely, sql } from "kysely";

// Indexes for lookups that read whole tables before (test/explain.test.ts
// EXPLAINs them on a large seeded database):
// - follows by activity id: every inbound Accept, Reject or Undo of a Follow;
// - posts by web URL: search for a post's URL;
// - processed_activities by age: the hourly clean-up;
// - hashtag and account-name prefix search (`LIKE 'prefix%'`): a default
//   btree serves LIKE only under the C collation, a text_pattern_ops one under
//   any. The new tag index replaces post_tags_tag: text_pattern_ops serves
//   equality and the (tag, post_id) order as well.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("follows_activity_iri").on("follows").column("activity_iri").execute();
  await db.schema.createIndex("posts_url").on("posts").column("url").execute();
  await db.schema.createIndex("processed_activities_processed_at").on("processed_activities").column("processed_at").execute();
  await sql`create index post_tags_tag_pattern on post_tags (tag text_pattern_ops, post_id)`.execute(db);
  await db.schema.dropIndex("post_tags_tag").execute();
  await sql`create index actors_username_pattern on actors (lower(username) text_pattern_ops)`.execute(db);
  await sql`create index actors_display_name_pattern on actors (lower(display_name) text_pattern_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("actors_display_name_pattern").execute();
  await db.schema.dropIndex("actors_username_pattern").execute();
  await db.schema.createIndex("post_tags_tag").on("post_tags").columns(["tag", "post_id"]).execute();
  await db.schema.dropIndex("post_tags_tag_pattern").execute();
  await db.schema.dropIndex("processed_activities_processed_at").execute();
  await db.schema.dropIndex("posts_url").execute();
  await db.schema.dropIndex("follows_activity_iri").execute();
}
