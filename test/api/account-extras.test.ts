/**
 * Accounts and follows beyond the basics, as Mastodon apps use them: familiar
 * followers (hidden networks stay hidden), private notes, featured hashtags
 * (none), account search, and the follow options reblogs, notify and
 * languages (following again changes them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { markFollowAccepted } from "../../src/domain/follows.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { type RemoteActorInput, upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type Api, nothingResolver, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let rita: Actor;

const ids = (list: { id: string }[]) => list.map((s) => s.id);

async function follow(user: User, target: { id: string }, json?: Record<string, unknown>) {
  const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${target.id}/follow`, { token: user.token, ...(json ? { json } : {}) });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function remoteActor(username: string): RemoteActorInput {
  return {
    iri: `https://remote.example/users/${username}`, type: "Person", username, displayName: `Remote ${username}`, summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null, inbox: "https://remote.example/inbox", sharedInbox: null, outbox: null, followers: null,
    following: null, featured: null, manuallyApprovesFollowers: false, bot: false, fields: [],
    followersCount: null, followingCount: null, postsCount: null,
  };
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol, dave] = await Promise.all(["alice", "bob", "carol", "dave"].map((n) => api.user(n))) as [User, User, User, User];
  rita = await upsertRemoteActor(api.running.deps.db, "plein.test", remoteActor("rita"));
});

afterAll(async () => {
  await api?.close();
});

describe("familiar followers", () => {
  it("are the accounts one follows that follow each account asked about; hidden networks stay hidden", async () => {
    const erin = await api.user("erin");
    await follow(alice, bob);
    await follow(alice, carol);
    await follow(bob, dave);
    await follow(carol, dave);
    await follow(bob, erin);
    const res = await api.request<Array<{ id: string; accounts: MastodonAccount[] }>>("GET",
      `/api/v1/accounts/familiar_followers?id[]=${dave.id}&id[]=${erin.id}&id[]=${carol.id}&id[]=900000000000&id[]=abc`, { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body.map((e) => e.id)).toEqual([dave.id, erin.id, carol.id]);
    expect(ids(res.body[0]!.accounts).sort()).toEqual([bob.id, carol.id].sort());
    expect(ids(res.body[1]!.accounts)).toEqual([bob.id]);
    expect(res.body[2]!.accounts).toEqual([]);

    // carol hides whom she follows: she is no longer shown as following dave.
    expect((await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: carol.token, json: { hide_collections: true } })).status).toBe(200);
    const hiddenFollower = await api.request<Array<{ id: string; accounts: MastodonAccount[] }>>("GET",
      `/api/v1/accounts/familiar_followers?id=${dave.id}`, { token: alice.token });
    expect(ids(hiddenFollower.body[0]!.accounts)).toEqual([bob.id]);
    // erin hides her followers: nobody learns who follows her.
    expect((await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: erin.token, json: { hide_collections: true } })).status).toBe(200);
    const hiddenTarget = await api.request<Array<{ id: string; accounts: MastodonAccount[] }>>("GET",
      `/api/v1/accounts/familiar_followers?id[]=${erin.id}`, { token: alice.token });
    expect(hiddenTarget.body).toEqual([{ id: erin.id, accounts: [] }]);
    await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: carol.token, json: { hide_collections: false } });
  });

  it("401 without a token, 403 without a follows scope", async () => {
    expect((await api.request("GET", `/api/v1/accounts/familiar_followers?id=${bob.id}`)).status).toBe(401);
    expect((await api.request("GET", `/api/v1/accounts/familiar_followers?id=${bob.id}`, { token: await api.token(alice, ["read:statuses"]) })).status).toBe(403);
  });
});

describe("private notes", () => {
  it("are the author's own, shown as note in the relationship; empty removes", async () => {
    const set = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${dave.id}/note`, { token: alice.token, json: { comment: "Met at the conference" } });
    expect([set.status, set.body.id, set.body.note]).toEqual([200, dave.id, "Met at the conference"]);
    const rel = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${dave.id}`, { token: alice.token });
    expect(rel.body[0]!.note).toBe("Met at the conference");
    expect((await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${dave.id}`, { token: bob.token })).body[0]!.note).toBe("");
    expect((await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${dave.id}/note`, { token: alice.token, form: { comment: "" } })).body.note).toBe("");
    expect((await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${dave.id}`, { token: alice.token })).body[0]!.note).toBe("");
  });

  it("401, 403, 404 for an unknown account, 422 for a note too long or not text", async () => {
    expect((await api.request("POST", `/api/v1/accounts/${dave.id}/note`, { json: { comment: "x" } })).status).toBe(401);
    expect((await api.request("POST", `/api/v1/accounts/${dave.id}/note`, { token: await api.token(alice, ["read"]), json: { comment: "x" } })).status).toBe(403);
    expect((await api.request("POST", "/api/v1/accounts/900000000000/note", { token: alice.token, json: { comment: "x" } })).status).toBe(404);
    expect((await api.request("POST", `/api/v1/accounts/${dave.id}/note`, { token: alice.token, json: { comment: "x".repeat(2001) } })).status).toBe(422);
    expect((await api.request("POST", `/api/v1/accounts/${dave.id}/note`, { token: alice.token, json: { comment: ["x"] } })).status).toBe(422);
  });
});

describe("featured hashtags", () => {
  it("are none, in the right shapes and scopes", async () => {
    expect((await api.request("GET", `/api/v1/accounts/${bob.id}/featured_tags`)).body).toEqual([]);
    expect((await api.request("GET", "/api/v1/accounts/900000000000/featured_tags")).status).toBe(404);
    for (const path of ["/api/v1/featured_tags", "/api/v1/featured_tags/suggestions"]) {
      expect((await api.request("GET", path, { token: alice.token })).body).toEqual([]);
      expect((await api.request("GET", path)).status).toBe(401);
      expect((await api.request("GET", path, { token: await api.token(alice, ["read:statuses"]) })).status).toBe(403);
    }
  });
});

describe("account search", () => {
  it("finds local and known remote accounts by name prefix, only followed ones with following=true", async () => {
    const all = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=r", { token: alice.token });
    expect(all.status).toBe(200);
    expect(ids(all.body)).toContain(rita.id);
    const byDisplayName = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=Remote%20r", { token: alice.token });
    expect(ids(byDisplayName.body)).toEqual([rita.id]);
    const c = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=c&following=true", { token: alice.token });
    expect(ids(c.body)).toEqual([carol.id]);
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=d&following=true", { token: alice.token })).body).toEqual([]);
    expect(ids((await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=d", { token: alice.token })).body)).toEqual([dave.id]);
    const handle = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=rita@remote.example&resolve=true", { token: alice.token });
    expect(ids(handle.body)).toEqual([rita.id]);
    const paged = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=&limit=1", { token: alice.token });
    expect(paged.status).toBe(422);
  });

  it("resolve=true looks a handle up through the resolver", async () => {
    const db = api.running.deps.db;
    let asked: string | undefined;
    api.setResolver({
      ...nothingResolver,
      resolveActor: async (handle) => {
        asked = handle;
        return upsertRemoteActor(db, "plein.test", remoteActor("sam"));
      },
    });
    try {
      const without = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=sam@remote.example", { token: alice.token });
      expect(without.body).toEqual([]);
      expect(asked).toBeUndefined();
      const found = await api.request<MastodonAccount[]>("GET", "/api/v1/accounts/search?q=@sam@remote.example&resolve=true", { token: alice.token });
      expect(asked).toBe("sam@remote.example");
      expect(found.body.map((a) => a.acct)).toEqual(["sam@remote.example"]);
    } finally {
      api.setResolver(nothingResolver);
    }
  });

  it("401, 403, 422 for malformed limit or offset", async () => {
    expect((await api.request("GET", "/api/v1/accounts/search?q=a")).status).toBe(401);
    expect((await api.request("GET", "/api/v1/accounts/search?q=a", { token: await api.token(alice, ["read:statuses"]) })).status).toBe(403);
    for (const q of ["?q=a&limit=x", "?q=a&offset=-1", "?q=a&following=maybe", "?limit=2"]) {
      expect((await api.request("GET", `/api/v1/accounts/search${q}`, { token: alice.token })).status, q).toBe(422);
    }
  });
});

describe("follow options", () => {
  it("reblogs=false keeps the followee's boosts out of home; following again changes it; the relationship shows it", async () => {
    const gina = await api.user("gina");
    const hank = await api.user("hank");
    const rel = await follow(alice, gina, { reblogs: false });
    expect([rel.following, rel.showing_reblogs, rel.notifying, rel.languages]).toEqual([true, false, false, null]);
    const original = await api.post(hank, { status: "worth a boost" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${original.id}/reblog`, { token: gina.token });
    const own = await api.post(gina, { status: "gina's own" });
    const home = async () => ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: alice.token })).body);
    expect(await home()).toContain(own.id);
    expect(await home()).not.toContain(boost.body.id);
    const again = await follow(alice, gina, { reblogs: true, languages: ["nl", "en"] });
    expect([again.showing_reblogs, again.languages]).toEqual([true, ["nl", "en"]]);
    expect(await home()).toContain(boost.body.id);
    // Only the languages asked for (and posts of unknown language).
    const dutch = await api.post(gina, { status: "Goedemorgen", language: "nl" });
    const german = await api.post(gina, { status: "Guten Morgen", language: "de" });
    expect(await home()).toEqual(expect.arrayContaining([dutch.id, own.id]));
    expect(await home()).not.toContain(german.id);
    expect((await follow(alice, gina, { languages: [] })).languages).toBeNull();
    expect(await home()).toContain(german.id);
    // Unchanged when not given.
    expect((await follow(alice, gina)).showing_reblogs).toBe(true);
  });

  it("notify=true: a status notification for each new post of theirs, local and remote, that one may see", async () => {
    const ivan = await api.user("ivan");
    const rel = await follow(alice, ivan, { notify: true });
    expect(rel.notifying).toBe(true);
    const post = await api.post(ivan, { status: "news" });
    const direct = await api.post(ivan, { status: "@bob just you", visibility: "direct" });
    const statusNotes = async () => (await api.request<MastodonNotification[]>("GET", "/api/v1/notifications?types[]=status", { token: alice.token })).body
      .map((n) => [n.account.id, n.status?.id]);
    expect(await statusNotes()).toContainEqual([ivan.id, post.id]);
    expect((await statusNotes()).map(([, id]) => id)).not.toContain(direct.id);
    // Followers who did not ask hear nothing.
    await follow(bob, ivan);
    const later = await api.post(ivan, { status: "more news" });
    expect((await api.request<MastodonNotification[]>("GET", "/api/v1/notifications?types[]=status", { token: bob.token })).body.map((n) => n.status?.id)).not.toContain(later.id);
    // Turned off by following again.
    expect((await follow(alice, ivan, { notify: false })).notifying).toBe(false);
    const quiet = await api.post(ivan, { status: "quiet news" });
    expect((await statusNotes()).map(([, id]) => id)).not.toContain(quiet.id);

    // A remote account's posts, once the follow is accepted.
    expect((await follow(alice, rita, { notify: true })).requested).toBe(true);
    await markFollowAccepted(api.running.deps.db, alice.actor, rita);
    const remote = await upsertRemotePost(api.running.deps.db, rita, {
      iri: "https://remote.example/notes/7", url: null, type: "Note", visibility: "public",
      inReplyToIri: null, name: null, summary: null, sensitive: false, contentHtml: "<p>remote news</p>", language: null,
      publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
    }, "create");
    expect(await statusNotes()).toContainEqual([rita.id, remote.id]);
  });

  it("422 for malformed options", async () => {
    for (const json of [{ reblogs: "sometimes" }, { notify: "x" }, { languages: ["dutch"] }, { languages: [1] }]) {
      expect((await api.request("POST", `/api/v1/accounts/${dave.id}/follow`, { token: carol.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${dave.id}`, { token: carol.token })).body[0]!.following).toBe(true);
  });
});
