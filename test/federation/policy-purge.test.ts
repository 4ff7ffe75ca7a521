/**
 * Purging a blocked domain (src/domain/policy-purge.ts): what we hold from
 * its actors goes, counters on what stays are lowered, and nothing of anyone
 * else (a similar-looking domain included) is touched.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { parseDomainPattern } from "../../src/domain/policy.ts";
import { PURGE_BATCH, purgeDomain } from "../../src/domain/policy-purge.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";
import { storeRemoteActor } from "../support/policy.ts";

const ORIGIN = new URL("https://plein.test");
let database: TestDatabase;
let db: Db;
let alice: Actor;
let bob: Actor;
const remote: Record<string, Actor> = {};
const ids: Record<string, string> = {};

let n = 0;
async function post(author: Actor, fields: { reblogOf?: string; replyTo?: string; groupId?: string; deleted?: boolean } = {}): Promise<string> {
  const row = await db.insertInto("posts").values({
    iri: `${author.iri}/posts/${++n}`, actor_id: author.id, local: author.local, type: "Note", visibility: "public",
    published_at: new Date(), reblog_of_id: fields.reblogOf ?? null, in_reply_to_id: fields.replyTo ?? null,
    group_id: fields.groupId ?? null, deleted_at: fields.deleted ? new Date() : null,
  }).returning("id").executeTakeFirstOrThrow();
  return row.id;
}

async function count(table: "posts" | "likes" | "follows" | "memberships" | "notifications" | "actors" | "blocks" | "reports", where?: [string, string]) {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as("n"));
  if (where) q = q.where(where[0] as never, "=", where[1] as never);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

const postRow = (id: string) => db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();

beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
  alice = await createUser(db, ORIGIN, { username: "alice", email: "alice@plein.test", password: "correct horse battery" });
  bob = await createUser(db, ORIGIN, { username: "bob", email: "bob@plein.test", password: "correct horse battery" });
  for (const [name, iri, type] of [
    ["x", "https://blocked.example/users/x", "Person"],
    ["y", "https://sub.blocked.example:8443/users/y", "Person"],
    ["g", "https://blocked.example/groups/g", "Group"],
    ["z", "https://keep.example/users/z", "Person"],
    ["w", "https://notblocked.example/users/w", "Person"],
  ] as const) remote[name] = await storeRemoteActor(db, ORIGIN.host, iri, type);
  const club = await createGroup(db, ORIGIN, alice, { name: "club", joinMode: "open", modules: defaultModules() });

  ids.p = await post(alice);
  ids.xReply = await post(remote.x!, { replyTo: ids.p });
  ids.xDeletedReply = await post(remote.x!, { replyTo: ids.p, deleted: true });
  ids.xBoost = await post(remote.x!, { reblogOf: ids.p });
  ids.zReply = await post(remote.z!, { replyTo: ids.p });
  ids.q = await post(remote.y!);
  ids.aliceReplyToQ = await post(alice, { replyTo: ids.q });
  ids.aliceBoostOfQ = await post(alice, { reblogOf: ids.q });
  ids.zInG = await post(remote.z!, { groupId: remote.g!.id });
  ids.wPost = await post(remote.w!);
  await db.updateTable("posts").set({ replies_count: 3, reblogs_count: 1, likes_count: 3 }).where("id", "=", ids.p).execute();
  // Many more by x: the purge goes in batches.
  await db.insertInto("posts").values(Array.from({ length: PURGE_BATCH + 20 }, (_, i) => ({
    iri: `${remote.x!.iri}/bulk/${i}`, actor_id: remote.x!.id, local: false, type: "Note" as const, visibility: "public" as const, published_at: new Date(),
  }))).execute();

  await db.insertInto("likes").values([
    { actor_id: remote.x!.id, post_id: ids.p, activity_iri: "https://blocked.example/likes/1" },
    { actor_id: remote.y!.id, post_id: ids.p, activity_iri: "https://sub.blocked.example/likes/1" },
    { actor_id: remote.z!.id, post_id: ids.p, activity_iri: "https://keep.example/likes/1" },
    { actor_id: alice.id, post_id: ids.q, activity_iri: "https://plein.test/likes/1" },
  ]).execute();
  await db.insertInto("follows").values([
    { follower_id: remote.x!.id, followee_id: alice.id, state: "accepted", activity_iri: "https://blocked.example/f/1" },
    { follower_id: alice.id, followee_id: remote.y!.id, state: "accepted", activity_iri: "https://plein.test/f/1" },
    { follower_id: remote.z!.id, followee_id: alice.id, state: "accepted", activity_iri: "https://keep.example/f/1" },
    { follower_id: remote.w!.id, followee_id: bob.id, state: "pending", activity_iri: "https://notblocked.example/f/1" },
  ]).execute();
  await db.insertInto("memberships").values([
    { group_id: club.actor.id, member_id: remote.x!.id, state: "member" },
    { group_id: remote.g!.id, member_id: alice.id, state: "member" },
    { group_id: club.actor.id, member_id: remote.z!.id, state: "pending" },
  ]).execute();
  await db.insertInto("notifications").values([
    { recipient_id: alice.id, type: "follow", actor_id: remote.x!.id },
    { recipient_id: alice.id, type: "follow", actor_id: remote.z!.id },
    { recipient_id: alice.id, type: "mention", actor_id: remote.z!.id, post_id: ids.zReply },
  ]).execute();
  await db.insertInto("blocks").values({ actor_id: bob.id, target_id: remote.x!.id }).execute();
  await db.insertInto("reports").values({ reporter_id: alice.id, target_id: remote.y!.id, comment: "spam" }).execute();
});

afterAll(async () => {
  await database?.close();
});

describe("purging *.blocked.example", () => {
  test("removes its actors' posts, likes, follows, memberships and notifications, and nothing else", async () => {
    const actorsBefore = await count("actors");
    const result = await purgeDomain(db, parseDomainPattern("*.blocked.example"));
    expect(result).toEqual({
      posts: PURGE_BATCH + 20 + 4, // x: reply, deleted reply, boost and the bulk; y: q
      likes: 2, follows: 2, memberships: 2, notifications: 1,
    });
    for (const key of ["xReply", "xDeletedReply", "xBoost", "q", "aliceBoostOfQ"]) expect(await postRow(ids[key]!), key).toBeUndefined();
    for (const actor of [remote.x!, remote.y!]) expect(await count("posts", ["actor_id", actor.id])).toBe(0);

    // What stays: our posts (a reply to a purged post loses its parent link only), other servers' posts.
    expect(await postRow(ids.aliceReplyToQ!)).toMatchObject({ in_reply_to_id: null });
    for (const key of ["p", "zReply", "zInG", "wPost"]) expect(await postRow(ids[key]!), key).toBeDefined();
    // Counters lowered as a Delete or an Undo would have: one live reply, one boost, two likes of ours.
    expect(await postRow(ids.p!)).toMatchObject({ replies_count: 2, reblogs_count: 0, likes_count: 1 });

    expect(await count("likes", ["actor_id", remote.z!.id])).toBe(1);
    expect(await count("likes", ["actor_id", alice.id])).toBe(0); // alice's like was of q, which is gone
    expect(await count("follows", ["follower_id", remote.z!.id])).toBe(1);
    expect(await count("follows", ["follower_id", remote.w!.id])).toBe(1);
    expect(await count("memberships", ["member_id", remote.z!.id])).toBe(1);
    expect(await count("memberships", ["member_id", alice.id])).toBe(1); // the club she owns
    expect(await count("notifications", ["actor_id", remote.z!.id])).toBe(2);

    // Actors stay, and with them a local person's block and a report.
    expect(await count("actors")).toBe(actorsBefore);
    expect(await count("blocks")).toBe(1);
    expect(await count("reports")).toBe(1);
  });

  test("is safe to run again, and an exact pattern leaves subdomains alone", async () => {
    expect(await purgeDomain(db, parseDomainPattern("*.blocked.example")))
      .toEqual({ posts: 0, likes: 0, follows: 0, memberships: 0, notifications: 0 });
    const y2 = await storeRemoteActor(db, ORIGIN.host, "https://sub.blocked.example/users/y2");
    const x2 = await storeRemoteActor(db, ORIGIN.host, "https://blocked.example/users/x2");
    await post(y2);
    await post(x2);
    expect((await purgeDomain(db, parseDomainPattern("blocked.example"))).posts).toBe(1);
    expect(await count("posts", ["actor_id", y2.id])).toBe(1);
  });
});
