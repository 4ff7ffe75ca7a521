/**
 * Migration 0024 writes, for the reports an installation already has, the
 * groups their posts were made in (`report_groups`, which a group's
 * moderators list their reports from). Its `down` is run first (the database
 * is migrated), the reports are written, then its `up` again.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as m0024 from "../../migrations/0024_report_groups.ts";
import type { Db } from "../../src/db/database.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

let handle: TestDatabase;
let db: Db;

async function actor(name: string, type = "Person"): Promise<string> {
  const { rows: [row] } = await sql<{ id: string }>`
    insert into actors (iri, type, username, domain, local) values (${`https://x.example/${name}`}, ${type}, ${name}, 'x.example', false)
    returning id`.execute(db);
  return row!.id;
}

async function post(author: string, n: number, group: string | null): Promise<string> {
  const { rows: [row] } = await sql<{ id: string }>`
    insert into posts (iri, actor_id, local, type, visibility, published_at, group_id)
    values (${`https://x.example/p/${n}`}, ${author}, false, 'Note', 'public', now(), ${group}) returning id`.execute(db);
  return row!.id;
}

async function report(reporter: string, postIds: string[]): Promise<string> {
  const { rows: [row] } = await sql<{ id: string }>`
    insert into reports (reporter_id, post_ids, comment) values (${reporter}, ${JSON.stringify(postIds)}::jsonb, 'r') returning id`.execute(db);
  return row!.id;
}

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
});

afterAll(async () => {
  await handle?.close();
});

it("gives each report the groups of its posts, once each; posts outside groups and posts gone give none", async () => {
  await m0024.down(db as never);
  const [reporter, author, council, board] = [await actor("reporter"), await actor("author"), await actor("council", "Group"), await actor("board", "Group")];
  const inCouncil = [await post(author, 1, council), await post(author, 2, council)];
  const inBoard = await post(author, 3, board);
  const outside = await post(author, 4, null);
  const both = await report(reporter, [...inCouncil, inBoard, outside]);
  const none = await report(reporter, [outside]);
  const gone = await report(reporter, ["999999999"]);
  await m0024.up(db as never);
  const rows = await db.selectFrom("report_groups").select(["report_id", "group_id"]).orderBy("report_id").orderBy("group_id").execute();
  expect(rows).toEqual([{ report_id: both, group_id: council }, { report_id: both, group_id: board }]
    .sort((a, b) => Number(a.group_id) - Number(b.group_id)));
  expect(rows.some((r) => r.report_id === none || r.report_id === gone)).toBe(false);
});
