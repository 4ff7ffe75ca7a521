/**
 * Mastodon's lists: alice keeps lists of accounts she follows (bob, carol);
 * dave she does not follow; erin owns lists of her own. The list timeline
 * shows the members' posts as alice may see them, with her mutes and the
 * list's replies policy; an exclusive list keeps its members out of home.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { decideRequest, join } from "../../src/domain/membership.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

interface ListJson { id: string; title: string; replies_policy: string; exclusive: boolean }

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let erin: User;

const ids = (list: { id: string }[]) => list.map((s) => s.id);
const links = (res: { headers: Headers }) => Object.fromEntries(
  [...(res.headers.get("link") ?? "").matchAll(/<([^>]+)>; rel="(\w+)"/g)].map((m) => [m[2]!, m[1]!]));

async function newList(user: User, json: Record<string, unknown>): Promise<ListJson> {
  const res = await api.request<ListJson>("POST", "/api/v1/lists", { token: user.token, json });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function follow(user: User, target: User): Promise<void> {
  expect((await api.request("POST", `/api/v1/accounts/${target.id}/follow`, { token: user.token })).status).toBe(200);
}

async function timeline(user: User, listId: string, query = "") {
  return api.request<MastodonStatus[]>("GET", `/api/v1/timelines/list/${listId}${query}`, { token: user.token });
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol, dave, erin] = await Promise.all(["alice", "bob", "carol", "dave", "erin"].map((n) => api.user(n))) as [User, User, User, User, User];
  await follow(alice, bob);
  await follow(alice, carol);
  await follow(erin, bob);
});

afterAll(async () => {
  await api?.close();
});

describe("lists", () => {
  it("are created, read, changed and deleted by their owner", async () => {
    const made = await newList(alice, { title: "  Work  ", replies_policy: "followed", exclusive: true });
    expect(made).toEqual({ id: made.id, title: "Work", replies_policy: "followed", exclusive: true });
    const plain = await api.request<ListJson>("POST", "/api/v1/lists", { token: alice.token, form: { title: "Friends" } });
    expect(plain.body).toEqual({ id: plain.body.id, title: "Friends", replies_policy: "list", exclusive: false });
    expect((await api.request<ListJson[]>("GET", "/api/v1/lists", { token: alice.token })).body).toEqual([made, plain.body]);
    expect((await api.request<ListJson>("GET", `/api/v1/lists/${made.id}`, { token: alice.token })).body).toEqual(made);
    const changed = await api.request<ListJson>("PUT", `/api/v1/lists/${made.id}`, { token: alice.token, json: { title: "Werk", replies_policy: "none", exclusive: false } });
    expect(changed.body).toEqual({ id: made.id, title: "Werk", replies_policy: "none", exclusive: false });
    const deleted = await api.request("DELETE", `/api/v1/lists/${plain.body.id}`, { token: alice.token });
    expect([deleted.status, deleted.body]).toEqual([200, {}]);
    expect((await api.request("GET", `/api/v1/lists/${plain.body.id}`, { token: alice.token })).status).toBe(404);
    expect((await api.request<ListJson[]>("GET", "/api/v1/lists", { token: erin.token })).body).toEqual([]);
    await api.request("DELETE", `/api/v1/lists/${made.id}`, { token: alice.token });
  });

  it("401 without a token, 403 without the lists scopes", async () => {
    const list = await newList(alice, { title: "scopes" });
    const readOnly = await api.token(alice, ["read:lists"]);
    const otherScopes = await api.token(alice, ["read:filters", "write:filters", "read:statuses"]);
    for (const [method, path] of [["GET", "/api/v1/lists"], ["POST", "/api/v1/lists"], ["GET", `/api/v1/lists/${list.id}`],
      ["PUT", `/api/v1/lists/${list.id}`], ["DELETE", `/api/v1/lists/${list.id}`], ["GET", `/api/v1/lists/${list.id}/accounts`],
      ["POST", `/api/v1/lists/${list.id}/accounts`], ["DELETE", `/api/v1/lists/${list.id}/accounts`],
      ["GET", `/api/v1/accounts/${bob.id}/lists`], ["GET", `/api/v1/timelines/list/${list.id}`]] as const) {
      const json = method === "GET" ? undefined : { title: "x" };
      expect((await api.request(method, path, { json })).status, `${method} ${path}`).toBe(401);
      expect((await api.request(method, path, { token: otherScopes, json })).status, `${method} ${path}`).toBe(403);
      if (method !== "GET") expect((await api.request(method, path, { token: readOnly, json })).status, `${method} ${path}`).toBe(403);
    }
    expect((await api.request("GET", `/api/v1/timelines/list/${list.id}`, { token: readOnly })).status).toBe(200);
  });

  it("422 for a malformed title, replies policy or exclusive flag", async () => {
    const list = await newList(alice, { title: "checked" });
    for (const json of [{}, { title: "" }, { title: "   " }, { title: "x".repeat(201) }, { title: "a", replies_policy: "everyone" },
      { title: "a", exclusive: "perhaps" }, { title: ["a"] }]) {
      expect((await api.request("POST", "/api/v1/lists", { token: alice.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    for (const json of [{ title: "" }, { replies_policy: "all" }, { exclusive: "x" }]) {
      expect((await api.request("PUT", `/api/v1/lists/${list.id}`, { token: alice.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request<ListJson>("GET", `/api/v1/lists/${list.id}`, { token: alice.token })).body.title).toBe("checked");
  });

  it("404 for someone else's list, an unknown one and a malformed id, on every route", async () => {
    const list = await newList(alice, { title: "mine" });
    for (const [user, id] of [[erin, list.id], [alice, "900000000000"], [alice, "abc"]] as const) {
      for (const [method, path] of [["GET", `/api/v1/lists/${id}`], ["PUT", `/api/v1/lists/${id}`], ["DELETE", `/api/v1/lists/${id}`],
        ["GET", `/api/v1/lists/${id}/accounts`], ["POST", `/api/v1/lists/${id}/accounts`], ["DELETE", `/api/v1/lists/${id}/accounts`],
        ["GET", `/api/v1/timelines/list/${id}`]] as const) {
        const res = await api.request(method, path, { token: user.token, json: method === "GET" ? undefined : { title: "theirs", account_ids: [bob.id] } });
        expect(res.status, `${user.actor.username} ${method} ${path}`).toBe(404);
      }
    }
    expect((await api.request<ListJson>("GET", `/api/v1/lists/${list.id}`, { token: alice.token })).body.title).toBe("mine");
    expect((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token })).body).toEqual([]);
  });
});

describe("a list's accounts", () => {
  it("are accounts the owner follows, paged with Link headers; the lists an account is on", async () => {
    const list = await newList(alice, { title: "members" });
    const added = await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, form: { "account_ids[]": [bob.id, carol.id] } });
    expect([added.status, added.body]).toEqual([200, {}]);
    // Again: still once.
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [bob.id] } });
    const all = await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token });
    expect(ids(all.body).sort()).toEqual([bob.id, carol.id].sort());
    const first = await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts?limit=1`, { token: alice.token });
    expect(first.body).toHaveLength(1);
    const next = links(first).next!;
    expect(next).toMatch(new RegExp(`^${ORIGIN}/api/v1/lists/${list.id}/accounts\\?limit=1&max_id=\\d+$`));
    const second = await api.request<MastodonAccount[]>("GET", new URL(next).pathname + new URL(next).search, { token: alice.token });
    expect([...ids(first.body), ...ids(second.body)].sort()).toEqual([bob.id, carol.id].sort());
    expect((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts?limit=0`, { token: alice.token })).body).toHaveLength(2);

    const on = await api.request<ListJson[]>("GET", `/api/v1/accounts/${bob.id}/lists`, { token: alice.token });
    expect(ids(on.body)).toContain(list.id);
    // erin's lists are hers: she sees none of alice's.
    expect(ids((await api.request<ListJson[]>("GET", `/api/v1/accounts/${bob.id}/lists`, { token: erin.token })).body)).not.toContain(list.id);
    expect((await api.request("GET", `/api/v1/accounts/900000000000/lists`, { token: alice.token })).status).toBe(404);

    const removed = await api.request("DELETE", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [carol.id] } });
    expect([removed.status, removed.body]).toEqual([200, {}]);
    expect(ids((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token })).body)).toEqual([bob.id]);
  });

  it("422 for an account not followed or a malformed id, 404 for an unknown account; nothing is added then", async () => {
    const list = await newList(alice, { title: "strict" });
    const notFollowed = await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [bob.id, dave.id] } });
    expect(notFollowed.status).toBe(422);
    for (const account_ids of [["abc"], [bob.id, "-1"], [], [{ id: bob.id }]]) {
      const res = await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids } });
      expect(res.status, JSON.stringify(account_ids)).toBe(422);
    }
    expect((await api.request("DELETE", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: ["x"] } })).status).toBe(422);
    expect((await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: ["900000000000"] } })).status).toBe(404);
    expect((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token })).body).toEqual([]);
  });

  it("unfollowing takes the account off the follower's lists", async () => {
    const frank = await api.user("frank");
    await follow(alice, frank);
    const list = await newList(alice, { title: "brief" });
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [frank.id, bob.id] } });
    expect((await api.request("POST", `/api/v1/accounts/${frank.id}/unfollow`, { token: alice.token })).status).toBe(200);
    expect(ids((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token })).body)).toEqual([bob.id]);
    expect((await api.request<ListJson[]>("GET", `/api/v1/accounts/${frank.id}/lists`, { token: alice.token })).body).toEqual([]);
    // Following again does not put it back.
    await follow(alice, frank);
    expect(ids((await api.request<MastodonAccount[]>("GET", `/api/v1/lists/${list.id}/accounts`, { token: alice.token })).body)).toEqual([bob.id]);
  });
});

describe("a list's timeline", () => {
  it("shows the members' posts newest first, keyset-paged with Link headers", async () => {
    const list = await newList(alice, { title: "paged" });
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [bob.id, carol.id] } });
    const posts: MastodonStatus[] = [];
    for (let i = 0; i < 5; i++) posts.push(await api.post(i % 2 ? carol : bob, { status: `list post ${i}` }));
    const notOnList = await api.post(dave, { status: "not on the list" });
    const own = await api.post(alice, { status: "alice's own" });
    const page = await timeline(alice, list.id, "?limit=2");
    expect(ids(page.body)).toEqual([posts[4]!.id, posts[3]!.id]);
    const { next, prev } = links(page);
    expect(next).toBe(`${ORIGIN}/api/v1/timelines/list/${list.id}?limit=2&max_id=${posts[3]!.id}`);
    expect(prev).toBe(`${ORIGIN}/api/v1/timelines/list/${list.id}?limit=2&min_id=${posts[4]!.id}`);
    expect(ids((await timeline(alice, list.id, new URL(next!).search)).body)).toEqual([posts[2]!.id, posts[1]!.id]);
    expect(ids((await timeline(alice, list.id, `?min_id=${posts[0]!.id}&limit=2`)).body)).toEqual([posts[2]!.id, posts[1]!.id]);
    expect(ids((await timeline(alice, list.id, `?since_id=${posts[2]!.id}`)).body)).toEqual([posts[4]!.id, posts[3]!.id]);
    const all = ids((await timeline(alice, list.id, "?limit=40")).body);
    expect(all).not.toContain(notOnList.id);
    expect(all).not.toContain(own.id);
    expect((await timeline(alice, list.id, "?max_id=abc")).status).toBe(422);
  });

  it("follows the replies policy: followed, list or none; replies to oneself or the owner always", async () => {
    const list = await newList(alice, { title: "replies", replies_policy: "list" });
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [bob.id] } });
    const [ofCarol, ofDave, ofBob, ofAlice] = await Promise.all([
      api.post(carol, { status: "carol says" }), api.post(dave, { status: "dave says" }),
      api.post(bob, { status: "bob says" }), api.post(alice, { status: "alice says" })]);
    const toCarol = await api.post(bob, { status: "@carol answer", in_reply_to_id: ofCarol.id });
    const toDave = await api.post(bob, { status: "@dave answer", in_reply_to_id: ofDave.id });
    const toSelf = await api.post(bob, { status: "more", in_reply_to_id: ofBob.id });
    const toOwner = await api.post(bob, { status: "@alice answer", in_reply_to_id: ofAlice.id });
    const shown = async (policy: string) => {
      await api.request("PUT", `/api/v1/lists/${list.id}`, { token: alice.token, json: { replies_policy: policy } });
      const got = ids((await timeline(alice, list.id, "?limit=40")).body);
      return [toCarol, toDave, toSelf, toOwner].filter((s) => got.includes(s.id)).map((s) => s.id);
    };
    // carol is followed but not on the list; dave neither.
    expect(await shown("list")).toEqual([toSelf.id, toOwner.id]);
    expect(await shown("followed")).toEqual([toCarol.id, toSelf.id, toOwner.id]);
    expect(await shown("none")).toEqual([toSelf.id, toOwner.id]);
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [carol.id] } });
    expect(await shown("list")).toEqual([toCarol.id, toSelf.id, toOwner.id]);
  });

  it("leaves out what the owner mutes, and a closed group's posts from a non-member even when the author is on the list", async () => {
    const { db } = api.running.deps;
    const list = await newList(alice, { title: "careful" });
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [bob.id, carol.id] } });
    const group = await createGroup(db, api.running.config.origin, erin.actor,
      { name: "raad", visibility: "closed", joinMode: "approval", modules: defaultModules() });
    await join(db, api.running.config.origin, group, bob.actor);
    await decideRequest(db, group, erin.actor, bob.actor, true);
    const closed = await api.post(bob, { status: "@raad vertrouwelijk" });
    expect(closed.visibility).toBe("private");
    const open = await api.post(bob, { status: "open" });
    const muted = await api.post(carol, { status: "muted soon" });
    expect((await api.request("POST", `/api/v1/accounts/${carol.id}/mute`, { token: alice.token })).status).toBe(200);
    const got = ids((await timeline(alice, list.id, "?limit=40")).body);
    expect(got).toContain(open.id);
    expect(got).not.toContain(closed.id);
    expect(got).not.toContain(muted.id);
    // erin, a member, would see it: the rule is the viewer's.
    expect(ids((await api.request<MastodonStatus[]>("GET", `/api/v1/timelines/home?limit=40`, { token: erin.token })).body)).toContain(closed.id);
    await api.request("POST", `/api/v1/accounts/${carol.id}/unmute`, { token: alice.token });
  });

  it("an exclusive list keeps its members' posts out of the owner's home timeline", async () => {
    const gina = await api.user("gina");
    await follow(alice, gina);
    const list = await newList(alice, { title: "apart", exclusive: false });
    await api.request("POST", `/api/v1/lists/${list.id}/accounts`, { token: alice.token, json: { account_ids: [gina.id] } });
    const post = await api.post(gina, { status: "from gina" });
    const home = async () => ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: alice.token })).body);
    expect(await home()).toContain(post.id);
    await api.request("PUT", `/api/v1/lists/${list.id}`, { token: alice.token, json: { exclusive: true } });
    expect(await home()).not.toContain(post.id);
    expect(ids((await timeline(alice, list.id)).body)).toContain(post.id);
    // Only alice's lists count: erin follows gina too and sees her post.
    await follow(erin, gina);
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: erin.token })).body)).toContain(post.id);
  });
});
