/**
 * Bookmarks, the favourites list and the blocks list (Mastodon's
 * /api/v1/bookmarks, /favourites, /blocks): each shows only what the
 * account may still see; a closed group's post saved by someone who then
 * left the group leaves their lists.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { decideRequest, join, leave } from "../../src/domain/membership.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let owner: User;
let alice: User;
let bob: User;
let erin: User;
let council: GroupView;

const ABSENT_ID = "900000000000";
const ids = (list: { id: string }[]) => list.map((s) => s.id);

beforeAll(async () => {
  api = await startApi();
  [owner, alice, bob, erin] = await Promise.all(["owner", "alice", "bob", "erin"].map((n) => api.user(n))) as [User, User, User, User];
  council = await createGroup(api.running.deps.db, api.running.config.origin, owner.actor,
    { name: "council", visibility: "closed", joinMode: "approval", modules: defaultModules() });
  for (const u of [alice, erin]) {
    await join(api.running.deps.db, api.running.config.origin, council, u.actor);
    await decideRequest(api.running.deps.db, council, owner.actor, u.actor, true);
  }
});

afterAll(async () => {
  await api?.close();
});

describe("bookmarks", () => {
  it("bookmark marks the status, lists it newest first with Link headers, unbookmark removes it", async () => {
    const first = await api.post(alice, { status: "Eerste" });
    const second = await api.post(alice, { status: "Tweede" });
    for (const s of [second, first]) {
      const res = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/bookmark`, { token: bob.token });
      expect(res.status).toBe(200);
      expect(res.body.bookmarked).toBe(true);
    }
    // Bookmarking twice changes nothing.
    expect((await api.request("POST", `/api/v1/statuses/${first.id}/bookmark`, { token: bob.token })).status).toBe(200);
    expect((await api.request<MastodonStatus>("GET", `/api/v1/statuses/${first.id}`, { token: bob.token })).body.bookmarked).toBe(true);
    expect((await api.request<MastodonStatus>("GET", `/api/v1/statuses/${first.id}`, { token: alice.token })).body.bookmarked).toBe(false);

    const page1 = await api.request<MastodonStatus[]>("GET", "/api/v1/bookmarks?limit=1", { token: bob.token });
    expect(page1.status).toBe(200);
    expect(ids(page1.body)).toEqual([first.id]); // bookmarked last
    expect(page1.body[0]!.bookmarked).toBe(true);
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get("link") ?? "")![1]!;
    const page2 = await api.request<MastodonStatus[]>("GET", new URL(next).pathname + new URL(next).search, { token: bob.token });
    expect(ids(page2.body)).toEqual([second.id]);

    const un = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${first.id}/unbookmark`, { token: bob.token });
    expect(un.status).toBe(200);
    expect(un.body.bookmarked).toBe(false);
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/bookmarks", { token: bob.token })).body)).toEqual([second.id]);
  });

  it("bookmarking a boost bookmarks its original", async () => {
    const original = await api.post(alice, { status: "Geboost" });
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${original.id}/reblog`, { token: owner.token });
    const res = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${boost.body.id}/bookmark`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(original.id);
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/bookmarks", { token: owner.token })).body)).toEqual([original.id]);
  });

  it("a closed group's post leaves the lists of someone who left the group, and cannot be bookmarked by outsiders", async () => {
    const closed = await api.post(alice, { status: "@council Vertrouwelijk" });
    expect(closed.visibility).toBe("private");
    for (const path of ["bookmark", "favourite"]) {
      expect((await api.request("POST", `/api/v1/statuses/${closed.id}/${path}`, { token: erin.token })).status).toBe(200);
    }
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/bookmarks", { token: erin.token })).body)).toEqual([closed.id]);
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/favourites", { token: erin.token })).body)).toEqual([closed.id]);
    await leave(api.running.deps.db, council, erin.actor);
    expect((await api.request<MastodonStatus[]>("GET", "/api/v1/bookmarks", { token: erin.token })).body).toEqual([]);
    expect((await api.request<MastodonStatus[]>("GET", "/api/v1/favourites", { token: erin.token })).body).toEqual([]);
    // Absent and forbidden are one 404; removing her own bookmark still works, and answers the same 404.
    const missing = await api.request("POST", `/api/v1/statuses/${ABSENT_ID}/bookmark`, { token: bob.token });
    const hidden = await api.request("POST", `/api/v1/statuses/${closed.id}/bookmark`, { token: bob.token });
    expect([missing.status, hidden.status]).toEqual([404, 404]);
    expect(hidden.body).toEqual(missing.body);
    expect((await api.request("POST", `/api/v1/statuses/${closed.id}/unbookmark`, { token: erin.token })).status).toBe(404);
    expect(await api.running.deps.db.selectFrom("bookmarks").select("id").where("actor_id", "=", erin.id).execute()).toEqual([]);
    expect((await api.request("POST", `/api/v1/statuses/${ABSENT_ID}/unbookmark`, { token: bob.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/statuses/not-an-id/bookmark", { token: bob.token })).status).toBe(404);
  });

  it("needs a token with the bookmarks scopes, and well-formed paging", async () => {
    const s = await api.post(alice, { status: "Scopes" });
    expect((await api.request("GET", "/api/v1/bookmarks")).status).toBe(401);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/bookmark`)).status).toBe(401);
    const readOnly = await api.token(bob, ["read"]);
    const otherScope = await api.token(bob, ["read:statuses", "write:statuses"]);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/bookmark`, { token: readOnly })).status).toBe(403);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/unbookmark`, { token: otherScope })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/bookmarks", { token: otherScope })).status).toBe(403);
    const granular = await api.token(bob, ["read:bookmarks", "write:bookmarks"]);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/bookmark`, { token: granular })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/bookmarks", { token: granular })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/bookmarks?max_id=abc", { token: bob.token })).status).toBe(422);
    expect((await api.request("GET", "/api/v1/bookmarks?limit=x", { token: bob.token })).status).toBe(422);
  });
});

describe("favourites", () => {
  it("lists what the account favourited, newest favourite first, with Link headers", async () => {
    const a = await api.post(owner, { status: "Eén" });
    const b = await api.post(owner, { status: "Twee" });
    for (const s of [b, a]) await api.request("POST", `/api/v1/statuses/${s.id}/favourite`, { token: bob.token });
    const res = await api.request<MastodonStatus[]>("GET", "/api/v1/favourites", { token: bob.token });
    expect(res.status).toBe(200);
    expect(ids(res.body).slice(0, 2)).toEqual([a.id, b.id]);
    expect(res.body[0]!.favourited).toBe(true);
    expect(res.headers.get("link")).toContain("max_id=");
    await api.request("POST", `/api/v1/statuses/${a.id}/unfavourite`, { token: bob.token });
    expect(ids((await api.request<MastodonStatus[]>("GET", "/api/v1/favourites", { token: bob.token })).body)).not.toContain(a.id);
  });

  it("401 without a token, 403 without read:favourites, 422 for a bad page", async () => {
    expect((await api.request("GET", "/api/v1/favourites")).status).toBe(401);
    expect((await api.request("GET", "/api/v1/favourites", { token: await api.token(bob, ["read:bookmarks"]) })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/favourites", { token: await api.token(bob, ["read:favourites"]) })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/favourites?since_id=-1", { token: bob.token })).status).toBe(422);
  });
});

describe("blocks", () => {
  it("lists the accounts blocked, newest first, with Link headers", async () => {
    const [x, y] = await Promise.all([api.user("blockx"), api.user("blocky")]);
    for (const u of [x, y]) expect((await api.request("POST", `/api/v1/accounts/${u.id}/block`, { token: owner.token })).status).toBe(200);
    const page = await api.request<MastodonAccount[]>("GET", "/api/v1/blocks?limit=1", { token: owner.token });
    expect(page.status).toBe(200);
    expect(ids(page.body)).toEqual([y.id]);
    const next = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")![1]!;
    expect(ids((await api.request<MastodonAccount[]>("GET", new URL(next).pathname + new URL(next).search, { token: owner.token })).body)).toEqual([x.id]);
    await api.request("POST", `/api/v1/accounts/${y.id}/unblock`, { token: owner.token });
    expect(ids((await api.request<MastodonAccount[]>("GET", "/api/v1/blocks", { token: owner.token })).body)).toEqual([x.id]);
    // Only one's own blocks.
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/blocks", { token: bob.token })).body).toEqual([]);
  });

  it("401 without a token, 403 without read:blocks (follow covers it), 422 for a bad page", async () => {
    expect((await api.request("GET", "/api/v1/blocks")).status).toBe(401);
    expect((await api.request("GET", "/api/v1/blocks", { token: await api.token(bob, ["read:statuses"]) })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/blocks", { token: await api.token(bob, ["follow"]) })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/blocks?min_id=x", { token: bob.token })).status).toBe(422);
  });
});
