/**
 * The content modules' list queries on a large seeded database
 * (test/support/explain.ts): counting a page of threads' comments and
 * showing questions' accepted answers reads no large table end to end.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type { Post } from "../../src/db/schema.ts";
import { ANONYMOUS, type Viewer } from "../../src/domain/visibility.ts";
import { questionFields } from "../../src/modules/question/rules.ts";
import { questionDb } from "../../src/modules/question/schema.ts";
import { threadStats } from "../../src/modules/shared/threads.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";
import { fullScansIn, type Seeded, seedLargeDatabase } from "../support/explain.ts";

let handle: TestDatabase;
let seeded: Seeded;
let page: Post[];

beforeAll(async () => {
  handle = await openTestDatabase();
  seeded = await seedLargeDatabase(handle);
  const db = handle.db;
  page = await db.selectFrom("posts").selectAll().where("visibility", "=", "public").orderBy("id", "desc").limit(20).execute();
  // Each thread of the page gets comments three levels deep; the first half are questions with an accepted answer.
  for (const [i, root] of page.entries()) {
    let parent = root;
    for (let depth = 0; depth < 3; depth++) {
      parent = await db.insertInto("posts").values({
        iri: `${root.iri}/c${depth}`, actor_id: root.actor_id, local: false, type: "Note", visibility: "public",
        in_reply_to_id: parent.id, in_reply_to_iri: parent.iri, content_html: "<p>c</p>", published_at: new Date(),
      }).returningAll().executeTakeFirstOrThrow();
    }
    if (i < page.length / 2) {
      await db.updateTable("posts").set({ module: "question" }).where("id", "=", root.id).execute();
      await questionDb(db).insertInto("question_answers").values({
        post_id: root.id, answer_iri: `${root.iri}/c0`, accepted_by: root.actor_id, accepted_at: new Date(), decided_at: new Date(), activity_iri: `${root.iri}#accept`,
      }).execute();
    }
  }
  await sql`analyze`.execute(db);
});

afterAll(async () => {
  await handle?.close();
});

const viewers = (): Array<[string, Viewer]> => [["anonymous", ANONYMOUS], ["signed in", { kind: "local", actorId: seeded.localActorId }]];

describe("content module queries on a large database", () => {
  it.each(["anonymous", "signed in"])("comment counts of a page of threads, %s, read no large table end to end", async (name) => {
    const viewer = viewers().find(([n]) => n === name)![1];
    let stats = new Map<string, { comments: number }>();
    expect(await fullScansIn(handle.db, async (db: Db) => {
      stats = await threadStats(db, viewer, page);
    })).toEqual([]);
    expect(stats.get(page[0]!.id)?.comments).toBe(3);
  });

  it.each(["anonymous", "signed in"])("questions' accepted answers and answer counts, %s, read no large table end to end", async (name) => {
    const viewer = viewers().find(([n]) => n === name)![1];
    let fields = new Map<string, { accepted_answer_uri: string | null; answers_count: number }>();
    expect(await fullScansIn(handle.db, async (db: Db) => {
      fields = await questionFields(db, page, viewer);
    })).toEqual([]);
    expect(fields.get(page[0]!.id)).toMatchObject({ accepted_answer_uri: `${page[0]!.iri}/c0`, answers_count: 1 });
  });
});
