/**
 * Issue 8: nothing of a closed group shows on any surface to someone who is
 * not a member, counts included. alice and bob are members of the closed
 * group "council"; carol follows alice but is not a member; dave is mentioned
 * in a council post but is not a member; erin was a member and left. Every
 * surface answers carol, dave, erin and anonymous as if the group's posts did
 * not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonContext } from "../../src/api/mastodon/entities/context.ts";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonSearch } from "../../src/api/mastodon/entities/search.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { decideRequest, join, leave } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let owner: User;
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let erin: User;
let council: GroupView;
let open: MastodonStatus;
let thread: MastodonStatus;
let reply: MastodonStatus;

const ABSENT_ID = "900000000000";
const ids = (list: { id: string }[]) => list.map((s) => s.id);
const get = <T>(path: string, user?: User) => api.request<T>("GET", path, user ? { token: user.token } : {});

async function member(user: User): Promise<void> {
  const { db } = api.running.deps;
  await join(db, api.running.config.origin, council, user.actor);
  await decideRequest(db, council, owner.actor, user.actor, true);
}

beforeAll(async () => {
  api = await startApi();
  [owner, alice, bob, carol, dave, erin] = await Promise.all(
    (["owner", "alice", "bob", "carol", "dave", "erin"] as const).map((name) => api.user(name))) as [User, User, User, User, User, User];
  council = await createGroup(api.running.deps.db, api.running.config.origin, owner.actor,
    { name: "council", visibility: "closed", joinMode: "approval", modules: defaultModules() });
  for (const u of [alice, bob, erin]) await member(u);
  expect((await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: carol.token })).status).toBe(200);

  open = await api.post(alice, { status: "Open post about #begroting" });
  thread = await api.post(alice, { status: "@council @dave Vertrouwelijk: #begroting 2027 concept" });
  expect(thread.visibility).toBe("private");
  reply = await api.post(bob, { status: "Eens, met een kanttekening", in_reply_to_id: thread.id });
  for (const u of [bob, erin]) {
    expect((await api.request("POST", `/api/v1/statuses/${thread.id}/favourite`, { token: u.token })).status).toBe(200);
  }
  await leave(api.running.deps.db, council, erin.actor);
});

afterAll(async () => {
  await api?.close();
});

const outsiders = () => [carol, dave, erin, undefined] as const;
const label = (u: User | undefined) => u?.actor.username ?? "anonymous";

describe("a closed group's posts, to those who are not members", () => {
  it("the members see them", async () => {
    for (const u of [owner, alice, bob]) {
      expect((await get<MastodonStatus>(`/api/v1/statuses/${thread.id}`, u)).status, label(u)).toBe(200);
      const context = await get<MastodonContext>(`/api/v1/statuses/${thread.id}/context`, u);
      expect(ids(context.body.descendants), label(u)).toEqual([reply.id]);
    }
    // erin's like, given while she was a member, stays (as in Mastodon): only those who may see the post see it.
    expect((await get<MastodonStatus>(`/api/v1/statuses/${thread.id}`, alice)).body.favourites_count).toBe(2);
  });

  it("the status, its context, likers and boosters answer the same 404 as a missing status", async () => {
    const missing = await get(`/api/v1/statuses/${ABSENT_ID}`, carol);
    expect(missing.status).toBe(404);
    for (const u of outsiders()) {
      for (const post of [thread, reply]) {
        for (const sub of ["", "/context", "/favourited_by", "/reblogged_by"]) {
          const res = await get(`/api/v1/statuses/${post.id}${sub}`, u);
          expect(res.status, `${label(u)} ${sub}`).toBe(404);
          expect(res.text, `${label(u)} ${sub}`).toBe(missing.text);
        }
      }
    }
  });

  it("favouriting, boosting or replying is the same 404, and changes nothing", async () => {
    for (const u of [carol, dave, erin]) {
      for (const action of ["favourite", "unfavourite", "reblog", "unreblog"]) {
        expect((await api.request("POST", `/api/v1/statuses/${thread.id}/${action}`, { token: u.token })).status, `${label(u)} ${action}`).toBe(404);
      }
      const res = await api.request("POST", "/api/v1/statuses", { token: u.token, json: { status: "ik ook", in_reply_to_id: thread.id } });
      expect(res.status).toBe(404);
    }
    // Members cannot boost it out of the group either (Mastodon: 403 for a status that may not be boosted).
    expect((await api.request("POST", `/api/v1/statuses/${thread.id}/reblog`, { token: bob.token })).status).toBe(403);
    const counted = await get<MastodonStatus>(`/api/v1/statuses/${thread.id}`, alice);
    expect(counted.body).toMatchObject({ favourites_count: 2, reblogs_count: 0, replies_count: 1 });
  });

  it("no thread context shows them: a public post's replies stay hidden", async () => {
    const asCarol = await get<MastodonContext>(`/api/v1/statuses/${open.id}/context`, carol);
    expect(asCarol.body).toEqual({ ancestors: [], descendants: [] });
  });

  it("the author's statuses and counts leave them out", async () => {
    for (const u of outsiders()) {
      const statuses = await get<MastodonStatus[]>(`/api/v1/accounts/${alice.id}/statuses`, u);
      expect(ids(statuses.body), label(u)).toEqual([open.id]);
      const account = await get<MastodonAccount>(`/api/v1/accounts/${alice.id}`, u);
      expect(account.body.statuses_count, label(u)).toBe(1);
      const bobs = await get<MastodonStatus[]>(`/api/v1/accounts/${bob.id}/statuses`, u);
      expect(bobs.body, label(u)).toEqual([]);
      expect((await get<MastodonAccount>(`/api/v1/accounts/${bob.id}`, u)).body.statuses_count, label(u)).toBe(0);
    }
    expect((await get<MastodonAccount>(`/api/v1/accounts/${alice.id}`, bob)).body.statuses_count).toBe(2);
  });

  it("the group's own statuses, count and members are closed", async () => {
    for (const u of outsiders()) {
      expect((await get<MastodonStatus[]>(`/api/v1/accounts/${council.actor.id}/statuses`, u)).body, label(u)).toEqual([]);
      const group = await get<MastodonAccount>(`/api/v1/accounts/${council.actor.id}`, u);
      expect(group.body.statuses_count, label(u)).toBe(0);
      expect((await get<MastodonAccount[]>(`/api/v1/accounts/${council.actor.id}/followers`, u)).body, label(u)).toEqual([]);
    }
    expect(ids((await get<MastodonStatus[]>(`/api/v1/accounts/${council.actor.id}/statuses`, bob)).body)).toEqual([reply.id, thread.id]);
  });

  it("home and public timelines leave them out (carol follows the author)", async () => {
    for (const u of [carol, dave, erin]) {
      const home = await get<MastodonStatus[]>("/api/v1/timelines/home?limit=40", u);
      expect(ids(home.body), label(u)).not.toContain(thread.id);
      expect(ids(home.body), label(u)).not.toContain(reply.id);
    }
    expect(ids((await get<MastodonStatus[]>("/api/v1/timelines/home", carol)).body)).toEqual([open.id]);
    for (const u of outsiders()) {
      for (const query of ["", "?local=true", "?remote=true"]) {
        const pub = await get<MastodonStatus[]>(`/api/v1/timelines/public${query}`, u);
        expect(ids(pub.body), `${label(u)} ${query}`).toEqual(query === "?remote=true" ? [] : [open.id]);
      }
    }
    expect(ids((await get<MastodonStatus[]>("/api/v1/timelines/home", bob)).body)).toEqual(expect.arrayContaining([thread.id, reply.id]));
  });

  it("search finds neither their text, nor their URL, nor a hashtag only they use", async () => {
    const member = await api.post(alice, { status: "@council alleen #geheimagenda hier" });
    for (const u of outsiders()) {
      for (const q of [thread.uri, thread.url ?? thread.uri, reply.uri, "#geheimagenda", "geheimagenda"]) {
        const res = await get<MastodonSearch>(`/api/v2/search?q=${encodeURIComponent(q)}&resolve=true`, u);
        expect(res.status, `${label(u)} ${q}`).toBeLessThan(500);
        if (res.status !== 200) continue; // anonymous resolve may be refused outright
        expect(ids(res.body.statuses), `${label(u)} ${q}`).toEqual([]);
        expect(res.body.hashtags.map((t) => t.name), `${label(u)} ${q}`).not.toContain("geheimagenda");
      }
    }
    const forBob = await get<MastodonSearch>(`/api/v2/search?q=${encodeURIComponent(member.uri)}`, bob);
    expect(ids(forBob.body.statuses)).toEqual([member.id]);
  });

  it("a mentioned non-member is not notified, and members' notifications stay with members", async () => {
    const forDave = await get<MastodonNotification[]>("/api/v1/notifications", dave);
    expect(forDave.body.map((n) => n.status?.id)).not.toContain(thread.id);
    expect(forDave.body).toEqual([]);
    // Members are notified as usual: alice of bob's like and reply.
    const forAlice = await get<MastodonNotification[]>("/api/v1/notifications", alice);
    const aboutThread = forAlice.body.filter((n) => n.status?.id === thread.id || n.status?.id === reply.id);
    expect(aboutThread.filter((n) => n.account.id === bob.id).map((n) => n.type).sort()).toEqual(["favourite", "mention"]);
  });

  it("Plein's API: the post and the group's posts are a 404 and an empty list", async () => {
    const missing = await get(`/api/plein/v1/posts/${ABSENT_ID}`, carol);
    for (const u of outsiders()) {
      const res = await get(`/api/plein/v1/posts/${thread.id}`, u);
      expect(res.status, label(u)).toBe(404);
      expect(res.text).toBe(missing.text);
      expect((await get<unknown[]>(`/api/plein/v1/groups/${council.actor.id}/posts`, u)).body, label(u)).toEqual([]);
    }
  });

  it("web pages and ActivityPub documents: the same 404 as a missing one, for anyone unsigned", async () => {
    const origin = api.running.config.origin;
    const page = (path: string, accept?: string) => api.running.app.request(new URL(path, origin).href, accept ? { headers: { accept } } : {});
    const missingPage = await page(`/@alice/${ABSENT_ID}`);
    expect(missingPage.status).toBe(404);
    const shown = await page(`/@alice/${thread.id}`);
    expect(shown.status).toBe(404);
    expect(await shown.text()).toBe(await missingPage.text());
    expect((await page(`/@alice/${open.id}`)).status).toBe(200);

    const AP = "application/activity+json";
    const missingObject = await page(thread.uri.replace(/[^/]+$/, "00000000-0000-4000-8000-000000000000"), AP);
    expect(missingObject.status).toBe(404);
    for (const post of [thread, reply]) {
      const res = await page(post.uri, AP);
      expect(res.status, post.uri).toBe(404);
      expect(await res.text()).toBe(await missingObject.clone().text());
      expect((await page(post.uri, "text/html")).status, post.uri).toBe(404);
    }
    const outbox = await (await page(`/users/alice/outbox?cursor=`, AP)).text();
    expect(outbox).toContain(open.uri);
    expect(outbox).not.toContain(thread.uri);
    const groupOutbox = await page(`/users/council/outbox?cursor=`, AP);
    expect(await groupOutbox.text()).not.toContain(thread.uri);
  });
});

describe("instance-only posts (Pleio's 'logged in')", () => {
  it("every signed-in account of this instance sees them; anonymous callers, pages and ActivityPub get the missing 404", async () => {
    const inside = await createLocalPost(api.running.deps.db, api.running.config.origin, alice.actor, {
      type: "Note", contentHtml: "<p>alleen voor collega's</p>", visibility: "instance",
    });
    for (const u of [carol, dave, bob]) {
      const res = await get<MastodonStatus>(`/api/v1/statuses/${inside.id}`, u);
      expect(res.status, label(u)).toBe(200);
      expect(res.body.visibility).toBe("private");
      expect(ids((await get<MastodonStatus[]>(`/api/v1/accounts/${alice.id}/statuses`, u)).body), label(u)).toContain(inside.id);
    }
    const missing = await get(`/api/v1/statuses/${ABSENT_ID}`);
    const anon = await get(`/api/v1/statuses/${inside.id}`);
    expect(anon.status).toBe(404);
    expect(anon.text).toBe(missing.text);
    expect(ids((await get<MastodonStatus[]>(`/api/v1/accounts/${alice.id}/statuses`)).body)).not.toContain(inside.id);
    for (const u of [carol, undefined]) {
      expect(ids((await get<MastodonStatus[]>("/api/v1/timelines/public", u)).body), label(u)).not.toContain(inside.id);
    }
    const origin = api.running.config.origin;
    expect((await api.running.app.request(new URL(`/@alice/${inside.id}`, origin).href)).status).toBe(404);
    const object = await api.running.app.request(inside.iri, { headers: { accept: "application/activity+json" } });
    expect(object.status).toBe(404);
    const outbox = await (await api.running.app.request(new URL("/users/alice/outbox?cursor=", origin).href, { headers: { accept: "application/activity+json" } })).text();
    expect(outbox).not.toContain(inside.iri);
  });
});
