/**
 * Migration 0017 fills the home feeds and post counts of an existing
 * installation: each local account's newest candidates (bounded), nobody
 * else's; the counts of posts anyone may read. Its `down` is run first (the
 * database is migrated), the rows are written without its triggers, then
 * its `up` again.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as m0017 from "../../migrations/0017_home_feed_counters.ts";
import type { Db } from "../../src/db/database.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

let handle: TestDatabase;
let db: Db;
const id: Record<string, string> = {};

async function actor(name: string, local: boolean, type = "Person"): Promise<string> {
  const { rows: [row] } = await sql<{ id: string }>`
    insert into actors (iri, type, username, domain, local) values (${`https://x.example/${name}`}, ${type}, ${name}, 'x.example', ${local})
    returning id`.execute(db);
  return row!.id;
}

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
  await m0017.down(db as never);
  for (const [name, local, type] of [["reader", true, "Person"], ["remote", false, "Person"], ["author", false, "Person"],
    ["group", false, "Group"], ["outsider", true, "Person"]] as const) id[name] = await actor(name, local, type);
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri) values
      (${id.reader}, ${id.author}, 'accepted', 'https://x.example/f1'),
      (${id.remote}, ${id.author}, 'accepted', 'https://x.example/f2')`.execute(db);
  await sql`insert into memberships (group_id, member_id, state) values (${id.group}, ${id.reader}, 'member')`.execute(db);
  // 450 posts of the author, oldest first: public, unlisted and followers-only in turn; every tenth in the group.
  await sql`
    insert into posts (iri, actor_id, local, type, visibility, published_at, group_id)
    select 'https://x.example/p/' || i, ${id.author}, false, 'Note', (array['public', 'unlisted', 'followers'])[1 + i % 3],
           now() - (450 - i) * interval '1 minute', case when i % 10 = 0 then ${id.group}::bigint end
    from generate_series(0, 449) as i`.execute(db);
  await m0017.up(db as never);
});

afterAll(async () => {
  await handle?.close();
});

const feedOf = async (owner: string) =>
  (await db.selectFrom("home_feed").select("post_id").where("owner_id", "=", owner).orderBy("post_id", "desc").execute()).map((r) => r.post_id);

describe("migration 0017", () => {
  it("gives each local account its newest 400 candidates, and nobody else a feed", async () => {
    const newest = (await db.selectFrom("posts").select("id").orderBy("id", "desc").limit(400).execute()).map((r) => r.id);
    expect(await feedOf(id.reader!)).toEqual(newest);
    expect(await feedOf(id.remote!)).toEqual([]);
    expect(await feedOf(id.outsider!)).toEqual([]);
  });

  it("counts the posts anyone may read, per author and per group", async () => {
    const counts = await db.selectFrom("post_counts").selectAll().where("actor_id", "in", [id.author!, id.group!]).orderBy("actor_id").execute();
    expect(counts.map((c) => [c.actor_id, c.statuses, c.group_statuses])).toEqual([
      [id.author, 300, 0],
      // i % 10 = 0 and i % 3 < 2: 30 of the 45 posts in the group
      [id.group, 0, 30],
    ]);
    expect(counts[0]!.last_status_at).not.toBeNull();
  });

  it("keeps them from then on: a new post of the author reaches the local follower's feed and the counts", async () => {
    const { rows: [post] } = await sql<{ id: string }>`
      insert into posts (iri, actor_id, local, type, visibility, published_at) values ('https://x.example/p/new', ${id.author}, false, 'Note', 'public', now())
      returning id`.execute(db);
    expect((await feedOf(id.reader!))[0]).toBe(post!.id);
    expect(await feedOf(id.remote!)).toEqual([]);
    const count = await db.selectFrom("post_counts").select("statuses").where("actor_id", "=", id.author!).executeTakeFirstOrThrow();
    expect(count.statuses).toBe(301);
    await sql`update posts set deleted_at = now() where id = ${post!.id}`.execute(db);
    const after = await db.selectFrom("post_counts").select("statuses").where("actor_id", "=", id.author!).executeTakeFirstOrThrow();
    expect(after.statuses).toBe(300);
  });
});
