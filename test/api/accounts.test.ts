import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonSearch } from "../../src/api/mastodon/entities/search.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { findInstanceActor } from "../../src/domain/accounts.ts";
import { type Api, failingResolver, nothingResolver, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let locked: User;

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol, locked] = await Promise.all([
    api.user("alice"), api.user("bob"), api.user("carol"), api.user("lockedlen", { locked: true }),
  ]);
});

afterAll(async () => {
  await api?.close();
});

const rel = async (me: User, other: User) => {
  const res = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${other.id}`, { token: me.token });
  expect(res.status).toBe(200);
  return res.body[0]!;
};

describe("accounts", () => {
  it("shows an account by id and 404s unknown ones and the instance actor", async () => {
    const res = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: alice.id, username: "alice", acct: "alice", locked: false, bot: false, group: false,
      url: `${ORIGIN}/@alice`, uri: `${ORIGIN}/users/alice`, emojis: [], fields: [],
    });
    expect((await api.request("GET", "/api/v1/accounts/987654321")).status).toBe(404);
    const instance = await findInstanceActor(api.running.deps.db, api.running.config.origin);
    expect((await api.request("GET", `/api/v1/accounts/${instance!.id}`)).status).toBe(404);
  });

  it("lookup finds local accounts by name or full handle", async () => {
    for (const acct of ["alice", "@alice", "Alice", "alice@plein.test", "@alice@plein.test"]) {
      const res = await api.request<MastodonAccount>("GET", `/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      expect(res.status, acct).toBe(200);
      expect(res.body.id).toBe(alice.id);
    }
    for (const acct of ["nobody", "alice@elsewhere.example", "plein.test", "a@b@c"]) {
      const res = await api.request("GET", `/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`);
      expect(res.status, acct).toBe(404);
    }
    expect((await api.request("GET", "/api/v1/accounts/lookup")).status).toBe(422);
  });

  it("verify_credentials counts pending follow requests", async () => {
    const r = await api.request("POST", `/api/v1/accounts/${locked.id}/follow`, { token: carol.token });
    expect(r.status).toBe(200);
    const me = await api.request<{ source: { follow_requests_count: number }; locked: boolean }>(
      "GET", "/api/v1/accounts/verify_credentials", { token: locked.token });
    expect(me.body.locked).toBe(true);
    expect(me.body.source.follow_requests_count).toBe(1);
    await api.request("POST", `/api/v1/accounts/${locked.id}/unfollow`, { token: carol.token });
  });
});

