/**
 * Which live streams a post belongs in for a viewer: the visibility rule
 * and, as the timelines do, never the posts of an account the viewer mutes
 * (nor boosts of them); others still get them, and unmuting brings them back.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { follow } from "../../src/domain/follows.ts";
import { mute, unmute } from "../../src/domain/mutes.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { boost } from "../../src/domain/posts/sharing.ts";
import { inHomeTimelineOf, inPublicStreamOf } from "../../src/domain/post-streams.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");
let database: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;

beforeAll(async () => {
  database = await openTestDatabase();
  const user = (username: string) => createUser(database.db, ORIGIN, { username, email: `${username}@plein.test`, password: "correct horse battery" });
  [alice, bob, carol] = [await user("alice"), await user("bob"), await user("carol")];
  for (const follower of [alice, carol]) await follow(database.db, ORIGIN, follower, bob);
});

afterAll(async () => {
  await database?.close();
});

it("a muted account's posts and boosts of them reach neither the muter's user nor public streams; others get them", async () => {
  const { db } = database;
  const post = await createLocalPost(db, ORIGIN, bob, { type: "Note", contentHtml: "<p>hallo</p>", visibility: "public" });
  const boosted = await boost(db, ORIGIN, carol, post.id);
  await follow(db, ORIGIN, alice, carol);
  const asAlice = { kind: "local", actorId: alice.id } as const;
  expect(await inHomeTimelineOf(db, alice.id, post.id)).toBe(true);
  expect(await inPublicStreamOf(db, asAlice, post.id)).toBe(true);

  await mute(db, alice, bob, { notifications: true });
  expect(await inHomeTimelineOf(db, alice.id, post.id)).toBe(false);
  expect(await inHomeTimelineOf(db, alice.id, boosted.id)).toBe(false);
  expect(await inPublicStreamOf(db, asAlice, post.id)).toBe(false);
  expect(await inHomeTimelineOf(db, carol.id, post.id)).toBe(true);
  expect(await inPublicStreamOf(db, { kind: "local", actorId: carol.id }, post.id)).toBe(true);
  expect(await inPublicStreamOf(db, { kind: "anonymous" }, post.id)).toBe(true);

  await unmute(db, alice, bob);
  expect(await inHomeTimelineOf(db, alice.id, post.id)).toBe(true);
  expect(await inPublicStreamOf(db, asAlice, post.id)).toBe(true);
});

it("the visibility rule still decides: a followers-only post is not in a stranger's public stream", async () => {
  const { db } = database;
  const post = await createLocalPost(db, ORIGIN, bob, { type: "Note", contentHtml: "<p>voor volgers</p>", visibility: "followers" });
  expect(await inPublicStreamOf(db, { kind: "anonymous" }, post.id)).toBe(false);
  expect(await inHomeTimelineOf(db, carol.id, post.id)).toBe(true);
});
