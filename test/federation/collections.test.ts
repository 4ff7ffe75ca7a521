import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Actor, Post, Visibility } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { boost } from "../../src/domain/posts/sharing.ts";
import { pin, unpin } from "../../src/domain/pins.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";
import { type FakeActor, FakeRemote } from "./fake-remote.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", PLEIN_ALLOW_PRIVATE_ADDRESS: "true" });
const AP = "application/activity+json";

type Json = Record<string, unknown>;

let running: RunningPlein;
let remote: FakeRemote;
let alice: Actor;
let bob: Actor;
let lotte: Actor; // locked
let carol: FakeActor;
const publicPosts: Post[] = [];
const privatePosts: Post[] = [];
let boostRow: Post;
let bobPost: Post;
let thread: Post;
let privateThread: Post;
const publicReplies: Post[] = [];
let privateReply: Post;
let remoteReply: Post;
const followerIris: string[] = [];
const followingIris: string[] = [];

const url = (path: string) => new URL(path, ORIGIN).href;

async function fetchJson(target: string, actor?: FakeActor): Promise<{ status: number; body: Json }> {
  const init = { headers: { accept: AP } };
  const res = actor ? await running.app.request(await remote.signed(actor, url(target), init)) : await running.app.request(url(target), init);
  const text = await res.text();
  return { status: res.status, body: res.status === 200 ? JSON.parse(text) as Json : { text } };
}

