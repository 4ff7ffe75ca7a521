/**
 * The federation policy between real instances over HTTPS: A's admin (anna)
 * changes A's policy through Plein's API while A runs. B (bob) is a friendly
 * server, D (dave) the one A blocks. What each instance stores and shows is
 * asserted on that instance.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import {
  expectStatus,
  fetchObject,
  followAndWait,
  marker,
  postStatus,
  relationship,
  resolveAccount,
  searchAccount,
  type Status,
  signedFetchObject,
  waitForHome,
} from "../support/mastodon.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let D: TestInstance;
let anna: TestUser; // A's admin
let alice: TestUser;
let bob: TestUser;
let dave: TestUser;

const V1 = "/api/plein/v1";

beforeAll(async () => {
  instances = await startInstances(3);
  [A, B, D] = instances as [TestInstance, TestInstance, TestInstance];
  anna = await A.createUser("anna", { admin: true, scopes: ["read", "write", "admin:read", "admin:write"] });
  alice = await A.createUser("alice");
  bob = await B.createUser("bob");
  dave = await D.createUser("dave");
  await followAndWait(bob, alice.handle);
  await followAndWait(dave, alice.handle);
}, 120_000);

afterAll(async () => {
  await closeInstances(instances);
});

const storedPost = (instance: TestInstance, iri: string) =>
  instance.db.selectFrom("posts").select("id").where("iri", "=", iri).executeTakeFirst();

async function policy(method: "PUT" | "DELETE", path: string, body?: unknown) {
  const res = await anna.api.request(method, `${V1}/federation${path}`, body === undefined ? {} : { body });
  expectStatus(res, 200, `${method} /federation${path}`);
}

describe("A blocks D", () => {
  let before: Status;

  beforeAll(async () => {
    before = await postStatus(alice, { status: `before the block ${marker()}` });
    await waitForHome(dave, before.uri);
    await policy("PUT", `/domains/${D.host}`, { action: "block" });
  }, 60_000);

  it("D receives nothing of A's from then on; B does", async () => {
    const post = await postStatus(alice, { status: `after the block ${marker()}` });
    await waitForHome(bob, post.uri);
    await settle(instances);
    expect(await storedPost(D, post.uri)).toBeUndefined();
  });

  it("D's signed fetches of A's post and actor are the one 404; D cannot find alice's new post", async () => {
    const post = await postStatus(alice, { status: `fetch me ${marker()}` });
    const missing = await signedFetchObject(D, D.host, `${A.origin}/notes/00000000-0000-4000-8000-000000000000`);
    for (const url of [post.uri, `${A.origin}/users/alice`]) {
      const answer = await signedFetchObject(D, D.host, url);
      expect(answer.status, url).toBe(404);
      expect(answer.text, url).toBe(missing.text);
    }
    expect((await signedFetchObject(B, B.host, post.uri)).status).toBe(200);
    expect((await fetchObject(post.uri)).status).toBe(200); // public, and an unsigned GET names no server
    const found = await dave.api.get<{ statuses: Status[] }>("/api/v2/search", { q: post.uri, resolve: true, type: "statuses" });
    expect(found.body.statuses).toEqual([]);
    expect(await storedPost(D, post.uri)).toBeUndefined();
  });

  it("what D's people send A is refused: a reply to alice is not stored on A", async () => {
    const onD = await resolveAccount(dave, alice.handle);
    const daveCopy = (await dave.api.get<Status[]>(`/api/v1/accounts/${onD.id}/statuses`)).body.find((s) => s.uri === before.uri)!;
    const reply = await postStatus(dave, { status: `@${alice.handle} a reply ${marker()}`, in_reply_to_id: daveCopy.id });
    await settle(instances);
    expect(await storedPost(A, reply.uri)).toBeUndefined();
  });

  it("A's people cannot look up, follow or mention D's", async () => {
    await D.createUser("dirk");
    expect(await searchAccount(alice.api, `dirk@${D.host}`)).toBeUndefined();
    const daveOnA = await searchAccount(alice.api, dave.handle, false); // known from before the block
    expect(daveOnA).toBeDefined();
    const follow = await alice.api.post<{ error: string }>(`/api/v1/accounts/${daveOnA!.id}/follow`);
    expect(follow.status).toBe(403);
    expect(follow.body.error).toMatch(new RegExp(`does not federate with ${D.host.replaceAll(".", "\\.")}`));
    const mention = await postStatus(alice, { status: `hello @${dave.handle} ${marker()}` });
    expect(mention.mentions).toEqual([]);
    await settle(instances);
    expect(await storedPost(D, mention.uri)).toBeUndefined();
  });

  it("lifting the block takes effect at once: the next post reaches dave", async () => {
    await policy("DELETE", `/domains/${D.host}`);
    const post = await postStatus(alice, { status: `after the lift ${marker()}` });
    await waitForHome(dave, post.uri);
  });
});

describe("A in allowlist mode", () => {
  afterAll(async () => {
    await policy("PUT", "", { mode: "blocklist" });
    await policy("DELETE", `/domains/${B.host}`);
  });

  it("federates with the allowed B only: D, unlisted, gets nothing and reaches nothing", async () => {
    await policy("PUT", `/domains/${B.host}`, { action: "allow" });
    await policy("PUT", "", { mode: "allowlist" });
    const post = await postStatus(alice, { status: `allowlist ${marker()}` });
    await waitForHome(bob, post.uri);
    await settle(instances);
    expect(await storedPost(D, post.uri)).toBeUndefined();
    expect((await signedFetchObject(D, D.host, post.uri)).status).toBe(404);
    expect((await signedFetchObject(B, B.host, post.uri)).status).toBe(200);
  });
});

describe("A silences B", () => {
  afterAll(async () => {
    await policy("DELETE", `/domains/${B.host}`);
  });

  it("a follow from B waits for alice's approval though her account is open; B's posts stay out of A's public timeline", async () => {
    await followAndWait(alice, bob.handle); // alice follows bob before the rule
    await policy("PUT", `/domains/${B.host}`, { action: "silence" });
    const bert = await B.createUser("bert");
    const aliceOnB = await resolveAccount(bert, alice.handle);
    expectStatus(await bert.api.post(`/api/v1/accounts/${aliceOnB.id}/follow`), 200, "bert follows alice");
    const bertOnA = await waitFor(() => searchAccount(alice.api, bert.handle, false));
    await waitFor(async () => (await alice.api.get<Array<{ id: string }>>("/api/v1/follow_requests")).body.some((a) => a.id === bertOnA.id),
      { message: "bert's request on A" });
    await settle(instances);
    expect(await relationship(bert, aliceOnB.id)).toMatchObject({ following: false, requested: true });

    const post = await postStatus(bob, { status: `silenced ${marker()}` });
    const onA = await waitForHome(alice, post.uri);
    const federated = await A.api().get<Status[]>("/api/v1/timelines/public", { limit: 40 });
    expect(federated.body.map((s) => s.uri)).not.toContain(post.uri);
    expect(onA.uri).toBe(post.uri);
  });
});
