/**
 * Issue 10: the home timeline reads `home_feed`, a table of candidate rows
 * filled as posts, follows and memberships are stored. A row is never a
 * permission: a post the owner may no longer see, or no longer follows the
 * source of, stays out of the home timeline although its row is still there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { rebuildPostCounts } from "../../src/domain/account-counts.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { decideRequest, join, leave } from "../../src/domain/membership.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let owner: User;
let alice: User;
let bob: User;
let carol: User;
let council: GroupView;

const ids = (list: { id: string }[]) => list.map((s) => s.id);
const home = async (user: User) => ids((await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: user.token })).body);
const follow = async (follower: User, followee: User) =>
  expect((await api.request("POST", `/api/v1/accounts/${followee.id}/follow`, { token: follower.token })).status).toBe(200);

async function feedRow(owner: User, postId: string): Promise<boolean> {
  const row = await api.running.deps.db.selectFrom("home_feed").select("post_id")
    .where("owner_id", "=", owner.id).where("post_id", "=", postId).executeTakeFirst();
  return row !== undefined;
}

beforeAll(async () => {
  api = await startApi();
  [owner, alice, bob, carol] = await Promise.all(
    (["owner", "alice", "bob", "carol"] as const).map((name) => api.user(name))) as [User, User, User, User];
  council = await createGroup(api.running.deps.db, api.running.config.origin, owner.actor,
    { name: "council", visibility: "closed", joinMode: "approval", modules: defaultModules() });
  for (const u of [alice, bob]) {
    await join(api.running.deps.db, api.running.config.origin, council, u.actor);
    await decideRequest(api.running.deps.db, council, owner.actor, u.actor, true);
  }
});

afterAll(async () => {
  await api?.close();
});

describe("a home feed row is a candidate, never a permission", () => {
  it("a closed group's post leaves the home timeline of a member who left, its row still there", async () => {
    const secret = await api.post(alice, { status: "@council vertrouwelijk" });
    expect(secret.visibility).toBe("private");
    expect(await home(bob)).toContain(secret.id);
    await leave(api.running.deps.db, council, bob.actor);
    expect(await feedRow(bob, secret.id)).toBe(true);
    expect(await home(bob)).not.toContain(secret.id);
  });

  it("a followed author's post leaves the follower's home when the author blocks the follower", async () => {
    await follow(carol, alice);
    const post = await api.post(alice, { status: "for my followers", visibility: "private" });
    expect(await home(carol)).toContain(post.id);
    expect((await api.request("POST", `/api/v1/accounts/${carol.id}/block`, { token: alice.token })).status).toBe(200);
    expect(await feedRow(carol, post.id)).toBe(true);
    expect(await home(carol)).not.toContain(post.id);
  });

  it("a deleted post leaves every home timeline, its rows still there", async () => {
    await follow(bob, owner);
    const post = await api.post(owner, { status: "soon gone" });
    expect(await home(bob)).toContain(post.id);
    expect((await api.request("DELETE", `/api/v1/statuses/${post.id}`, { token: owner.token })).status).toBe(200);
    expect(await feedRow(bob, post.id)).toBe(true);
    expect(await home(bob)).not.toContain(post.id);
    expect(await home(owner)).not.toContain(post.id);
  });

  it("after an unfollow, the former followee's public posts stay out of home, their rows still there", async () => {
    const post = await api.post(owner, { status: "public, but no longer followed" });
    expect(await home(bob)).toContain(post.id);
    expect((await api.request("POST", `/api/v1/accounts/${owner.id}/unfollow`, { token: bob.token })).status).toBe(200);
    expect(await feedRow(bob, post.id)).toBe(true);
    expect(await home(bob)).not.toContain(post.id);
  });
});

describe("the home feed is filled as things are stored", () => {
  it("a new follow brings the followee's recent posts home; a post reaches its followers in its own transaction", async () => {
    const dora = await api.user("dora");
    const earlier = [await api.post(dora, { status: "one" }), await api.post(dora, { status: "two" })];
    const fan = await api.user("fan");
    await follow(fan, dora);
    expect(await home(fan)).toEqual(ids(earlier).reverse());
    const later = await api.post(dora, { status: "three" });
    expect(await feedRow(fan, later.id)).toBe(true);
    expect(await home(fan)).toEqual([later.id, ...ids(earlier).reverse()]);
  });

  it("a new member finds the group's recent posts home", async () => {
    const thread = await api.post(alice, { status: "@council for members" });
    const newcomer = await api.user("newcomer");
    expect(await home(newcomer)).not.toContain(thread.id);
    await join(api.running.deps.db, api.running.config.origin, council, newcomer.actor);
    expect(await home(newcomer)).not.toContain(thread.id);
    await decideRequest(api.running.deps.db, council, owner.actor, newcomer.actor, true);
    expect(await home(newcomer)).toContain(thread.id);
  });
});

describe("a page reads past the rows that fail the check", () => {
  it("a muted account's many posts between two pages' posts: every page, in both directions, has what it should", async () => {
    const quiet = await api.user("quiet");
    const loud = await api.user("loud");
    const reader = await api.user("muter");
    await follow(reader, quiet);
    await follow(reader, loud);
    const burst = async () => { for (let i = 0; i < 15; i++) await api.post(loud, { status: `loud ${i}` }); };
    const q1 = await api.post(quiet, { status: "q1" });
    await burst();
    const q2 = await api.post(quiet, { status: "q2" });
    await burst();
    const q3 = await api.post(quiet, { status: "q3" });
    expect((await api.request("POST", `/api/v1/accounts/${loud.id}/mute`, { token: reader.token })).status).toBe(200);
    const page = async (query: string) =>
      ids((await api.request<MastodonStatus[]>("GET", `/api/v1/timelines/home?${query}`, { token: reader.token })).body);
    // Two posts a page: the first batch (four rows) holds one of them, the next rounds grow.
    expect(await page("limit=2")).toEqual([q3.id, q2.id]);
    expect(await page(`limit=2&max_id=${q2.id}`)).toEqual([q1.id]);
    expect(await page(`limit=1&max_id=${q3.id}`)).toEqual([q2.id]);
    expect(await page(`limit=2&min_id=${q1.id}`)).toEqual([q3.id, q2.id]);
    expect(await page(`limit=1&min_id=${q1.id}`)).toEqual([q2.id]);
    expect(await page(`limit=1&since_id=${q1.id}`)).toEqual([q3.id]);
    expect(await page(`limit=5&since_id=${q1.id}&max_id=${q3.id}`)).toEqual([q2.id]);
    expect(await page(`limit=40&max_id=${q1.id}`)).toEqual([]);
  });
});

describe("stored post counts", () => {
  it("count posts anyone may read as stored, and what each viewer may see beyond them", async () => {
    const writer = await api.user("writer");
    const reader = await api.user("reader");
    await follow(reader, writer);
    const account = async (viewer?: User) =>
      (await api.request<MastodonAccount>("GET", `/api/v1/accounts/${writer.id}`, viewer ? { token: viewer.token } : {})).body;
    await api.post(writer, { status: "public" });
    const hidden = await api.post(writer, { status: "followers", visibility: "private" });
    const unlisted = await api.post(writer, { status: "unlisted", visibility: "unlisted" });
    expect((await account()).statuses_count).toBe(2);
    expect((await account(reader)).statuses_count).toBe(3);
    expect((await account(reader)).last_status_at).not.toBeNull();
    expect((await api.request("DELETE", `/api/v1/statuses/${unlisted.id}`, { token: writer.token })).status).toBe(200);
    expect((await api.request("DELETE", `/api/v1/statuses/${hidden.id}`, { token: writer.token })).status).toBe(200);
    expect((await account()).statuses_count).toBe(1);
    expect((await account(reader)).statuses_count).toBe(1);
    expect((await api.request("POST", `/api/v1/accounts/${reader.id}/block`, { token: writer.token })).status).toBe(200);
    expect((await account(reader)).statuses_count).toBe(0);
  });

  it("rebuilt from the posts (for seeds loaded without triggers), the counts are those the trigger kept", async () => {
    const { db } = api.running.deps;
    const counts = () => db.selectFrom("post_counts").select(["actor_id", "statuses", "group_statuses"])
      .where((eb) => eb.or([eb("statuses", ">", 0), eb("group_statuses", ">", 0)])).orderBy("actor_id").execute();
    const plaza = await createGroup(db, api.running.config.origin, owner.actor,
      { name: "plaza", visibility: "public", joinMode: "open", modules: defaultModules() });
    await join(db, api.running.config.origin, plaza, carol.actor);
    await api.post(carol, { status: "@plaza open to all" });
    const kept = await counts();
    // A public group's post, deleted ones, followers-only and closed-group ones (the tests above) are among them.
    expect(kept.find((r) => r.actor_id === plaza.actor.id)?.group_statuses).toBe(1);
    await rebuildPostCounts(db);
    expect(await counts()).toEqual(kept);
  });
});
