import { type Kysely, sql } from "kysely";

// Polls: the votes cast on a poll (a post of type Question whose `extra.poll`
// holds its options), one row per (poll, voter, option), local and remote
// voters alike; and when each local poll's tallies are next due to be sent
// (at most one Update a minute per poll).
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["poll_refreshes", "poll_votes"]) await db.schema.dropTable(t).execute();
}
