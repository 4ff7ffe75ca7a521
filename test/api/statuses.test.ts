import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonContext } from "../../src/api/mastodon/entities/context.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import type { Resolver } from "../../src/domain/resolver.ts";
import { type Api, failingResolver, nothingResolver, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all([api.user("alice"), api.user("bob"), api.user("carol")]);
});

afterAll(async () => {
  await api?.close();
});

const getStatus = (id: string, token?: string) => api.request<MastodonStatus>("GET", `/api/v1/statuses/${id}`, { token });

describe("POST /api/v1/statuses", () => {
  it("posts a public status and renders a full Mastodon Status", async () => {
    const s = await api.post(alice, { status: "Hello <world> & friends", language: "en" });
    expect(s.id).toMatch(/^\d+$/);
    expect(s.content).toBe("<p>Hello &lt;world&gt; &amp; friends</p>");
    expect(s.visibility).toBe("public");
    expect(s.uri).toMatch(new RegExp(`^${ORIGIN}/notes/`));
    expect(s.url).toBe(s.uri);
    expect(s.account.id).toBe(alice.id);
    expect(s.account.acct).toBe("alice");
    expect(s.account.url).toBe(`${ORIGIN}/@alice`);
    expect(new Date(s.created_at).toISOString()).toBe(s.created_at);
    expect(s).toMatchObject({
      edited_at: null, in_reply_to_id: null, in_reply_to_account_id: null, reblog: null, application: null,
      spoiler_text: "", sensitive: false, language: "en", emojis: [], card: null, poll: null,
      media_attachments: [], mentions: [], tags: [], favourites_count: 0, reblogs_count: 0, replies_count: 0,
      favourited: false, reblogged: false,
    });
    const again = await getStatus(s.id);
    expect(again.status).toBe(200);
    expect(again.body.content).toBe(s.content);
    expect(again.body.favourited).toBeUndefined();
  });

  it("maps each visibility", async () => {
    for (const visibility of ["public", "unlisted", "private", "direct"] as const) {
      const s = await api.post(alice, { status: `scope ${visibility}`, visibility });
      expect(s.visibility).toBe(visibility);
      const row = await api.running.deps.db.selectFrom("posts").select("visibility").where("id", "=", s.id).executeTakeFirstOrThrow();
      expect(row.visibility).toBe(visibility === "private" ? "followers" : visibility);
    }
  });

  it("takes form-encoded bodies", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, form: { status: "from a form", visibility: "unlisted", sensitive: "true", spoiler_text: "cw" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ content: "<p>from a form</p>", visibility: "unlisted", sensitive: true, spoiler_text: "cw" });
  });

  it("a content warning makes the post sensitive unless told otherwise", async () => {
    const cw = await api.post(alice, { status: "spoilers", spoiler_text: "Film ending" });
    expect(cw.spoiler_text).toBe("Film ending");
    expect(cw.sensitive).toBe(true);
    const notSensitive = await api.post(alice, { status: "spoilers", spoiler_text: "meh", sensitive: false });
    expect(notSensitive.sensitive).toBe(false);
  });

  it("replies link to their parent and count in its replies", async () => {
    const parent = await api.post(alice, { status: "parent" });
    const reply = await api.post(bob, { status: "@alice a reply", in_reply_to_id: parent.id });
    expect(reply.in_reply_to_id).toBe(parent.id);
    expect(reply.in_reply_to_account_id).toBe(alice.id);
    expect((await getStatus(parent.id)).body.replies_count).toBe(1);
    const ctx = await api.request<MastodonContext>("GET", `/api/v1/statuses/${reply.id}/context`);
    expect(ctx.body.ancestors.map((s) => s.id)).toEqual([parent.id]);
    const down = await api.request<MastodonContext>("GET", `/api/v1/statuses/${parent.id}/context`);
    expect(down.body.descendants.map((s) => s.id)).toEqual([reply.id]);
    expect(down.body.ancestors).toEqual([]);
  });

  it("a reply to an unknown status is 404", async () => {
    const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "x", in_reply_to_id: "987654321" } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "Record not found" });
  });

  it("mentions of local users become links and mentions", async () => {
    const s = await api.post(alice, { status: "hi @bob and @Carol@plein.test, not @nobody" });
    expect(s.mentions.map((m) => m.acct).sort()).toEqual(["bob", "carol"]);
    expect(s.mentions.find((m) => m.acct === "bob")).toEqual({ id: bob.id, username: "bob", acct: "bob", url: `${ORIGIN}/@bob` });
    expect(s.content).toContain(`<a href="${ORIGIN}/@bob" class="u-url mention">@<span>bob</span></a>`);
    expect(s.content).toContain(`<a href="${ORIGIN}/@carol" class="u-url mention">@<span>carol</span></a>`);
    expect(s.content).toContain("not @nobody");
  });

  it("unresolvable remote mentions stay plain text, whether the resolver finds nothing or fails", async () => {
    for (const resolver of [nothingResolver, failingResolver]) {
      api.setResolver(resolver);
      const s = await api.post(alice, { status: "hello @someone@elsewhere.example" });
      expect(s.mentions).toEqual([]);
      expect(s.content).toBe("<p>hello @someone@elsewhere.example</p>");
    }
    api.setResolver(nothingResolver);
  });

  it("remote mentions resolved through deps.resolver are linked", async () => {
    const remote = await upsertRemoteActor(api.running.deps.db, "plein.test", {
      iri: "https://remote.example/users/dora", type: "Person", username: "dora", displayName: "Dora", summaryHtml: "",
      url: "https://remote.example/@dora", avatarUrl: null, headerUrl: null, inbox: "https://remote.example/users/dora/inbox",
      sharedInbox: null, outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false,
      bot: false, fields: [], followersCount: 3, followingCount: 4, postsCount: 5,
    });
    const asked: string[] = [];
    const resolver: Resolver = {
      ...nothingResolver,
      resolveActor: async (q) => {
        asked.push(q);
        return q.toLowerCase() === "dora@remote.example" ? remote : undefined;
      },
      resolvePost: async () => undefined,
    };
    api.setResolver(resolver);
    try {
      const s = await api.post(alice, { status: "ping @Dora@remote.example", visibility: "direct" });
      expect(asked).toEqual(["Dora@remote.example"]);
      expect(s.mentions).toEqual([{ id: remote.id, username: "dora", acct: "dora@remote.example", url: "https://remote.example/@dora" }]);
      expect(s.content).toContain('<a href="https://remote.example/@dora" class="u-url mention">@<span>dora</span></a>');
      const account = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${remote.id}`);
      expect(account.body).toMatchObject({ acct: "dora@remote.example", followers_count: 3, following_count: 4, statuses_count: 5 });
    } finally {
      api.setResolver(nothingResolver);
    }
  });

  it("hashtags become links and tags", async () => {
    const s = await api.post(alice, { status: "Fediverse #Plein #OpenSource #plein" });
    expect(s.tags).toEqual([
      { name: "opensource", url: `${ORIGIN}/tags/opensource` },
      { name: "plein", url: `${ORIGIN}/tags/plein` },
    ]);
    expect(s.content).toContain(`<a href="${ORIGIN}/tags/plein" class="mention hashtag" rel="tag">#<span>Plein</span></a>`);
  });

  it("links URLs", async () => {
    const s = await api.post(alice, { status: "read https://example.org/page?a=1&b=2." });
    expect(s.content).toBe('<p>read <a href="https://example.org/page?a=1&amp;b=2" target="_blank" rel="nofollow noopener noreferrer">https://example.org/page?a=1&amp;b=2</a>.</p>');
  });

  it("honours Idempotency-Key per account", async () => {
    const headers = { "idempotency-key": "key-1" };
    const first = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: alice.token, headers, json: { status: "once" } });
    const second = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: alice.token, headers, json: { status: "once" } });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const count = await api.running.deps.db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("content_source", "=", "once").executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    const other = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: bob.token, headers, json: { status: "once" } });
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.body.account.id).toBe(bob.id);
  });

  it("a failed request does not use up its Idempotency-Key", async () => {
    const headers = { "idempotency-key": "key-2" };
    const bad = await api.request("POST", "/api/v1/statuses", { token: alice.token, headers, json: { status: "x", in_reply_to_id: "555555555" } });
    expect(bad.status).toBe(404);
    const ok = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: alice.token, headers, json: { status: "second try" } });
    expect(ok.status).toBe(200);
    expect(ok.body.content).toBe("<p>second try</p>");
  });
});

