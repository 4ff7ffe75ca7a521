/**
 * Mutes (Mastodon's /api/v1/accounts/:id/mute, /unmute, /api/v1/mutes): the
 * muted account's posts and boosts of them leave the muter's home and public
 * timelines, its notifications stop (unless notifications=false), the
 * relationship says so, and a mute with a duration ends by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

const ids = (list: { id: string }[]) => list.map((s) => s.id);
const home = async (u: User) => ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: u.token })).body);
const pub = async (u: User) => ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/public?limit=40", { token: u.token })).body);
const notifiedBy = async (u: User, by: User) =>
  (await api.request<MastodonNotification[]>("GET", "/api/v1/notifications", { token: u.token })).body.filter((n) => n.account.id === by.id).length;

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => api.user(n))) as [User, User, User];
  for (const followee of [alice, carol]) {
    expect((await api.request("POST", `/api/v1/accounts/${followee.id}/follow`, { token: bob.token })).status).toBe(200);
  }
});

afterAll(async () => {
  await api?.close();
});

describe("muting an account", () => {
  it("hides its posts and boosts of them from home and public timelines, and stops its notifications", async () => {
    const post = await api.post(alice, { status: "Van Alice" });
    const boost = (await api.request<MastodonStatus>("POST", `/api/v1/statuses/${post.id}/reblog`, { token: carol.token })).body;
    const own = await api.post(carol, { status: "Van Carol" });
    expect(await home(bob)).toEqual(expect.arrayContaining([post.id, boost.id, own.id]));
    expect(await pub(bob)).toContain(post.id);

    const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${alice.id}/mute`, { token: bob.token });
    expect(res.status).toBe(200);
    expect([res.body.muting, res.body.muting_notifications, res.body.following]).toEqual([true, true, true]);
    const timeline = await home(bob);
    expect(timeline).toContain(own.id);
    expect(timeline).not.toContain(post.id);
    expect(timeline).not.toContain(boost.id);
    expect(await pub(bob)).not.toContain(post.id);
    // Others still see it; the muted account learns nothing.
    expect(await pub(carol)).toContain(post.id);
    const seen = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${bob.id}`, { token: alice.token });
    expect(seen.body[0]!.muting).toBe(false);

    const mine = await api.post(bob, { status: "Van Bob" });
    const before = await notifiedBy(bob, alice);
    expect((await api.request("POST", `/api/v1/statuses/${mine.id}/favourite`, { token: alice.token })).status).toBe(200);
    expect(await notifiedBy(bob, alice)).toBe(before);

    const list = await api.request<Array<MastodonAccount & { mute_expires_at: string | null }>>("GET", "/api/v1/mutes", { token: bob.token });
    expect(list.status).toBe(200);
    expect(list.body.map((a) => [a.id, a.mute_expires_at])).toEqual([[alice.id, null]]);

    const un = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${alice.id}/unmute`, { token: bob.token });
    expect([un.status, un.body.muting]).toEqual([200, false]);
    expect(await home(bob)).toEqual(expect.arrayContaining([post.id, boost.id]));
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/mutes", { token: bob.token })).body).toEqual([]);
  });

  it("with notifications=false keeps the notifications; with a duration it ends by itself", async () => {
    const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${carol.id}/mute`,
      { token: bob.token, form: { notifications: "false", duration: "3600" } });
    expect([res.body.muting, res.body.muting_notifications]).toEqual([true, false]);
    const mine = await api.post(bob, { status: "Nog een van Bob" });
    const before = await notifiedBy(bob, carol);
    await api.request("POST", `/api/v1/statuses/${mine.id}/favourite`, { token: carol.token });
    expect(await notifiedBy(bob, carol)).toBe(before + 1);

    const list = await api.request<Array<MastodonAccount & { mute_expires_at: string | null }>>("GET", "/api/v1/mutes", { token: bob.token });
    const expires = Date.parse(list.body[0]!.mute_expires_at!);
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    expect(expires).toBeLessThan(Date.now() + 3700_000);

    const post = await api.post(carol, { status: "Straks weer zichtbaar" });
    expect(await home(bob)).not.toContain(post.id);
    // The hour has passed.
    await api.running.deps.db.updateTable("mutes").set({ expires_at: new Date(Date.now() - 1000) })
      .where("actor_id", "=", bob.id).where("target_id", "=", carol.id).execute();
    expect(await home(bob)).toContain(post.id);
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/mutes", { token: bob.token })).body).toEqual([]);
    const rel = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${carol.id}`, { token: bob.token });
    expect(rel.body[0]!.muting).toBe(false);
    // Muting again after it ended works.
    const again = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${carol.id}/mute`, { token: bob.token, json: { duration: 0 } });
    expect([again.body.muting, again.body.muting_notifications]).toEqual([true, true]);
    await api.request("POST", `/api/v1/accounts/${carol.id}/unmute`, { token: bob.token });
  });

  it("401 without a token, 403 without the mutes scopes (follow covers them), 422 for bad input, 404 for unknown accounts", async () => {
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/mute`)).status).toBe(401);
    expect((await api.request("GET", "/api/v1/mutes")).status).toBe(401);
    const readOnly = await api.token(bob, ["read"]);
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/mute`, { token: readOnly })).status).toBe(403);
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/unmute`, { token: readOnly })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/mutes", { token: await api.token(bob, ["read:blocks"]) })).status).toBe(403);
    const follow = await api.token(bob, ["follow"]);
    expect((await api.request("GET", "/api/v1/mutes", { token: follow })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/unmute`, { token: follow })).status).toBe(200);
    for (const json of [{ duration: "soon" }, { duration: -5 }, { duration: 1.5 }, { notifications: "maybe" }, { duration: [1] }]) {
      expect((await api.request("POST", `/api/v1/accounts/${alice.id}/mute`, { token: bob.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/mute`, { token: bob.token })).status).toBe(422);
    expect((await api.request("GET", "/api/v1/mutes?max_id=x", { token: bob.token })).status).toBe(422);
    expect((await api.request<MastodonAccount[]>("GET", "/api/v1/mutes", { token: bob.token })).body).toEqual([]);
    expect((await api.request("POST", "/api/v1/accounts/900000000000/mute", { token: bob.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/accounts/900000000000/unmute", { token: bob.token })).status).toBe(404);
  });
});