describe("following an unlocked account", () => {
  it("follow is accepted at once, shows in lists and counts; unfollow ends it", async () => {
    const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: alice.id, following: true, requested: false, followed_by: false });
    expect(await rel(alice, bob)).toMatchObject({ id: bob.id, following: false, followed_by: true });

    const followers = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${alice.id}/followers`);
    expect(followers.body.map((a) => a.id)).toEqual([bob.id]);
    const following = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${bob.id}/following`);
    expect(following.body.map((a) => a.id)).toEqual([alice.id]);
    const account = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
    expect(account.body.followers_count).toBe(1);

    const again = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    expect(again.body.following).toBe(true);

    const un = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${alice.id}/unfollow`, { token: bob.token });
    expect(un.body).toMatchObject({ following: false, requested: false });
    expect((await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${alice.id}/followers`)).body).toEqual([]);
  });

  it("following oneself is refused", async () => {
    const res = await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: alice.token });
    expect(res.status).toBe(422);
  });

  it("relationships answers for many ids, skipping unknown and malformed ones", async () => {
    await api.request("POST", `/api/v1/accounts/${carol.id}/follow`, { token: alice.token });
    const res = await api.request<MastodonRelationship[]>("GET",
      `/api/v1/accounts/relationships?id[]=${carol.id}&id[]=${bob.id}&id[]=987654321&id[]=abc&id[]=${carol.id}`, { token: alice.token });
    expect(res.body.map((r) => [r.id, r.following])).toEqual([[carol.id, true], [bob.id, false]]);
    const single = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id=${carol.id}`, { token: alice.token });
    expect(single.body.map((r) => r.id)).toEqual([carol.id]);
    const none = await api.request<MastodonRelationship[]>("GET", "/api/v1/accounts/relationships", { token: alice.token });
    expect(none.body).toEqual([]);
    expect((await api.request("GET", `/api/v1/accounts/relationships?id[]=${carol.id}`)).status).toBe(401);
  });

  it("followers lists page by follow with Link headers", async () => {
    const fans = await Promise.all(["fan1", "fan2", "fan3"].map((n) => api.user(n)));
    for (const f of fans) await api.request("POST", `/api/v1/accounts/${carol.id}/follow`, { token: f.token });
    // alice followed carol earlier: four followers, newest first.
    const expected = [...fans].reverse().map((f) => f.id).concat(alice.id);
    const first = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${carol.id}/followers?limit=2`);
    expect(first.body.map((a) => a.id)).toEqual(expected.slice(0, 2));
    const link = first.headers.get("link") ?? "";
    expect(link).toMatch(new RegExp(`^<${ORIGIN}/api/v1/accounts/${carol.id}/followers\\?limit=2&max_id=\\d+>; rel="next", <${ORIGIN}/api/v1/accounts/${carol.id}/followers\\?limit=2&min_id=\\d+>; rel="prev"$`));
    const next = new URL(/<([^>]+)>; rel="next"/.exec(link)![1]!);
    const second = await api.request<MastodonAccount[]>("GET", next.pathname + next.search);
    expect(second.body.map((a) => a.id)).toEqual(expected.slice(2, 4));
    const prev = new URL(/<([^>]+)>; rel="prev"/.exec(second.headers.get("link") ?? "")![1]!);
    const back = await api.request<MastodonAccount[]>("GET", prev.pathname + prev.search);
    expect(back.body.map((a) => a.id)).toEqual(expected.slice(0, 2));
    const end = new URL(/<([^>]+)>; rel="next"/.exec(second.headers.get("link") ?? "")![1]!);
    const empty = await api.request<MastodonAccount[]>("GET", end.pathname + end.search);
    expect(empty.body).toEqual([]);
    expect(empty.headers.get("link")).toBeNull();
  });
});

describe("following a locked account", () => {
  it("a request waits; authorize makes it a follow", async () => {
    const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${locked.id}/follow`, { token: alice.token });
    expect(res.body).toMatchObject({ following: false, requested: true });
    expect((await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${locked.id}/followers`)).body).toEqual([]);
    expect((await api.request<MastodonAccount>("GET", `/api/v1/accounts/${locked.id}`)).body.followers_count).toBe(0);

    const requests = await api.request<MastodonAccount[]>("GET", "/api/v1/follow_requests", { token: locked.token });
    expect(requests.body.map((a) => a.id)).toEqual([alice.id]);
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/follow_requests", { token: alice.token })).body).toEqual([]);

    const ok = await api.request<MastodonRelationship>("POST", `/api/v1/follow_requests/${alice.id}/authorize`, { token: locked.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: alice.id, followed_by: true, requested_by: false });
    expect(await rel(alice, locked)).toMatchObject({ following: true, requested: false });
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/follow_requests", { token: locked.token })).body).toEqual([]);
    // No request any more: authorize and reject are 404, and the follow stays.
    expect((await api.request("POST", `/api/v1/follow_requests/${alice.id}/authorize`, { token: locked.token })).status).toBe(404);
    expect((await api.request("POST", `/api/v1/follow_requests/${alice.id}/reject`, { token: locked.token })).status).toBe(404);
    expect(await rel(alice, locked)).toMatchObject({ following: true });
  });

  it("reject drops the request", async () => {
    await api.request("POST", `/api/v1/accounts/${locked.id}/follow`, { token: bob.token });
    expect(await rel(bob, locked)).toMatchObject({ requested: true });
    const no = await api.request<MastodonRelationship>("POST", `/api/v1/follow_requests/${bob.id}/reject`, { token: locked.token });
    expect(no.body).toMatchObject({ id: bob.id, followed_by: false, requested_by: false });
    expect(await rel(bob, locked)).toMatchObject({ requested: false, following: false });
  });

  it("only the followee decides; bad ids are 404", async () => {
    await api.request("POST", `/api/v1/accounts/${locked.id}/follow`, { token: carol.token });
    expect((await api.request("POST", `/api/v1/follow_requests/${carol.id}/authorize`, { token: bob.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/follow_requests/abc/authorize", { token: locked.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/follow_requests/99999999999999999999/reject", { token: locked.token })).status).toBe(404);
    expect(await rel(carol, locked)).toMatchObject({ requested: true });
  });

  it("followers-only posts of a locked account reach the approved follower only", async () => {
    const s = await api.post(locked, { status: "members only", visibility: "private" });
    expect((await api.request("GET", `/api/v1/statuses/${s.id}`, { token: alice.token })).status).toBe(200);
    // carol's request is still pending: it does not count.
    expect((await api.request("GET", `/api/v1/statuses/${s.id}`, { token: carol.token })).status).toBe(404);
  });
});

