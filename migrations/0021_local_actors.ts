import { type Kysely, sql } from "kysely";

// The local accounts among all actors (a few hundred among hundreds of
// thousands): housekeeping walks them to trim each home feed
// (src/domain/home-feed.ts), without reading every remote actor.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index actors_local on actors (id) where local`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("actors_local").execute();
}
