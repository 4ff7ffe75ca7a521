import { type Kysely, sql } from "kysely";

// Groups: their settings and enabled content modules, memberships (people of
// any instance in groups of any instance), posts that belong to a group and
// their moderation state, and notifications.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("groups")
    .addColumn("actor_id", "bigint", (c) => c.primaryKey().references("actors.id").onDelete("cascade"))
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("join_mode", "text", (c) => c.notNull())
    .addColumn("posting", "text", (c) => c.notNull().defaultTo("members"))
    .addColumn("moderate_posts", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("moderate_comments", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable("group_modules")
    .addColumn("group_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("module", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("group_modules_pk", ["group_id", "module"])
    .execute();

  await db.schema
    .createTable("memberships")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("group_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("member_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull().defaultTo("member"))
    .addColumn("state", "text", (c) => c.notNull())
    // The Follow/Join that asked (or our Invite), so that answers and Undos find it.
    .addColumn("activity_iri", "text")
    .addColumn("title", "text")
    .addColumn("organisation", "text")
    .addColumn("notify", "text", (c) => c.notNull().defaultTo("all"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("memberships_pair", ["group_id", "member_id"])
    .execute();
  await db.schema.createIndex("memberships_group").on("memberships").columns(["group_id", "state", "id"]).execute();
  await db.schema.createIndex("memberships_member").on("memberships").columns(["member_id", "state", "group_id"]).execute();
  await db.schema.createIndex("memberships_activity").on("memberships").column("activity_iri")
    .where(sql.ref("activity_iri"), "is not", null).execute();

  await db.schema.alterTable("posts")
    .addColumn("group_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
    .execute();
  await db.schema.alterTable("posts")
    .addColumn("moderation", "text", (c) => c.notNull().defaultTo("approved"))
    .execute();
  // The content module a post belongs to (src/modules): a wiki page and a discussion are both Pages.
  await db.schema.alterTable("posts").addColumn("module", "text").execute();
  await db.schema.createIndex("posts_group").on("posts").columns(["group_id", "id"])
    .where(sql.ref("group_id"), "is not", null).execute();
  await db.schema.createIndex("posts_pending").on("posts").columns(["group_id", "id"])
    .where(sql.ref("moderation"), "=", "pending").execute();

  // For a group on another server: whether a server (by origin) hosts a current
  // member, as the group's own members collection said when last asked.
  await db.schema
    .createTable("group_servers")
    .addColumn("group_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("origin", "text", (c) => c.notNull())
    .addColumn("hosts_member", "boolean", (c) => c.notNull())
    .addColumn("checked_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint("group_servers_pk", ["group_id", "origin"])
    .execute();

  await db.schema
    .createTable("notifications")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("recipient_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("actor_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.references("posts.id").onDelete("cascade"))
    .addColumn("group_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex("notifications_recipient").on("notifications").columns(["recipient_id", "id"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("notifications").execute();
  await db.schema.dropTable("group_servers").execute();
  await db.schema.alterTable("posts").dropColumn("module").execute();
  await db.schema.alterTable("posts").dropColumn("moderation").execute();
  await db.schema.alterTable("posts").dropColumn("group_id").execute();
  for (const t of ["memberships", "group_modules", "groups"]) await db.schema.dropTable(t).execute();
}
