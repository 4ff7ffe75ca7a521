/**
 * Pinned posts (Mastodon's /api/v1/statuses/:id/pin, /unpin, an account's
 * statuses with pinned=true) and the actor's ActivityPub `featured`
 * collection: own public, unlisted and followers-only posts, at most five,
 * each shown only to whoever may see it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

const ids = (list: { id: string }[]) => list.map((s) => s.id);
const pinned = async (of: User, by?: User) =>
  ids((await api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${of.id}/statuses?pinned=true`, by ? { token: by.token } : {})).body);

async function featured(username: string): Promise<{ status: number; body: { totalItems?: number; orderedItems?: Array<{ id: string }> } }> {
  const res = await api.running.app.request(new URL(`/users/${username}/featured`, ORIGIN).href, { headers: { accept: "application/activity+json" } });
  return { status: res.status, body: res.status === 200 ? await res.json() as { totalItems?: number; orderedItems?: Array<{ id: string }> } : {} };
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => api.user(n))) as [User, User, User];
  expect((await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token })).status).toBe(200);
});

afterAll(async () => {
  await api?.close();
});

describe("pinning posts", () => {
  it("pins own posts, shows them as pinned to whoever may see them, and in the featured collection", async () => {
    const open = await api.post(alice, { status: "Openbaar vastgezet" });
    const followers = await api.post(alice, { status: "Voor volgers", visibility: "private" });
    const plain = await api.post(alice, { status: "Niet vastgezet" });
    for (const s of [open, followers]) {
      const res = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${s.id}/pin`, { token: alice.token });
      expect(res.status).toBe(200);
      expect(res.body.pinned).toBe(true);
    }
    // Pinning again changes nothing.
    expect((await api.request("POST", `/api/v1/statuses/${open.id}/pin`, { token: alice.token })).status).toBe(200);
    expect((await api.request<MastodonStatus>("GET", `/api/v1/statuses/${plain.id}`, { token: alice.token })).body.pinned).toBe(false);

    expect(await pinned(alice, alice)).toEqual([followers.id, open.id]);
    expect(await pinned(alice, bob)).toEqual([followers.id, open.id]); // a follower
    expect(await pinned(alice, carol)).toEqual([open.id]);
    expect(await pinned(alice)).toEqual([open.id]);

    const collection = await featured("alice");
    expect(collection.status).toBe(200);
    expect(collection.body.totalItems).toBe(1);
    expect(collection.body.orderedItems?.map((o) => o.id)).toEqual([open.uri]);

    const un = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${open.id}/unpin`, { token: alice.token });
    expect([un.status, un.body.pinned]).toEqual([200, false]);
    expect(await pinned(alice, bob)).toEqual([followers.id]);
    expect((await featured("alice")).body.totalItems).toBe(0);
    await api.request("POST", `/api/v1/statuses/${followers.id}/unpin`, { token: alice.token });
  });

  it("refuses others' posts, boosts, direct posts and a sixth pin with 422; invisible posts are 404", async () => {
    const mine = await api.post(carol, { status: "Van Carol" });
    const direct = await api.post(carol, { status: "@alice alleen voor jou", visibility: "direct" });
    expect((await api.request("POST", `/api/v1/statuses/${mine.id}/pin`, { token: alice.token })).status).toBe(422);
    expect((await api.request("POST", `/api/v1/statuses/${direct.id}/pin`, { token: carol.token })).status).toBe(422);
    const boost = await api.request<MastodonStatus>("POST", `/api/v1/statuses/${mine.id}/reblog`, { token: carol.token });
    expect((await api.request("POST", `/api/v1/statuses/${boost.body.id}/pin`, { token: carol.token })).status).toBe(422);
    expect((await api.request("POST", `/api/v1/statuses/${direct.id}/pin`, { token: bob.token })).status).toBe(404);
    expect((await api.request("POST", `/api/v1/statuses/${direct.id}/unpin`, { token: bob.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/statuses/900000000000/pin", { token: carol.token })).status).toBe(404);

    const posts: MastodonStatus[] = [];
    for (let i = 0; i < 6; i++) posts.push(await api.post(carol, { status: `Post ${i}` }));
    for (const s of posts.slice(0, 5)) expect((await api.request("POST", `/api/v1/statuses/${s.id}/pin`, { token: carol.token })).status).toBe(200);
    const sixth = await api.request("POST", `/api/v1/statuses/${posts[5]!.id}/pin`, { token: carol.token });
    expect(sixth.status).toBe(422);
    // A deleted pinned post frees its place.
    expect((await api.request("DELETE", `/api/v1/statuses/${posts[0]!.id}`, { token: carol.token })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/statuses/${posts[5]!.id}/pin`, { token: carol.token })).status).toBe(200);
    expect((await pinned(carol)).length).toBe(5);
    expect((await featured("carol")).body.totalItems).toBe(5);
  });

  it("401 without a token, 403 without write:accounts", async () => {
    const s = await api.post(alice, { status: "Scope" });
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/pin`)).status).toBe(401);
    const statusesOnly = await api.token(alice, ["read", "write:statuses"]);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/pin`, { token: statusesOnly })).status).toBe(403);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/unpin`, { token: statusesOnly })).status).toBe(403);
    expect((await api.request("POST", `/api/v1/statuses/${s.id}/pin`, { token: await api.token(alice, ["write:accounts"]) })).status).toBe(200);
    expect((await api.request("GET", `/api/v1/accounts/${alice.id}/statuses?pinned=maybe`)).status).toBe(422);
  });
});
