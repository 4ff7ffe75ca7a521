/**
 * Who sees what through the Mastodon API, across local accounts:
 * alice posts; carol follows her; bob does not; dave is mentioned.
 * A post someone may not see answers exactly like one that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonContext } from "../../src/api/mastodon/entities/context.ts";
import type { MastodonSearch } from "../../src/api/mastodon/entities/search.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let pub: MastodonStatus;
let followersOnly: MastodonStatus;
let direct: MastodonStatus;
let closedReply: MastodonStatus;

const ABSENT_ID = "900000000000";

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol, dave] = await Promise.all([api.user("alice"), api.user("bob"), api.user("carol"), api.user("dave")]);
  const follow = await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: carol.token });
  expect(follow.status).toBe(200);
  pub = await api.post(alice, { status: "public thread start #open" });
  followersOnly = await api.post(alice, { status: "for followers only #secretplan", visibility: "private" });
  direct = await api.post(alice, { status: "@dave just for you", visibility: "direct" });
  closedReply = await api.post(alice, { status: "followers-only reply", visibility: "private", in_reply_to_id: pub.id });
  // Favourited by carol, who may see it.
  expect((await api.request("POST", `/api/v1/statuses/${followersOnly.id}/favourite`, { token: carol.token })).status).toBe(200);
});

afterAll(async () => {
  await api?.close();
});

const ids = (list: MastodonStatus[]) => list.map((s) => s.id);

async function absent(path: string, token?: string) {
  const res = await api.request("GET", path, { token });
  expect(res.status, path).toBe(404);
  expect(res.body).toEqual({ error: "Record not found" });
  return res.text;
}

describe("followers-only posts", () => {
  it("the author and followers see them", async () => {
    for (const u of [alice, carol]) {
      const res = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${followersOnly.id}`, { token: u.token });
      expect(res.status).toBe(200);
      expect(res.body.visibility).toBe("private");
    }
  });

  it("a non-follower and anonymous get the same 404 as for a post that does not exist", async () => {
    const missing = await absent(`/api/v1/statuses/${ABSENT_ID}`, bob.token);
    expect(await absent(`/api/v1/statuses/${followersOnly.id}`, bob.token)).toBe(missing);
    expect(await absent(`/api/v1/statuses/${followersOnly.id}`)).toBe(missing);
    for (const sub of ["context", "favourited_by", "reblogged_by"]) {
      expect(await absent(`/api/v1/statuses/${followersOnly.id}/${sub}`, bob.token)).toBe(missing);
      expect(await absent(`/api/v1/statuses/${followersOnly.id}/${sub}`)).toBe(missing);
    }
  });

  it("favouriting, boosting or replying to it as a non-follower is the same 404", async () => {
    for (const action of ["favourite", "unfavourite", "reblog", "unreblog"]) {
      const res = await api.request("POST", `/api/v1/statuses/${followersOnly.id}/${action}`, { token: bob.token });
      expect(res.status, action).toBe(404);
    }
    const reply = await api.request("POST", "/api/v1/statuses", { token: bob.token, json: { status: "x", in_reply_to_id: followersOnly.id } });
    expect(reply.status).toBe(404);
  });

  it("favourited_by lists the likers to those who may see it", async () => {
    const res = await api.request<MastodonAccount[]>("GET", `/api/v1/statuses/${followersOnly.id}/favourited_by`, { token: carol.token });
    expect(res.body.map((a) => a.id)).toEqual([carol.id]);
  });

  it("is left out of context, account statuses and home for a non-follower", async () => {
    const asBob = await api.request<MastodonContext>("GET", `/api/v1/statuses/${pub.id}/context`, { token: bob.token });
    expect(ids(asBob.body.descendants)).toEqual([]);
    const asCarol = await api.request<MastodonContext>("GET", `/api/v1/statuses/${pub.id}/context`, { token: carol.token });
    expect(ids(asCarol.body.descendants)).toEqual([closedReply.id]);
    const ancestorsForBob = await api.request("GET", `/api/v1/statuses/${closedReply.id}/context`, { token: bob.token });
    expect(ancestorsForBob.status).toBe(404);

    const bobView = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`, { token: bob.token });
    expect(ids(bobView.body)).toEqual([pub.id]);
    const anonView = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`);
    expect(ids(anonView.body)).toEqual([pub.id]);
    const carolView = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`, { token: carol.token });
    expect(ids(carolView.body)).toEqual([closedReply.id, followersOnly.id, pub.id]);

    // bob now follows someone else only: alice's closed posts never reach his home.
    await api.request("POST", `/api/v1/accounts/${dave.id}/follow`, { token: bob.token });
    const bobHome = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home", { token: bob.token });
    expect(ids(bobHome.body)).not.toContain(followersOnly.id);
    const carolHome = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home", { token: carol.token });
    expect(ids(carolHome.body)).toEqual(expect.arrayContaining([followersOnly.id, closedReply.id, pub.id]));
    expect(ids(carolHome.body)).not.toContain(direct.id);
  });

  it("counts only what the viewer may see", async () => {
    const forBob = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${pub.id}`, { token: bob.token });
    expect(forBob.body.replies_count).toBe(0);
    const forCarol = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${pub.id}`, { token: carol.token });
    expect(forCarol.body.replies_count).toBe(1);
    const accountForBob = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`, { token: bob.token });
    expect(accountForBob.body.statuses_count).toBe(1);
    const accountForAlice = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`, { token: alice.token });
    expect(accountForAlice.body.statuses_count).toBe(4);
  });

  it("its hashtags are not found by those who may not see it", async () => {
    const anon = await api.request<MastodonSearch>("GET", "/api/v2/search?q=%23secret&type=hashtags");
    expect(anon.body.hashtags).toEqual([]);
    const bobSearch = await api.request<MastodonSearch>("GET", "/api/v2/search?q=secret&type=hashtags", { token: bob.token });
    expect(bobSearch.body.hashtags).toEqual([]);
    const carolSearch = await api.request<MastodonSearch>("GET", "/api/v2/search?q=secret&type=hashtags", { token: carol.token });
    expect(carolSearch.body.hashtags.map((t) => t.name)).toEqual(["secretplan"]);
    const open = await api.request<MastodonSearch>("GET", "/api/v2/search?q=op&type=hashtags");
    expect(open.body.hashtags.map((t) => t.name)).toEqual(["open"]);
  });

  it("is not found by URL search by those who may not see it", async () => {
    const q = encodeURIComponent(followersOnly.uri);
    const bobSearch = await api.request<MastodonSearch>("GET", `/api/v2/search?q=${q}&type=statuses&resolve=true`, { token: bob.token });
    expect(bobSearch.body.statuses).toEqual([]);
    const carolSearch = await api.request<MastodonSearch>("GET", `/api/v2/search?q=${q}&type=statuses`, { token: carol.token });
    expect(ids(carolSearch.body.statuses)).toEqual([followersOnly.id]);
  });

  it("is absent from the public timeline", async () => {
    const res = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public", { token: carol.token });
    expect(ids(res.body)).toEqual([pub.id]);
  });
});

describe("direct posts", () => {
  it("only the author and the mentioned see them", async () => {
    for (const u of [alice, dave]) {
      expect((await api.request("GET", `/api/v1/statuses/${direct.id}`, { token: u.token })).status).toBe(200);
    }
    for (const u of [bob, carol]) await absent(`/api/v1/statuses/${direct.id}`, u.token);
    await absent(`/api/v1/statuses/${direct.id}`);
    const daveHome = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home", { token: dave.token });
    expect(ids(daveHome.body)).toContain(direct.id);
    const carolList = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`, { token: carol.token });
    expect(ids(carolList.body)).not.toContain(direct.id);
    const daveList = await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${alice.id}/statuses`, { token: dave.token });
    expect(ids(daveList.body)).toEqual([direct.id, pub.id]);
  });

  it("boosts of posts the viewer may not see do not show the original", async () => {
    // carol boosts a public post of alice, then alice blocks nobody: the boost is visible to all.
    const s = await api.post(alice, { status: "boostable" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/reblog`, { token: carol.token, json: { visibility: "private" } });
    expect(boost.status).toBe(200);
    // A followers-only boost by carol: bob does not follow carol.
    await absent(`/api/v1/statuses/${boost.body.id}`, bob.token);
    expect((await api.request("GET", `/api/v1/statuses/${boost.body.id}`, { token: carol.token })).status).toBe(200);
    const by = await api.request<MastodonAccount[]>("GET", `/api/v1/statuses/${s.id}/reblogged_by`, { token: bob.token });
    expect(by.body).toEqual([]);
    const count = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${s.id}`, { token: bob.token });
    expect(count.body.reblogs_count).toBe(0);
  });
});