function asArray(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Follows `first`/`next` to the end; returns every item and the number of pages. */
async function walk(path: string, actor?: FakeActor): Promise<{ collection: Json; items: unknown[]; pages: number }> {
  const { status, body: collection } = await fetchJson(path, actor);
  expect(status).toBe(200);
  const items: unknown[] = [];
  let next = collection.first as string | undefined;
  let pages = 0;
  while (next) {
    expect(pages).toBeLessThan(50);
    const { status: s, body: page } = await fetchJson(next, actor);
    expect(s).toBe(200);
    items.push(...asArray(page.orderedItems ?? page.items));
    next = page.next as string | undefined;
    pages++;
  }
  return { collection, items, pages };
}

function idOf(item: unknown): string {
  if (typeof item === "string") return item;
  return (item as Json).id as string;
}

async function newRemoteActor(n: number, options: { gone?: boolean } = {}): Promise<Actor> {
  const iri = `https://r${n}.example/users/u${n}`;
  const actor = await upsertRemoteActor(running.deps.db, "plein.test", {
    iri, type: "Person", username: `u${n}`, displayName: "", summaryHtml: "", url: null, avatarUrl: null,
    headerUrl: null, inbox: `${iri}/inbox`, sharedInbox: null, outbox: null, followers: null, following: null,
    featured: null, manuallyApprovesFollowers: false, bot: false, fields: [], followersCount: null,
    followingCount: null, postsCount: null,
  });
  if (options.gone) await running.deps.db.updateTable("actors").set({ gone_at: new Date() }).where("id", "=", actor.id).execute();
  return actor;
}

async function insertFollow(followerId: string, followeeId: string, state: "accepted" | "pending") {
  await running.deps.db.insertInto("follows").values({
    follower_id: followerId, followee_id: followeeId, state, activity_iri: `https://x.example/f/${followerId}-${followeeId}`,
  }).execute();
}

function localPost(author: Actor, visibility: Visibility, text: string, inReplyToId?: string) {
  return createLocalPost(running.deps.db, config.origin, author, {
    contentHtml: `<p>${text}</p>`, visibility, ...(inReplyToId ? { inReplyToId } : {}),
  });
}

beforeAll(async () => {
  remote = new FakeRemote();
  await remote.start();
  running = await startPlein(config, { database: await openTestDatabase(), listen: false, role: "web" });
  const db = running.deps.db;
  alice = await createUser(db, config.origin, { username: "alice", email: "a@plein.test", password: "correct horse" });
  bob = await createUser(db, config.origin, { username: "bob", email: "b@plein.test", password: "correct horse" });
  lotte = await createUser(db, config.origin, { username: "lotte", email: "l@plein.test", password: "correct horse", locked: true });
  carol = await remote.addActor("carol");
  const carolRow = await remote.store(db, "plein.test", carol);
  await insertFollow(carolRow.id, alice.id, "accepted");
  followerIris.push(carol.iri);

  bobPost = await localPost(bob, "public", "bob says hi");
  for (let i = 0; i < 45; i++) {
    publicPosts.push(await localPost(alice, i % 3 === 0 ? "unlisted" : "public", `post ${i}`));
    if (i === 20) boostRow = await boost(db, config.origin, alice, bobPost.id);
    if (i % 9 === 0) privatePosts.push(await localPost(alice, "followers", `private ${i}`));
  }
  privatePosts.push(await localPost(alice, "instance", "instance only"));

  for (let n = 0; n < 44; n++) {
    const a = await newRemoteActor(n);
    await insertFollow(a.id, alice.id, "accepted");
    followerIris.push(a.iri);
  }
  for (let n = 100; n < 103; n++) await insertFollow((await newRemoteActor(n)).id, alice.id, "pending");
  await insertFollow((await newRemoteActor(200, { gone: true })).id, alice.id, "accepted");
  for (let n = 300; n < 342; n++) {
    const a = await newRemoteActor(n);
    await insertFollow(alice.id, a.id, "accepted");
    followingIris.push(a.iri);
  }
  for (let n = 400; n < 402; n++) await insertFollow(alice.id, (await newRemoteActor(n)).id, "pending");
  for (let n = 500; n < 505; n++) await insertFollow((await newRemoteActor(n)).id, lotte.id, "accepted");
  await insertFollow(lotte.id, (await newRemoteActor(600)).id, "accepted");

  thread = await localPost(alice, "public", "thread start");
  publicPosts.push(thread);
  for (let i = 0; i < 23; i++) publicReplies.push(await localPost(bob, "public", `reply ${i}`, thread.id));
  privateReply = await localPost(bob, "followers", "private reply", thread.id);
  const remoteAuthor = await newRemoteActor(700);
  remoteReply = await upsertRemotePost(db, remoteAuthor, {
    iri: "https://r700.example/notes/1", url: null, type: "Note", visibility: "public", inReplyToIri: thread.iri,
    name: null, summary: null, sensitive: false, contentHtml: "<p>remote reply</p>", language: null,
    publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
  }, "create");
  privateThread = await localPost(alice, "followers", "private thread");
  privatePosts.push(privateThread);
  publicPosts.push(await localPost(alice, "public", "reply to private", privateThread.id));
}, 120_000);

afterAll(async () => {
  await running?.close();
  await running?.database.close();
  await remote?.stop();
});

describe("outbox", () => {
  it("pages through public and unlisted posts and boosts once each, newest first", async () => {
    const { collection, items, pages } = await walk("/users/alice/outbox");
    expect(collection.type).toBe("OrderedCollection");
    expect(collection.totalItems).toBe(publicPosts.length + 1);
    expect(pages).toBeGreaterThan(1);
    const ids = items.map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(publicPosts.length + 1);
    const creates = items.filter((i) => (i as Json).type === "Create") as Json[];
    expect(creates.map((c) => (c.object as Json).id).sort()).toEqual(publicPosts.map((p) => p.iri).sort());
    expect(creates.every((c) => c.id === `${(c.object as Json).id}#create`)).toBe(true);
    const announces = items.filter((i) => (i as Json).type === "Announce") as Json[];
    expect(announces).toHaveLength(1);
    expect(announces[0]!.id).toBe(boostRow.iri);
    expect(announces[0]!.object).toBe(bobPost.iri);
    // Newest first: the last post is the first item.
    expect(((items[0] as Json).object as Json).id).toBe(publicPosts[publicPosts.length - 1]!.iri);
    const privateIris = new Set(privatePosts.map((p) => p.iri));
    expect(creates.some((c) => privateIris.has((c.object as Json).id as string))).toBe(false);
  });

  it("adds followers-only posts for a signed follower, never instance-only ones", async () => {
    const { collection, items } = await walk("/users/alice/outbox", carol);
    const followersOnly = privatePosts.filter((p) => p.visibility === "followers");
    expect(collection.totalItems).toBe(publicPosts.length + 1 + followersOnly.length);
    const objectIds = new Set(items.map((i) => ((i as Json).object as Json | string)).map((o) => (typeof o === "string" ? o : o.id)));
    for (const p of followersOnly) expect(objectIds.has(p.iri)).toBe(true);
    expect(objectIds.has(privatePosts.find((p) => p.visibility === "instance")!.iri)).toBe(false);
    expect(new Set(items.map(idOf)).size).toBe(items.length);
  });

  it("answers unknown accounts and foreign cursors with 404", async () => {
    expect((await fetchJson("/users/nobody/outbox")).status).toBe(404);
    expect((await fetchJson("/users/nobody/outbox?cursor=")).status).toBe(404);
    expect((await fetchJson("/users/alice/outbox?cursor=abc")).status).toBe(404);
    expect((await fetchJson("/users/alice/outbox?cursor=1%20or%201=1")).status).toBe(404);
    expect((await fetchJson("/users/alice/outbox?cursor=99999999999999999999999")).status).toBe(404);
    // 19 digits, but past the largest bigint: no query may be tried with it.
    for (const path of ["outbox", "followers", "following"]) {
      expect((await fetchJson(`/users/alice/${path}?cursor=9999999999999999999`)).status, path).toBe(404);
    }
    expect((await fetchJson(`${new URL(thread.iri).pathname}/replies?cursor=9999999999999999999`)).status).toBe(404);
  });
});

describe("followers and following", () => {
  it("lists accepted, reachable followers once each", async () => {
    const { collection, items, pages } = await walk("/users/alice/followers");
    expect(collection.totalItems).toBe(followerIris.length);
    expect(pages).toBeGreaterThan(1);
    expect(items.map(idOf).sort()).toEqual([...followerIris].sort());
  });

  it("filters followers by server (FEP-8fcf base-url)", async () => {
    const { items } = await walk(`/users/alice/followers?base-url=${encodeURIComponent("https://r7.example/")}`);
    expect(items.map(idOf)).toEqual(["https://r7.example/users/u7"]);
  });

  it("lists accepted follows only", async () => {
    const { collection, items } = await walk("/users/alice/following");
    expect(collection.totalItems).toBe(followingIris.length);
    expect(items.map(idOf).sort()).toEqual([...followingIris].sort());
  });

  it("shows only totals for a locked account", async () => {
    const followers = await fetchJson("/users/lotte/followers");
    expect(followers.status).toBe(200);
    expect(followers.body.totalItems).toBe(5);
    expect(followers.body.first).toBeUndefined();
    expect(asArray(followers.body.orderedItems ?? followers.body.items)).toEqual([]);
    const following = await fetchJson("/users/lotte/following");
    expect(following.body.totalItems).toBe(1);
    expect(asArray(following.body.orderedItems ?? following.body.items)).toEqual([]);
    expect((await fetchJson("/users/lotte/followers?cursor=")).status).toBe(404);
    expect((await fetchJson("/users/lotte/following?cursor=")).status).toBe(404);
  });

  it("serves an empty featured collection", async () => {
    const { status, body } = await fetchJson("/users/alice/featured");
    expect(status).toBe(200);
    expect(body.totalItems).toBe(0);
    expect((await fetchJson("/users/nobody/featured")).status).toBe(404);
  });

  it("lists pinned posts in featured as the requester may see them, privately when one is closed", async () => {
    const open = publicPosts[0]!, closed = privatePosts.find((p) => p.visibility === "followers")!;
    for (const p of [open, closed]) await pin(running.deps.db, alice, p.id);
    try {
      const anonymous = await fetchJson("/users/alice/featured");
      expect(asArray(anonymous.body.orderedItems).map(idOf)).toEqual([open.iri]);
      const signed = await running.app.request(await remote.signed(carol, url("/users/alice/featured"), { headers: { accept: AP } }));
      expect(signed.status).toBe(200);
      expect(signed.headers.get("cache-control")).toContain("private");
      const body = await signed.json() as Json;
      expect(body.totalItems).toBe(2);
      const newestFirst = [open, closed].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1)).map((p) => p.iri);
      expect(asArray(body.orderedItems).map(idOf)).toEqual(newestFirst);
    } finally {
      for (const p of [open, closed]) await unpin(running.deps.db, alice, p.id);
    }
  });
});

