import { type Kysely, sql } from "kysely";

// What Mastodon apps let people arrange for themselves: lists of followed
// accounts (each with its own timeline), keyword and post filters, private
// notes on accounts, and per follow whether boosts show and new posts notify.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("lists")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("owner_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("replies_policy", "text", (c) => c.notNull().defaultTo("list").check(sql`replies_policy in ('followed', 'list', 'none')`))
    .addColumn("exclusive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex("lists_owner").on("lists").columns(["owner_id", "id"]).execute();
  // The home timeline asks, for each source, whether the viewer has exclusive lists: few do.
  await sql`create index lists_exclusive on lists (owner_id, id) where exclusive`.execute(db);

  await db.schema
    .createTable("list_accounts")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("list_id", "bigint", (c) => c.notNull().references("lists.id").onDelete("cascade"))
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    // Only followed (or requested) accounts are on lists: when the follow ends, so does the membership, whatever ended it.
    .addColumn("follow_id", "bigint", (c) => c.notNull().references("follows.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("list_accounts_pair", ["list_id", "actor_id"])
    .execute();
  // The lists an account is on (unfollowing removes it from the follower's lists; the home timeline's exclusive lists).
  await db.schema.createIndex("list_accounts_actor").on("list_accounts").columns(["actor_id", "list_id"]).execute();
  await db.schema.createIndex("list_accounts_follow").on("list_accounts").column("follow_id").execute();
  await db.schema.createIndex("list_accounts_list").on("list_accounts").columns(["list_id", "id"]).execute();

  await db.schema
    .createTable("filters")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("owner_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("context", sql`text[]`, (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull().defaultTo("warn").check(sql`action in ('warn', 'hide', 'blur')`))
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex("filters_owner").on("filters").columns(["owner_id", "id"]).execute();

  await db.schema
    .createTable("filter_keywords")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("filter_id", "bigint", (c) => c.notNull().references("filters.id").onDelete("cascade"))
    .addColumn("keyword", "text", (c) => c.notNull())
    .addColumn("whole_word", "boolean", (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema.createIndex("filter_keywords_filter").on("filter_keywords").columns(["filter_id", "id"]).execute();

  await db.schema
    .createTable("filter_statuses")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("filter_id", "bigint", (c) => c.notNull().references("filters.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addUniqueConstraint("filter_statuses_pair", ["filter_id", "post_id"])
    .execute();
  await db.schema.createIndex("filter_statuses_post").on("filter_statuses").column("post_id").execute();

  await db.schema
    .createTable("account_notes")
    .addColumn("actor_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint("account_notes_pk", ["actor_id", "target_id"])
    .execute();

  await db.schema.alterTable("follows")
    .addColumn("show_reblogs", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("notify", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("languages", sql`text[]`)
    .execute();
  // Who is told of an account's new posts: its followers who asked to be.
  await sql`create index follows_notify on follows (followee_id) where notify`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("follows_notify").execute();
  await db.schema.alterTable("follows").dropColumn("languages").dropColumn("notify").dropColumn("show_reblogs").execute();
  for (const t of ["account_notes", "filter_statuses", "filter_keywords", "filters", "list_accounts", "lists"]) {
    await db.schema.dropTable(t).execute();
  }
}
