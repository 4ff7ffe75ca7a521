import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Wiki pages (their place in the group's tree and current revision) and
 * their revisions. A page's row goes with its post; revisions keep their
 * editor's actor row (actors are marked gone, never deleted).
 */
const pagesAndRevisions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("wiki_pages")
      .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
      // The page's group (its post's), so that a group's tree is read without its other posts.
      .addColumn("group_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
      .addColumn("parent_id", "bigint", (c) => c.references("posts.id").onDelete("set null"))
      .addColumn("parent_iri", "text")
      .addColumn("revision", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("wiki_pages_group").on("wiki_pages").columns(["group_id", "post_id"]).execute();
    await db.schema.createIndex("wiki_pages_parent").on("wiki_pages").columns(["parent_id"])
      .where(sql.ref("parent_id"), "is not", null).execute();
    // Pages waiting for a parent that has not arrived yet.
    await db.schema.createIndex("wiki_pages_parent_iri").on("wiki_pages").columns(["parent_iri"])
      .where(sql.ref("parent_iri"), "is not", null).execute();

    await db.schema
      .createTable("wiki_revisions")
      .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn("page_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
      .addColumn("number", "integer")
      .addColumn("editor_id", "bigint", (c) => c.notNull().references("actors.id"))
      .addColumn("title", "text")
      .addColumn("content_html", "text", (c) => c.notNull())
      .addColumn("content_source", "text")
      .addColumn("parent_id", "bigint", (c) => c.references("posts.id").onDelete("set null"))
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("activity_iri", "text", (c) => c.notNull())
      .addUniqueConstraint("wiki_revisions_activity", ["activity_iri"])
      .execute();
    await db.schema.createIndex("wiki_revisions_page").on("wiki_revisions").columns(["page_id", "number"]).execute();
    await db.schema.createIndex("wiki_revisions_page_time").on("wiki_revisions").columns(["page_id", "created_at"]).execute();
    await db.schema.createIndex("wiki_revisions_editor").on("wiki_revisions").columns(["editor_id"]).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("wiki_revisions").execute();
    await db.schema.dropTable("wiki_pages").execute();
  },
};

export const wikiMigrations: Record<string, Migration> = {
  module_wiki_0001: pagesAndRevisions,
};