describe("account statuses", () => {
  it("filters replies and boosts on request", async () => {
    const writer = await api.user("writer");
    const root = await api.post(writer, { status: "root" });
    const reply = await api.post(writer, { status: "self reply", in_reply_to_id: root.id });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${root.id}/reblog`, { token: writer.token });
    const all = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses`);
    expect(all.body.map((s) => s.id)).toEqual([boost.body.id, reply.id, root.id]);
    const noReplies = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?exclude_replies=true`);
    expect(noReplies.body.map((s) => s.id)).toEqual([boost.body.id, root.id]);
    const noBoosts = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?exclude_reblogs=1`);
    expect(noBoosts.body.map((s) => s.id)).toEqual([reply.id, root.id]);
    const pinned = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?pinned=true`);
    expect(pinned.body).toEqual([]);
    const paged = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?limit=1&max_id=${boost.body.id}`);
    expect(paged.body.map((s) => s.id)).toEqual([reply.id]);
    expect((await api.request("GET", `/api/v1/accounts/${writer.id}/statuses?exclude_replies=maybe`)).status).toBe(422);
  });

  it("tagged: only the account's posts with that hashtag, any case, pinned ones too", async () => {
    const writer = await api.user("tagwriter");
    const other = await api.user("tagother");
    const cats = await api.post(writer, { status: "about #Cats" });
    await api.post(writer, { status: "about #dogs" });
    await api.post(writer, { status: "no tag at all" });
    await api.post(other, { status: "also #cats" });
    const tagged = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?tagged=CATS`);
    expect(tagged.status, tagged.text).toBe(200);
    expect(tagged.body.map((s) => s.id)).toEqual([cats.id]);
    const hash = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?tagged=%23cats`);
    expect(hash.body.map((s) => s.id)).toEqual([cats.id]);
    expect((await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?tagged=birds`)).body).toEqual([]);
    expect((await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?tagged=no%20tag`)).body).toEqual([]);
    const pin = await api.request("POST", `/api/v1/statuses/${cats.id}/pin`, { token: writer.token });
    expect(pin.status, pin.text).toBe(200);
    const pinned = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?pinned=true&tagged=dogs`);
    expect(pinned.body).toEqual([]);
    const pinnedCats = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${writer.id}/statuses?pinned=true&tagged=cats`);
    expect(pinnedCats.body.map((s) => s.id)).toEqual([cats.id]);
  });
});