describe("edit and delete", () => {
  it("the author edits; the scope stays; others get 404", async () => {
    const s = await api.post(alice, { status: "first draft", visibility: "unlisted" });
    const edited = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${s.id}`, {
      token: alice.token, json: { status: "second draft #edited @bob", spoiler_text: "now with cw" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.id).toBe(s.id);
    expect(edited.body.content).toContain("second draft");
    expect(edited.body.tags.map((t) => t.name)).toEqual(["edited"]);
    expect(edited.body.mentions.map((m) => m.id)).toEqual([bob.id]);
    expect(edited.body.spoiler_text).toBe("now with cw");
    expect(edited.body.visibility).toBe("unlisted");
    expect(edited.body.edited_at).not.toBeNull();
    const byBob = await api.request("PUT", `/api/v1/statuses/${s.id}`, { token: bob.token, json: { status: "hijack" } });
    expect(byBob.status).toBe(404);
    expect((await getStatus(s.id)).body.content).toContain("second draft");
  });

  it("delete returns the status with its source text; then it is gone", async () => {
    const s = await api.post(alice, { status: "to be deleted #gone" });
    expect((await api.request("DELETE", `/api/v1/statuses/${s.id}`, { token: bob.token })).status).toBe(404);
    const res = await api.request<MastodonStatus>("DELETE", `/api/v1/statuses/${s.id}`, { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(s.id);
    expect(res.body.text).toBe("to be deleted #gone");
    expect(res.body.content).toContain("to be deleted");
    const after = await getStatus(s.id, alice.token);
    expect(after.status).toBe(404);
    expect(after.body).toEqual({ error: "Record not found" });
    expect((await api.request("DELETE", `/api/v1/statuses/${s.id}`, { token: alice.token })).status).toBe(404);
  });
});

describe("favourites and boosts", () => {
  it("counts and flags follow favourites", async () => {
    const s = await api.post(alice, { status: "like me" });
    const fav = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/favourite`, { token: bob.token });
    expect(fav.status).toBe(200);
    expect(fav.body).toMatchObject({ id: s.id, favourited: true, favourites_count: 1 });
    // Idempotent.
    await api.request("POST", `/api/v1/statuses/${s.id}/favourite`, { token: bob.token });
    await api.request("POST", `/api/v1/statuses/${s.id}/favourite`, { token: carol.token });
    expect((await getStatus(s.id, bob.token)).body).toMatchObject({ favourited: true, favourites_count: 2 });
    expect((await getStatus(s.id, alice.token)).body).toMatchObject({ favourited: false, favourites_count: 2 });
    const by = await api.request<MastodonAccount[]>("GET", `/api/v1/statuses/${s.id}/favourited_by`);
    expect(by.body.map((a) => a.id)).toEqual([carol.id, bob.id]);
    const page = await api.request<MastodonAccount[]>("GET", `/api/v1/statuses/${s.id}/favourited_by?limit=1`);
    expect(page.body.map((a) => a.id)).toEqual([carol.id]);
    const next = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const rest = await api.request<MastodonAccount[]>("GET", new URL(next!).pathname + new URL(next!).search);
    expect(rest.body.map((a) => a.id)).toEqual([bob.id]);
    const unfav = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/unfavourite`, { token: bob.token });
    expect(unfav.body).toMatchObject({ favourited: false, favourites_count: 1 });
  });

  it("boosts wrap the original; counts, flags, reblogged_by and unreblog", async () => {
    const s = await api.post(alice, { status: "boost me" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    expect(boost.status).toBe(200);
    expect(boost.body.id).not.toBe(s.id);
    expect(boost.body.account.id).toBe(bob.id);
    expect(boost.body.reblog?.id).toBe(s.id);
    expect(boost.body.reblog?.reblogged).toBe(true);
    expect(boost.body.reblog?.reblogs_count).toBe(1);
    expect(boost.body.content).toBe("");
    const again = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
    expect(again.body.id).toBe(boost.body.id);
    expect((await getStatus(s.id, bob.token)).body).toMatchObject({ reblogged: true, reblogs_count: 1 });
    expect((await getStatus(boost.body.id)).body.reblog?.id).toBe(s.id);
    const by = await api.request<MastodonAccount[]>("GET", `/api/v1/statuses/${s.id}/reblogged_by`);
    expect(by.body.map((a) => a.id)).toEqual([bob.id]);
    // A favourite of the boost lands on the original.
    const fav = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${boost.body.id}/favourite`, { token: carol.token });
    expect(fav.body).toMatchObject({ id: s.id, favourited: true });
    const un = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/unreblog`, { token: bob.token });
    expect(un.body).toMatchObject({ id: s.id, reblogged: false, reblogs_count: 0 });
    expect((await getStatus(boost.body.id)).status).toBe(404);
  });

  it("followers-only and direct posts cannot be boosted", async () => {
    await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    for (const visibility of ["private", "direct"]) {
      const s = await api.post(alice, { status: `closed ${visibility} @bob`, visibility });
      const res = await api.request("POST", `/api/v1/statuses/${s.id}/reblog`, { token: bob.token });
      expect(res.status).toBe(403);
    }
  });

  it("a boost can itself be unlisted or followers-only", async () => {
    const s = await api.post(alice, { status: "quietly boosted" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/reblog`, { token: carol.token, json: { visibility: "private" } });
    expect(boost.body.visibility).toBe("private");
    const bad = await api.request("POST", `/api/v1/statuses/${s.id}/reblog`, { token: carol.token, json: { visibility: "direct" } });
    expect(bad.status).toBe(422);
  });
});
