/**
 * A reply and its parent stored at the same time (a group announces a comment
 * right after its thread; PostgreSQL's inbox workers run them at once): the
 * reply must end up linked to its parent whichever commits first. Only on
 * PostgreSQL: PGlite has one connection, so nothing runs at once there.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { sql } from "kysely";
import type { Actor } from "../../src/db/schema.ts";
import { type RemotePostInput, upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "../support/db.ts";
import { waitFor } from "../support/instances.ts";

let handle: TestDatabase;
let author: Actor;

beforeAll(async () => {
  handle = await openTestDatabase();
  author = await upsertRemoteActor(handle.db, "plein.test", {
    iri: "https://lemmy.example/u/picard", type: "Person", username: "picard", displayName: "", summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null, inbox: null, sharedInbox: null, outbox: null, followers: null,
    following: null, featured: null, manuallyApprovesFollowers: false, bot: false, fields: [],
    followersCount: null, followingCount: null, postsCount: null,
  });
});

afterAll(async () => {
  await handle?.close();
});

function note(iri: string, inReplyToIri: string | null): RemotePostInput {
  return {
    iri, url: null, type: "Note", visibility: "public", inReplyToIri, name: null, summary: null, sensitive: false,
    contentHtml: "<p>hi</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [],
    attachments: [], extra: {},
  };
}

it.skipIf(!testDatabaseUrl)("a reply stored while its parent's transaction is open is linked to the parent", async () => {
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const parentIri = "https://lemmy.example/comment/1";
  // The parent's transaction stays open (after its insert) until the gate opens.
  const parent = upsertRemotePost(handle.db, author, note(parentIri, null), "create", async () => {
    entered();
    await gate;
  });
  await inside;
  let replySettled = false;
  const reply = upsertRemotePost(handle.db, author, note("https://lemmy.example/comment/2", parentIri), "create")
    .finally(() => (replySettled = true));
  // Open the gate once the reply either finished on its own or waits for the parent's transaction.
  await waitFor(async () => replySettled || (await sql<{ n: number }>`
    select count(*)::integer as n from pg_locks where locktype = 'advisory' and not granted`.execute(handle.db)).rows[0]!.n > 0);
  release();
  const [stored, replied] = await Promise.all([parent, reply]);
  const row = await handle.db.selectFrom("posts").select("in_reply_to_id").where("id", "=", replied.id).executeTakeFirstOrThrow();
  expect(row.in_reply_to_id).toBe(stored.id);
});