describe("search", () => {
  it("finds local accounts by name prefix, handle and display name", async () => {
    const r = await api.request<MastodonSearch>("GET", "/api/v2/search?q=al&type=accounts");
    expect(r.status).toBe(200);
    expect(r.body.accounts.map((a) => a.acct)).toEqual(["alice"]);
    expect(r.body.statuses).toEqual([]);
    expect(r.body.hashtags).toEqual([]);
    const handle = await api.request<MastodonSearch>("GET", "/api/v2/search?q=%40alice%40plein.test", { token: bob.token });
    expect(handle.body.accounts.map((a) => a.id)).toEqual([alice.id]);
    const fans = await api.request<MastodonSearch>("GET", "/api/v2/search?q=fan&type=accounts&limit=2");
    expect(fans.body.accounts.map((a) => a.acct)).toEqual(["fan1", "fan2"]);
    const more = await api.request<MastodonSearch>("GET", "/api/v2/search?q=fan&type=accounts&limit=2&offset=2");
    expect(more.body.accounts.map((a) => a.acct)).toEqual(["fan3"]);
    const wild = await api.request<MastodonSearch>("GET", "/api/v2/search?q=%25&type=accounts");
    expect(wild.body.accounts).toEqual([]);
    const underscore = await api.request<MastodonSearch>("GET", "/api/v2/search?q=_&type=accounts");
    expect(underscore.body.accounts).toEqual([]);
  });

  it("a resolver that finds nothing, or fails, gives empty results", async () => {
    for (const resolver of [nothingResolver, failingResolver]) {
      api.setResolver(resolver);
      for (const q of ["someone@remote.example", "https://remote.example/users/someone", "https://remote.example/notes/1"]) {
        const r = await api.request<MastodonSearch>("GET", `/api/v2/search?q=${encodeURIComponent(q)}&resolve=true`, { token: bob.token });
        expect(r.status, q).toBe(200);
        expect(r.body).toEqual({ accounts: [], statuses: [], hashtags: [] });
      }
    }
    api.setResolver(nothingResolver);
  });

  it("with the real resolver, unknown hosts and private addresses give empty results", async () => {
    api.setResolver(api.realResolver);
    try {
      for (const q of ["nobody@nonexistent.invalid", "https://nonexistent.invalid/users/x", "https://127.0.0.1/users/x",
        "https://[::1]/notes/1", "https://nonexistent.invalid/notes/1"]) {
        const r = await api.request<MastodonSearch>("GET", `/api/v2/search?q=${encodeURIComponent(q)}&resolve=true`, { token: bob.token });
        expect(r.status, q).toBe(200);
        expect(r.body, q).toEqual({ accounts: [], statuses: [], hashtags: [] });
      }
      const s = await api.post(alice, { status: "hi @nobody@nonexistent.invalid" });
      expect(s.mentions).toEqual([]);
      expect(s.content).toBe("<p>hi @nobody@nonexistent.invalid</p>");
    } finally {
      api.setResolver(nothingResolver);
    }
  });

  it("does not resolve remotely for anonymous callers", async () => {
    let asked = 0;
    api.setResolver({
      ...nothingResolver,
      resolveActor: async () => { asked++; return undefined; },
      resolvePost: async () => { asked++; return undefined; },
    });
    try {
      await api.request("GET", "/api/v2/search?q=someone%40remote.example&resolve=true");
      expect(asked).toBe(0);
      await api.request("GET", "/api/v2/search?q=someone%40remote.example&resolve=true", { token: bob.token });
      expect(asked).toBe(1);
    } finally {
      api.setResolver(nothingResolver);
    }
  });

  it("finds hashtags by prefix", async () => {
    await api.post(alice, { status: "#Plein is #pleinair" });
    const r = await api.request<MastodonSearch>("GET", "/api/v2/search?q=%23plein&type=hashtags");
    expect(r.body.hashtags.map((t) => t.name).sort()).toEqual(["plein", "pleinair"]);
    expect(r.body.hashtags[0]).toMatchObject({ url: expect.stringMatching(new RegExp(`^${ORIGIN}/tags/`)), history: [] });
  });

  it("rejects bad parameters with 422", async () => {
    for (const q of ["", "q=", "q=x&type=users", "q=x&limit=ten", "q=x&offset=-1", `q=${"x".repeat(600)}`, "q[]=a&q[]=b"]) {
      const r = await api.request("GET", `/api/v2/search?${q}`);
      expect(r.status, q).toBe(422);
    }
  });
});
