/**
 * Mastodon's filters: v2 filters with keywords and posts, the v1 view of
 * them, and what they do: `hide` leaves matching posts out of the timelines
 * and notifications of the filter's contexts, `warn` marks them with
 * `filtered` for the filter's owner only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { MastodonFilter } from "../../src/api/mastodon/entities/filter.ts";
import { keywordPattern } from "../../src/domain/filters.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

const ids = (list: { id: string }[]) => list.map((s) => s.id);
const home = async (user: User) => (await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: user.token })).body;
const publicTimeline = async (user: User) => (await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?limit=40", { token: user.token })).body;

async function newFilter(user: User, json: Record<string, unknown>): Promise<MastodonFilter> {
  const res = await api.request<MastodonFilter>("POST", "/api/v2/filters", { token: user.token, json });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => api.user(n))) as [User, User, User];
  expect((await api.request("POST", `/api/v1/accounts/${bob.id}/follow`, { token: alice.token })).status).toBe(200);
  expect((await api.request("POST", `/api/v1/accounts/${bob.id}/follow`, { token: carol.token })).status).toBe(200);
});

afterAll(async () => {
  await api?.close();
});

describe("whole-word matching", () => {
  it("is case-insensitive and sees word boundaries in every script", () => {
    expect(keywordPattern("café", true).test("Een CAFÉ bezoeken")).toBe(true);
    expect(keywordPattern("café", true).test("cafés")).toBe(false);
    expect(keywordPattern("straße", true).test("Die Straße.")).toBe(true);
    expect(keywordPattern("über", true).test("darüber")).toBe(false);
    expect(keywordPattern("über", false).test("darüber")).toBe(true);
    expect(keywordPattern("москва", true).test("Москва!")).toBe(true);
    expect(keywordPattern("#tag", true).test("a #tag here")).toBe(true);
    expect(keywordPattern("a.b", true).test("axb")).toBe(false);
  });
});

describe("v2 filters", () => {
  it("are created with keywords, read, changed (keywords added, changed, destroyed) and deleted by their owner", async () => {
    const made = await newFilter(alice, {
      title: "Sport", context: ["home", "public"], filter_action: "hide", expires_in: 3600,
      keywords_attributes: [{ keyword: "voetbal", whole_word: false }, { keyword: "Ajax" }],
    });
    expect(made).toMatchObject({ title: "Sport", context: ["home", "public"], filter_action: "hide", statuses: [] });
    expect(made.keywords.map((k) => [k.keyword, k.whole_word])).toEqual([["voetbal", false], ["Ajax", true]]);
    expect(Date.parse(made.expires_at!) - Date.now()).toBeGreaterThan(3500_000);
    expect((await api.request<MastodonFilter>("GET", `/api/v2/filters/${made.id}`, { token: alice.token })).body).toEqual(made);
    expect(ids((await api.request<MastodonFilter[]>("GET", "/api/v2/filters", { token: alice.token })).body)).toEqual([made.id]);
    expect((await api.request<MastodonFilter[]>("GET", "/api/v2/filters", { token: bob.token })).body).toEqual([]);

    const form = await api.request<MastodonFilter>("POST", "/api/v2/filters", { token: alice.token, form: {
      title: "Form", "context[]": ["thread"], "keywords_attributes[][keyword]": ["een", "twee"], "keywords_attributes[][whole_word]": ["true", "false"],
    } });
    expect(form.status, form.text).toBe(200);
    expect(form.body.keywords.map((k) => [k.keyword, k.whole_word])).toEqual([["een", true], ["twee", false]]);
    expect(form.body).toMatchObject({ filter_action: "warn", expires_at: null });

    const [voetbal, ajax] = made.keywords;
    const changed = await api.request<MastodonFilter>("PUT", `/api/v2/filters/${made.id}`, { token: alice.token, json: {
      title: "Sport!", context: ["notifications"], filter_action: "warn", expires_in: "",
      keywords_attributes: [{ id: voetbal!.id, keyword: "hockey" }, { id: ajax!.id, _destroy: true }, { keyword: "tennis" }],
    } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ title: "Sport!", context: ["notifications"], filter_action: "warn", expires_at: null });
    expect(changed.body.keywords.map((k) => k.keyword)).toEqual(["hockey", "tennis"]);

    const deleted = await api.request("DELETE", `/api/v2/filters/${made.id}`, { token: alice.token });
    expect([deleted.status, deleted.body]).toEqual([200, {}]);
    expect((await api.request("GET", `/api/v2/filters/${made.id}`, { token: alice.token })).status).toBe(404);
    await api.request("DELETE", `/api/v2/filters/${form.body.id}`, { token: alice.token });
  });

  it("keywords and posts have routes of their own", async () => {
    const filter = await newFilter(alice, { title: "parts", context: ["home"] });
    const added = await api.request<{ id: string; keyword: string; whole_word: boolean }>("POST", `/api/v2/filters/${filter.id}/keywords`,
      { token: alice.token, json: { keyword: "regen", whole_word: false } });
    expect(added.body).toEqual({ id: added.body.id, keyword: "regen", whole_word: false });
    expect((await api.request("GET", `/api/v2/filters/${filter.id}/keywords`, { token: alice.token })).body).toEqual([added.body]);
    expect((await api.request("GET", `/api/v2/filter_keywords/${added.body.id}`, { token: alice.token })).body).toEqual(added.body);
    const changed = await api.request("PUT", `/api/v2/filter_keywords/${added.body.id}`, { token: alice.token, json: { keyword: "zon", whole_word: true } });
    expect(changed.body).toEqual({ id: added.body.id, keyword: "zon", whole_word: true });
    expect((await api.request("DELETE", `/api/v2/filter_keywords/${added.body.id}`, { token: alice.token })).body).toEqual({});
    expect((await api.request("GET", `/api/v2/filter_keywords/${added.body.id}`, { token: alice.token })).status).toBe(404);

    const post = await api.post(bob, { status: "a post to filter" });
    const status = await api.request<{ id: string; status_id: string }>("POST", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token, json: { status_id: post.id } });
    expect(status.body).toEqual({ id: status.body.id, status_id: post.id });
    expect((await api.request("GET", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token })).body).toEqual([status.body]);
    expect((await api.request("GET", `/api/v2/filter_statuses/${status.body.id}`, { token: alice.token })).body).toEqual(status.body);
    expect((await api.request("DELETE", `/api/v2/filter_statuses/${status.body.id}`, { token: alice.token })).body).toEqual({});
    expect((await api.request("GET", `/api/v2/filter_statuses/${status.body.id}`, { token: alice.token })).status).toBe(404);
    // A post alice may not see is no post to her.
    const secret = await api.post(bob, { status: "@carol only you", visibility: "direct" });
    expect((await api.request("POST", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token, json: { status_id: secret.id } })).status).toBe(404);
  });

  it("401 without a token, 403 without the filters scopes", async () => {
    const filter = await newFilter(alice, { title: "scoped", context: ["home"], keywords_attributes: [{ keyword: "k" }] });
    const readOnly = await api.token(alice, ["read:filters"]);
    const other = await api.token(alice, ["read:lists", "write:lists", "read:statuses"]);
    const k = filter.keywords[0]!.id;
    for (const [method, path] of [["GET", "/api/v2/filters"], ["POST", "/api/v2/filters"], ["GET", `/api/v2/filters/${filter.id}`],
      ["PUT", `/api/v2/filters/${filter.id}`], ["DELETE", `/api/v2/filters/${filter.id}`], ["GET", `/api/v2/filters/${filter.id}/keywords`],
      ["POST", `/api/v2/filters/${filter.id}/keywords`], ["GET", `/api/v2/filter_keywords/${k}`], ["PUT", `/api/v2/filter_keywords/${k}`],
      ["DELETE", `/api/v2/filter_keywords/${k}`], ["GET", `/api/v2/filters/${filter.id}/statuses`], ["POST", `/api/v2/filters/${filter.id}/statuses`],
      ["GET", "/api/v1/filters"], ["POST", "/api/v1/filters"], ["GET", `/api/v1/filters/${k}`], ["PUT", `/api/v1/filters/${k}`],
      ["DELETE", `/api/v1/filters/${k}`]] as const) {
      const json = method === "GET" ? undefined : { title: "x" };
      expect((await api.request(method, path, { json })).status, `${method} ${path}`).toBe(401);
      expect((await api.request(method, path, { token: other, json })).status, `${method} ${path}`).toBe(403);
      if (method !== "GET") expect((await api.request(method, path, { token: readOnly, json })).status, `${method} ${path}`).toBe(403);
    }
    expect((await api.request("GET", `/api/v2/filters/${filter.id}`, { token: readOnly })).status).toBe(200);
  });

  it("422 for a malformed title, context, action, expiry, keyword or id", async () => {
    const filter = await newFilter(alice, { title: "valid", context: ["home"] });
    for (const json of [{ context: ["home"] }, { title: "", context: ["home"] }, { title: "x" }, { title: "x", context: [] },
      { title: "x", context: ["everywhere"] }, { title: "x", context: ["home"], filter_action: "delete" },
      { title: "x", context: ["home"], expires_in: "soon" }, { title: "x", context: ["home"], expires_in: -5 },
      { title: "x", context: ["home"], keywords_attributes: [{ keyword: "" }] },
      { title: "x", context: ["home"], keywords_attributes: "k" }]) {
      expect((await api.request("POST", "/api/v2/filters", { token: alice.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    for (const json of [{ context: ["nowhere"] }, { keywords_attributes: [{ id: "abc", keyword: "k" }] }]) {
      expect((await api.request("PUT", `/api/v2/filters/${filter.id}`, { token: alice.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request("POST", `/api/v2/filters/${filter.id}/keywords`, { token: alice.token, json: { keyword: " " } })).status).toBe(422);
    expect((await api.request("POST", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token, json: { status_id: "abc" } })).status).toBe(422);
    expect((await api.request("POST", "/api/v1/filters", { token: alice.token, json: { phrase: "x", context: ["bad"] } })).status).toBe(422);
    expect((await api.request<MastodonFilter[]>("GET", "/api/v2/filters", { token: alice.token })).body.map((f) => f.title)).not.toContain("x");
  });

  it("404 for someone else's filter, keyword or post, an unknown one and a malformed id", async () => {
    const filter = await newFilter(alice, { title: "hers", context: ["home"], keywords_attributes: [{ keyword: "k" }] });
    const post = await api.post(bob, { status: "filtered by alice" });
    const fs = (await api.request<{ id: string }>("POST", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token, json: { status_id: post.id } })).body;
    const k = filter.keywords[0]!.id;
    for (const [user, f, kw, s] of [[bob, filter.id, k, fs.id], [alice, "900000000000", "900000000000", "900000000000"], [alice, "x", "y", "z"]] as const) {
      for (const [method, path] of [["GET", `/api/v2/filters/${f}`], ["PUT", `/api/v2/filters/${f}`], ["DELETE", `/api/v2/filters/${f}`],
        ["GET", `/api/v2/filters/${f}/keywords`], ["POST", `/api/v2/filters/${f}/keywords`], ["GET", `/api/v2/filters/${f}/statuses`],
        ["POST", `/api/v2/filters/${f}/statuses`], ["GET", `/api/v2/filter_keywords/${kw}`], ["PUT", `/api/v2/filter_keywords/${kw}`],
        ["DELETE", `/api/v2/filter_keywords/${kw}`], ["GET", `/api/v2/filter_statuses/${s}`], ["DELETE", `/api/v2/filter_statuses/${s}`],
        ["GET", `/api/v1/filters/${kw}`], ["PUT", `/api/v1/filters/${kw}`], ["DELETE", `/api/v1/filters/${kw}`]] as const) {
        const json = method === "GET" ? undefined : { keyword: "k", status_id: post.id, title: "t" };
        expect((await api.request(method, path, { token: user.token, json })).status, `${user.actor.username} ${method} ${path}`).toBe(404);
      }
    }
    expect((await api.request<MastodonFilter>("GET", `/api/v2/filters/${filter.id}`, { token: alice.token })).body.keywords).toHaveLength(1);
  });
});

describe("v1 filters", () => {
  it("are the keywords of v2 filters; a new one is a v2 filter with one keyword", async () => {
    const carolToken = carol.token;
    const made = await api.request<Record<string, unknown>>("POST", "/api/v1/filters", { token: carolToken, json: {
      phrase: "Verkiezing", context: ["home", "thread"], whole_word: false, irreversible: true,
    } });
    expect(made.status, made.text).toBe(200);
    expect(made.body).toEqual({ id: made.body.id, phrase: "Verkiezing", context: ["home", "thread"], whole_word: false, expires_at: null, irreversible: true });
    expect((await api.request("GET", "/api/v1/filters", { token: carolToken })).body).toEqual([made.body]);
    const v2 = (await api.request<MastodonFilter[]>("GET", "/api/v2/filters", { token: carolToken })).body;
    expect(v2).toHaveLength(1);
    expect(v2[0]).toMatchObject({ title: "Verkiezing", filter_action: "hide", keywords: [{ id: made.body.id, keyword: "Verkiezing", whole_word: false }] });
    const changed = await api.request("PUT", `/api/v1/filters/${String(made.body.id)}`, { token: carolToken, json: { phrase: "Stemmen", irreversible: false } });
    expect(changed.body).toMatchObject({ id: made.body.id, phrase: "Stemmen", irreversible: false });
    expect((await api.request("GET", `/api/v1/filters/${String(made.body.id)}`, { token: carolToken })).body).toEqual(changed.body);
    expect((await api.request("DELETE", `/api/v1/filters/${String(made.body.id)}`, { token: carolToken })).body).toEqual({});
    expect((await api.request("GET", "/api/v1/filters", { token: carolToken })).body).toEqual([]);
    await api.request("DELETE", `/api/v2/filters/${v2[0]!.id}`, { token: carolToken });
  });
});

describe("filters applied", () => {
  it("hide leaves matching posts out of the filter's contexts only, for its owner only", async () => {
    const filter = await newFilter(alice, { title: "weer", context: ["home"], filter_action: "hide", keywords_attributes: [{ keyword: "regen" }] });
    const wet = await api.post(bob, { status: "Morgen REGEN in het hele land" });
    const cw = await api.post(bob, { status: "nothing here", spoiler_text: "regen" });
    const part = await api.post(bob, { status: "regenboog" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${wet.id}/reblog`, { token: bob.token });
    const aliceHome = ids(await home(alice));
    expect(aliceHome).not.toContain(wet.id);
    expect(aliceHome).not.toContain(cw.id);
    expect(aliceHome).not.toContain(boost.body.id);
    expect(aliceHome).toContain(part.id);
    // Other contexts, other people: untouched.
    expect(ids(await publicTimeline(alice))).toContain(wet.id);
    expect(ids(await home(carol))).toEqual(expect.arrayContaining([wet.id, cw.id, boost.body.id]));
    // The author's own posts are never filtered for her.
    const own = await api.post(alice, { status: "regen bij mij" });
    expect(ids(await home(alice))).toContain(own.id);
    // Expired filters stop applying.
    await api.request("PUT", `/api/v2/filters/${filter.id}`, { token: alice.token, json: { expires_in: 1 } });
    await api.running.deps.db.updateTable("filters").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", filter.id).execute();
    expect(ids(await home(alice))).toContain(wet.id);
    await api.request("DELETE", `/api/v2/filters/${filter.id}`, { token: alice.token });
  });

  it("warn marks matching posts with filtered (keyword and status matches); unmatched posts carry none", async () => {
    const filter = await newFilter(alice, { title: "politiek", context: ["public", "thread", "account"], keywords_attributes: [{ keyword: "motie" }] });
    const matched = await api.post(bob, { status: "De motie is aangenomen" });
    const plain = await api.post(bob, { status: "Niets bijzonders" });
    await api.request("POST", `/api/v2/filters/${filter.id}/statuses`, { token: alice.token, json: { status_id: plain.id } });
    const seen = await publicTimeline(alice);
    const m = seen.find((s) => s.id === matched.id)!;
    expect(m.filtered).toHaveLength(1);
    expect(m.filtered![0]).toMatchObject({ keyword_matches: ["motie"], status_matches: null, filter: { id: filter.id, title: "politiek", filter_action: "warn" } });
    expect(seen.find((s) => s.id === plain.id)!.filtered![0]).toMatchObject({ keyword_matches: null, status_matches: [plain.id] });
    const other = await api.post(bob, { status: "Iets anders" });
    expect((await publicTimeline(alice)).find((s) => s.id === other.id)!.filtered).toBeUndefined();
    // Profiles (account) too; carol has no filter.
    const profile = (await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${bob.id}/statuses`, { token: alice.token })).body;
    expect(profile.find((s) => s.id === matched.id)!.filtered).toHaveLength(1);
    expect((await publicTimeline(carol)).find((s) => s.id === matched.id)!.filtered).toBeUndefined();
    // Home is not among its contexts.
    expect((await home(alice)).find((s) => s.id === matched.id)!.filtered).toBeUndefined();
    await api.request("DELETE", `/api/v2/filters/${filter.id}`, { token: alice.token });
  });

  it("hide in notifications leaves out notifications about matching posts", async () => {
    const filter = await newFilter(alice, { title: "spam", context: ["notifications"], filter_action: "hide", keywords_attributes: [{ keyword: "koop" }] });
    const spam = await api.post(bob, { status: "@alice koop nu" });
    const fine = await api.post(bob, { status: "@alice hallo" });
    const notes = (await api.request<MastodonNotification[]>("GET", "/api/v1/notifications", { token: alice.token })).body;
    const about = notes.flatMap((n) => (n.status ? [n.status.id] : []));
    expect(about).toContain(fine.id);
    expect(about).not.toContain(spam.id);
    expect(ids(await home(alice))).toContain(spam.id);
    await api.request("DELETE", `/api/v2/filters/${filter.id}`, { token: alice.token });
  });
});
