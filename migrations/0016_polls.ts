import { type Kysely, sql } from "kysely";

// Polls: the votes cast on a poll (a post of type Question whose `extra.poll`
// holds its options), one row per (poll, voter, option), local and remote
// voters alike; the polls whose new tallies wait to be sent (at most one
// pending Update per poll); and each account's notifications policy.
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable("poll_votes")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("voter_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("choice", "integer", (c) => c.notNull().check(sql`choice >= 0`))
    // the vote's ActivityPub id: ours for a local voter, the voter's Note for a remote one
    .addColumn("iri", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint("poll_votes_choice", ["post_id", "voter_id", "choice"])
    .execute();

  await db.schema
    .createTable("poll_refreshes")
    .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
    .addColumn("due_at", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("notification_policies")
    .addColumn("actor_id", "bigint", (c) => c.primaryKey().references("actors.id").onDelete("cascade"))
    .addColumn("for_not_following", "text", (c) => c.notNull().defaultTo("accept").check(sql`for_not_following in ('accept', 'filter', 'drop')`))
    .addColumn("for_not_followers", "text", (c) => c.notNull().defaultTo("accept").check(sql`for_not_followers in ('accept', 'filter', 'drop')`))
    .addColumn("for_new_accounts", "text", (c) => c.notNull().defaultTo("accept").check(sql`for_new_accounts in ('accept', 'filter', 'drop')`))
    .addColumn("for_private_mentions", "text", (c) => c.notNull().defaultTo("accept").check(sql`for_private_mentions in ('accept', 'filter', 'drop')`))
    .addColumn("for_limited_accounts", "text", (c) => c.notNull().defaultTo("accept").check(sql`for_limited_accounts in ('accept', 'filter', 'drop')`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["notification_policies", "poll_refreshes", "poll_votes"]) await db.schema.dropTable(t).execute();
}