describe("replies", () => {
  it("pages through visible replies once each, local ones embedded", async () => {
    const note = (await fetchJson(new URL(thread.iri).pathname)).body;
    expect(typeof note.replies).toBe("string");
    const { items, pages } = await walk(new URL(note.replies as string).pathname);
    expect(pages).toBe(2);
    const ids = items.map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...publicReplies.map((r) => r.iri), remoteReply.iri].sort());
    const embedded = items.find((i) => idOf(i) === publicReplies[0]!.iri) as Json;
    expect(embedded.content).toBe("<p>reply 0</p>");
    expect(embedded.inReplyTo).toBe(thread.iri);
    const byReference = items.find((i) => idOf(i) === remoteReply.iri) as Json;
    expect(byReference.content).toBeUndefined();
    expect(ids).not.toContain(privateReply.iri);
  });

  it("hides the replies of a post the requester may not see, like an absent one", async () => {
    const forbidden = await fetchJson(`${new URL(privateThread.iri).pathname}/replies`);
    const absent = await fetchJson(`/notes/${crypto.randomUUID()}/replies`);
    expect(forbidden.status).toBe(404);
    expect(absent.status).toBe(404);
    expect(forbidden.body).toEqual(absent.body);
    expect((await fetchJson(`${new URL(privateThread.iri).pathname}/replies?cursor=`)).status).toBe(404);
    expect((await fetchJson(`${new URL(privateThread.iri).pathname}/replies`, carol)).status).toBe(200);
  });
});
