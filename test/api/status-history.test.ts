/**
 * Edits of statuses keep their earlier versions (Mastodon's
 * /api/v1/statuses/:id/history, oldest first, the current one last), local
 * edits and remote Updates alike; /source gives the text to edit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatusEdit, MastodonStatusSource } from "../../src/api/mastodon/entities/status-edit.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { type RemotePostInput, upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let remoteAuthor: Actor;

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => api.user(n))) as [User, User, User];
  expect((await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token })).status).toBe(200);
  const iri = "https://r1.example/users/remco";
  remoteAuthor = await upsertRemoteActor(api.running.deps.db, "plein.test", {
    iri, type: "Person", username: "remco", displayName: "", summaryHtml: "", url: null, avatarUrl: null,
    headerUrl: null, inbox: `${iri}/inbox`, sharedInbox: null, outbox: null, followers: null, following: null,
    featured: null, manuallyApprovesFollowers: false, bot: false, fields: [], followersCount: null,
    followingCount: null, postsCount: null,
  });
});

afterAll(async () => {
  await api?.close();
});

const history = (id: string, user?: User) =>
  api.request<MastodonStatusEdit[]>("GET", `/api/v1/statuses/${id}/history`, user ? { token: user.token } : {});

describe("status history and source", () => {
  it("a post never edited has one version; each edit adds the one it replaced", async () => {
    const s = await api.post(alice, { status: "Versie een" });
    const first = await history(s.id);
    expect(first.status).toBe(200);
    expect(first.body.map((v) => v.content)).toEqual([s.content]);
    expect(first.body[0]!.created_at).toBe(s.created_at);
    expect(first.body[0]!.account.id).toBe(alice.id);

    const edit1 = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${s.id}`, { token: alice.token, json: { status: "Versie twee", spoiler_text: "let op" } });
    expect(edit1.status).toBe(200);
    const edit2 = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${s.id}`, { token: alice.token, json: { status: "Versie drie" } });
    const versions = (await history(s.id, bob)).body;
    expect(versions.map((v) => [v.content.replace(/<[^>]+>/g, ""), v.spoiler_text])).toEqual([
      ["Versie een", ""], ["Versie twee", "let op"], ["Versie drie", ""],
    ]);
    expect(versions.map((v) => v.created_at)).toEqual([s.created_at, edit1.body.edited_at, edit2.body.edited_at]);
    expect(versions[1]!.sensitive).toBe(true);

    const source = await api.request<MastodonStatusSource>("GET", `/api/v1/statuses/${s.id}/source`, { token: alice.token });
    expect(source.status).toBe(200);
    expect(source.body).toEqual({ id: s.id, text: "Versie drie", spoiler_text: "" });
  });

  it("a remote Update keeps the version it replaces; an overtaken Update keeps nothing", async () => {
    const input: RemotePostInput = {
      iri: "https://r1.example/notes/1", url: null, type: "Note", visibility: "public", inReplyToIri: null,
      name: null, summary: null, sensitive: false, contentHtml: "<p>eerst</p>", language: null,
      publishedAt: new Date(Date.now() - 60_000), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
    };
    const { db } = api.running.deps;
    const post = await upsertRemotePost(db, remoteAuthor, input, "create");
    const editedAt = new Date(Date.now() - 30_000);
    await upsertRemotePost(db, remoteAuthor, { ...input, contentHtml: "<p>daarna</p>", editedAt }, "update");
    await upsertRemotePost(db, remoteAuthor, { ...input, contentHtml: "<p>te laat</p>", editedAt: new Date(editedAt.getTime() - 1000) }, "update");
    const versions = (await history(post.id, carol)).body;
    expect(versions.map((v) => v.content)).toEqual(["<p>eerst</p>", "<p>daarna</p>"]);
    expect(versions[1]!.created_at).toBe(editedAt.toISOString());
  });

  it("the same 404 for missing and invisible posts; 401 and 403 as the scopes say", async () => {
    const hidden = await api.post(alice, { status: "Alleen volgers", visibility: "private" });
    await api.request("PUT", `/api/v1/statuses/${hidden.id}`, { token: alice.token, json: { status: "Alleen volgers, bewerkt" } });
    expect((await history(hidden.id, bob)).body.length).toBe(2);
    for (const user of [carol, undefined]) {
      const res = await history(hidden.id, user);
      expect(res.status).toBe(404);
      expect(res.body).toEqual((await history("900000000000", user)).body);
    }
    expect((await api.request("GET", `/api/v1/statuses/${hidden.id}/source`, { token: carol.token })).status).toBe(404);
    expect((await api.request("GET", "/api/v1/statuses/nope/source", { token: carol.token })).status).toBe(404);
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${(await api.post(alice, { status: "Boost mij" })).id}/reblog`, { token: bob.token });
    expect((await history(boost.body.id, bob)).status).toBe(404);

    expect((await api.request("GET", `/api/v1/statuses/${hidden.id}/source`)).status).toBe(401);
    const other = await api.token(bob, ["read:accounts"]);
    expect((await api.request("GET", `/api/v1/statuses/${hidden.id}/source`, { token: other })).status).toBe(403);
    expect((await api.request("GET", `/api/v1/statuses/${hidden.id}/history`, { token: other })).status).toBe(403);
    expect((await api.request("GET", `/api/v1/statuses/${hidden.id}/history`, { token: "not a token" })).status).toBe(401);
  });

  it("DELETE answers the deleted status with its source text", async () => {
    const s = await api.post(alice, { status: "Weg ermee #weg" });
    const res = await api.request<MastodonStatus>("DELETE", `/api/v1/statuses/${s.id}`, { token: alice.token });
    expect(res.status).toBe(200);
    expect([res.body.id, res.body.text]).toEqual([s.id, "Weg ermee #weg"]);
    expect((await history(s.id, alice)).status).toBe(404);
  });
});
