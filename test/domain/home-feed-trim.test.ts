/**
 * Housekeeping keeps each local account's newest home-feed candidates and
 * drops the rest (src/domain/home-feed.ts); other accounts' feeds and the
 * posts themselves are untouched.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import { trimHomeFeeds } from "../../src/domain/home-feed.ts";
import { homeTimeline } from "../../src/domain/timelines.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

let handle: TestDatabase;
let db: Db;
const id: Record<string, string> = {};

async function actor(name: string, local: boolean): Promise<string> {
  const { rows: [row] } = await sql<{ id: string }>`
    insert into actors (iri, type, username, domain, local) values (${`https://x.example/${name}`}, 'Person', ${name}, 'x.example', ${local})
    returning id`.execute(db);
  return row!.id;
}

const feedOf = async (owner: string) =>
  (await db.selectFrom("home_feed").select("post_id").where("owner_id", "=", owner).orderBy("post_id", "desc").execute()).map((r) => r.post_id);

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
  for (const [name, local] of [["busy", true], ["calm", true], ["author", false]] as const) id[name] = await actor(name, local);
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri) values
      (${id.busy}, ${id.author}, 'accepted', 'https://x.example/f1')`.execute(db);
  // 30 public posts of the author reach busy's feed by the trigger; calm gets its own 3.
  await sql`
    insert into posts (iri, actor_id, local, type, visibility, published_at)
    select 'https://x.example/p/' || i, ${id.author}, false, 'Note', 'public', now() - (30 - i) * interval '1 minute'
    from generate_series(0, 29) as i`.execute(db);
  await sql`
    insert into posts (iri, actor_id, local, type, visibility, published_at)
    select 'https://x.example/calm/' || i, ${id.calm}, true, 'Note', 'public', now()
    from generate_series(0, 2) as i`.execute(db);
});

afterAll(async () => {
  await handle?.close();
});

describe("trimming home feeds", () => {
  it("keeps each local account's newest rows, drops the older ones, and leaves a feed within the limit alone", async () => {
    const before = await feedOf(id.busy!);
    expect(before).toHaveLength(30);
    const calmBefore = await feedOf(id.calm!);
    expect(calmBefore).toHaveLength(3);

    expect(await trimHomeFeeds(db, 10)).toBe(20);
    expect(await feedOf(id.busy!)).toEqual(before.slice(0, 10));
    expect(await feedOf(id.calm!)).toEqual(calmBefore);
    expect(Number((await db.selectFrom("posts").select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toBe(33);

    const page = await homeTimeline(db, id.busy!, { limit: 20 });
    expect(page.map((p) => p.id)).toEqual(before.slice(0, 10));
    expect(await trimHomeFeeds(db, 10)).toBe(0);
  });
});
