/**
 * Groups through the Mastodon client API (issue 7, issue 9): a group is an
 * account with `group: true`; following it is joining (a request where its
 * admins approve members), unfollowing is leaving; its followers are its
 * current members, its statuses what is posted in it; mentioning it in a
 * status posts into it, in the group's scope whatever visibility the client
 * chose; a closed group's posts show as "private" to its members; the home
 * timeline carries the posts of one's groups.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonSearch } from "../../src/api/mastodon/entities/search.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup, findGroup, type GroupView, type NewGroup } from "../../src/domain/groups.ts";
import { decideRequest, invite, membershipOf, removeMember } from "../../src/domain/membership.ts";
import { approvePost } from "../../src/domain/moderation.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let owner: User;
let alice: User;
let bob: User;
let carol: User;
let outsider: User;
/** public, open */
let plaza: GroupView;
/** closed, approval, posts pre-moderated */
let council: GroupView;
/** secret, by invitation */
let cabinet: GroupView;
/** public, open: a second group to mention */
let market: GroupView;

async function group(name: string, options: Omit<NewGroup, "name" | "modules"> = {}): Promise<GroupView> {
  return createGroup(api.running.deps.db, api.running.config.origin, owner.actor, { name, modules: defaultModules(), ...options });
}

const refreshed = async (g: GroupView) => (await findGroup(api.running.deps.db, g.actor.id))!;

beforeAll(async () => {
  api = await startApi();
  [owner, alice, bob, carol, outsider] = await Promise.all(
    (["owner", "alice", "bob", "carol", "outsider"] as const).map((name) => api.user(name))) as [User, User, User, User, User];
  plaza = await group("plaza", { displayName: "Town plaza" });
  council = await group("council", { visibility: "closed", joinMode: "approval", moderatePosts: true });
  cabinet = await group("cabinet", { visibility: "secret", joinMode: "invite" });
  market = await group("market");
});

afterAll(async () => {
  await api?.close();
});

const account = (id: string, token?: string) =>
  api.request<MastodonAccount>("GET", `/api/v1/accounts/${id}`, token === undefined ? {} : { token });
type Answer = MastodonRelationship & { error?: string };
const follow = (user: User, g: GroupView) => api.request<Answer>("POST", `/api/v1/accounts/${g.actor.id}/follow`, { token: user.token });
const unfollow = (user: User, g: GroupView) => api.request<Answer>("POST", `/api/v1/accounts/${g.actor.id}/unfollow`, { token: user.token });
async function relationship(user: User, g: GroupView): Promise<MastodonRelationship> {
  const res = await api.request<MastodonRelationship[]>("GET", `/api/v1/accounts/relationships?id[]=${g.actor.id}`, { token: user.token });
  expect(res.status).toBe(200);
  return res.body[0]!;
}
const statusesOf = (g: GroupView, token?: string, query = "") =>
  api.request<MastodonStatus[]>("GET", `/api/v1/accounts/${g.actor.id}/statuses${query}`, token === undefined ? {} : { token });
const followersOf = (g: GroupView, token?: string) =>
  api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${g.actor.id}/followers`, token === undefined ? {} : { token });
const home = (user: User) => api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=40", { token: user.token });
const ids = (list: { id: string }[]) => list.map((s) => s.id);
const stateOf = async (g: GroupView, user: User) => (await membershipOf(api.running.deps.db, g.actor.id, user.id))?.state;

describe("a group is an account", () => {
  it("with group: true, locked when its admins approve members, and its profile", async () => {
    const res = await account(plaza.actor.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: plaza.actor.id, username: "plaza", acct: "plaza", display_name: "Town plaza", group: true, locked: false,
      following_count: 0,
    });
    expect((await account(council.actor.id)).body).toMatchObject({ group: true, locked: true });
    const lookup = await api.request<MastodonAccount>("GET", "/api/v1/accounts/lookup?acct=plaza");
    expect(lookup.body.id).toBe(plaza.actor.id);
  });
});

describe("finding groups", () => {
  const found = async (q: string, token?: string) => {
    const res = await api.request<MastodonSearch>("GET", `/api/v2/search?type=accounts&q=${encodeURIComponent(q)}`,
      token === undefined ? {} : { token });
    expect(res.status).toBe(200);
    return res.body.accounts.map((a) => a.username);
  };

  it("search finds public and closed groups as group accounts", async () => {
    const res = await api.request<MastodonSearch>("GET", "/api/v2/search?q=plaza&type=accounts");
    expect(res.body.accounts).toEqual([expect.objectContaining({ id: plaza.actor.id, group: true })]);
    expect(await found("council")).toEqual(["council"]);
  });

  it("a secret group is found only by those it knows of (members, invitees), never anonymously", async () => {
    for (const q of ["cabinet", "cab", "@cabinet@plein.test"]) {
      expect(await found(q), q).toEqual([]);
      expect(await found(q, outsider.token), q).toEqual([]);
      expect(await found(q, owner.token), q).toEqual(["cabinet"]);
    }
    await invite(api.running.deps.db, cabinet, owner.actor, carol.actor);
    expect(await found("cabinet", carol.token)).toEqual(["cabinet"]);
  });
});

describe("following a group is joining it", () => {
  it("an open group takes the follower in as a member at once; its followers_count counts members", async () => {
    expect((await account(plaza.actor.id)).body.followers_count).toBe(1);
    const res = await follow(alice, plaza);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: plaza.actor.id, following: true, requested: false, followed_by: false });
    expect(await stateOf(plaza, alice)).toBe("member");
    // No follow row: following a group is a membership, nothing else.
    const follows = await api.running.deps.db.selectFrom("follows").select("id").where("followee_id", "=", plaza.actor.id).execute();
    expect(follows).toEqual([]);
    expect(await relationship(alice, plaza)).toMatchObject({ following: true, requested: false });
    expect((await account(plaza.actor.id)).body.followers_count).toBe(2);
    // Following again changes nothing.
    expect((await follow(alice, plaza)).body).toMatchObject({ following: true });
    expect((await account(plaza.actor.id)).body.followers_count).toBe(2);
  });

  it("a group whose admins approve members makes it a request, not counted until approved", async () => {
    const res = await follow(bob, council);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ following: false, requested: true });
    expect(await stateOf(council, bob)).toBe("pending");
    expect((await account(council.actor.id)).body.followers_count).toBe(1);
    await decideRequest(api.running.deps.db, council, owner.actor, bob.actor, true);
    expect(await relationship(bob, council)).toMatchObject({ following: true, requested: false });
    expect((await account(council.actor.id)).body.followers_count).toBe(2);
    // carol asks too, and stays pending for the rest of this file.
    expect((await follow(carol, council)).body).toMatchObject({ requested: true });
  });

  it("an invitation-only group refuses with 403 and a reason; nothing is stored", async () => {
    const res = await follow(alice, cabinet);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: expect.stringMatching(/invitation/i) });
    expect(await stateOf(cabinet, alice)).toBeUndefined();
    expect(await relationship(alice, cabinet)).toMatchObject({ following: false, requested: false });
  });

  it("a banned member cannot come back: 403", async () => {
    await follow(outsider, market);
    await removeMember(api.running.deps.db, await refreshed(market), owner.actor, outsider.actor, { ban: true });
    const res = await follow(outsider, market);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/banned/i);
    expect(await relationship(outsider, market)).toMatchObject({ following: false, requested: false });
  });

  it("unfollowing is leaving (or withdrawing a request); the owner cannot leave", async () => {
    const joined = await follow(carol, plaza);
    expect(joined.body.following).toBe(true);
    const left = await unfollow(carol, plaza);
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ following: false, requested: false });
    expect(await stateOf(plaza, carol)).toBeUndefined();
    const ownerLeaves = await unfollow(owner, plaza);
    expect(ownerLeaves.status).toBe(403);
    expect(ownerLeaves.body.error).toMatch(/owner/i);
    expect(await stateOf(plaza, owner)).toBe("member");
  });

  it("hostile and malformed requests: unknown or malformed ids 404, no token 401, a read-only token 403", async () => {
    for (const id of ["abc", "0", "-1", "99999999999999999999", "1e3", "%20"]) {
      expect((await api.request("POST", `/api/v1/accounts/${id}/follow`, { token: alice.token })).status, id).toBe(404);
    }
    expect((await api.request("POST", `/api/v1/accounts/${plaza.actor.id}/follow`)).status).toBe(401);
    const reader = await api.token(bob, ["read"]);
    expect((await api.request("POST", `/api/v1/accounts/${plaza.actor.id}/follow`, { token: reader })).status).toBe(403);
    expect(await stateOf(plaza, bob)).toBeUndefined();
  });
});

describe("a group's followers are its current members", () => {
  it("public group: its members for anyone, requests and bans left out; it follows nobody", async () => {
    const res = await followersOf(plaza);
    expect(res.status).toBe(200);
    expect(ids(res.body).sort()).toEqual([owner.id, alice.id].sort());
    expect(res.body.every((a) => a.group === false)).toBe(true);
    const banned = await followersOf(market);
    expect(ids(banned.body)).toEqual([owner.id]);
    expect((await api.request<unknown[]>("GET", `/api/v1/accounts/${plaza.actor.id}/following`)).body).toEqual([]);
  });

  it("pages with limit and a Link header", async () => {
    const first = await api.request<MastodonAccount[]>("GET", `/api/v1/accounts/${plaza.actor.id}/followers?limit=1`);
    expect(first.body).toHaveLength(1);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const second = await api.request<MastodonAccount[]>("GET", new URL(next!).pathname + new URL(next!).search);
    expect(second.body).toHaveLength(1);
    expect(second.body[0]!.id).not.toBe(first.body[0]!.id);
  });

  it("closed group: only its members see them (anonymous, outsiders and pending requests get [])", async () => {
    expect((await followersOf(council)).body).toEqual([]);
    expect((await followersOf(council, outsider.token)).body).toEqual([]);
    expect((await followersOf(council, carol.token)).body).toEqual([]);
    expect(ids((await followersOf(council, bob.token)).body).sort()).toEqual([owner.id, bob.id].sort());
  });
});

describe("mentioning a group posts into it", () => {
  it("a member's status mentioning a public group is made in it, public whatever the client chose", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "@plaza market day on Saturday", visibility: "direct" },
    });
    expect(res.status).toBe(200);
    expect(res.body.visibility).toBe("public");
    expect(res.body.mentions.map((m) => m.id)).toEqual([plaza.actor.id]);
    const row = await api.running.deps.db.selectFrom("posts").select(["group_id", "visibility"]).where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ group_id: plaza.actor.id, visibility: "public" });
    // Form-encoded, by full handle, works the same.
    const byHandle = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, form: { status: "hello @plaza@plein.test", visibility: "unlisted" },
    });
    expect(byHandle.status).toBe(200);
    expect(byHandle.body.visibility).toBe("public");
    expect(ids((await statusesOf(plaza)).body)).toEqual([byHandle.body.id, res.body.id]);
  });

  it("in a closed group it is scoped to the members and shows as private to them; others get 404", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: owner.token, json: { status: "@council agenda for Monday", visibility: "public" },
    });
    expect(res.status).toBe(200);
    expect(res.body.visibility).toBe("private");
    const row = await api.running.deps.db.selectFrom("posts").select(["group_id", "visibility", "moderation"])
      .where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ group_id: council.actor.id, visibility: "group", moderation: "approved" });
    const asMember = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${res.body.id}`, { token: bob.token });
    expect(asMember.status).toBe(200);
    expect(asMember.body.visibility).toBe("private");
    for (const token of [outsider.token, carol.token, undefined]) {
      const res2 = await api.request("GET", `/api/v1/statuses/${res.body.id}`, token === undefined ? {} : { token });
      expect(res2.status).toBe(404);
    }
  });

  it("a non-member gets 403 with a clear error, and nothing is posted", async () => {
    const before = await api.running.deps.db.selectFrom("posts").select("id").execute();
    for (const [user, name] of [[outsider, "council"], [carol, "council"], [outsider, "cabinet"]] as const) {
      const res = await api.request("POST", "/api/v1/statuses", { token: user.token, json: { status: `@${name} let me in` } });
      expect(res.status, `${user.actor.username} in ${name}`).toBe(403);
      expect(res.body.error).toMatch(/member/i);
    }
    const after = await api.running.deps.db.selectFrom("posts").select("id").execute();
    expect(after).toHaveLength(before.length);
  });

  it("mentioning two groups is a 422, and nothing is posted; people mentioned besides one group are fine", async () => {
    await follow(alice, market);
    const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "@plaza @market both?" } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/one group/i);
    const withPerson = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "@market @bob fresh bread" },
    });
    expect(withPerson.status).toBe(200);
    expect((await statusesOf(market)).body.map((s) => s.id)).toContain(withPerson.body.id);
  });

  it("a reply stays in its thread's group; naming another group there is refused", async () => {
    const thread = (await statusesOf(plaza)).body[0]!;
    const reply = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "agreed", in_reply_to_id: thread.id, visibility: "private" },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.visibility).toBe("public");
    const row = await api.running.deps.db.selectFrom("posts").select("group_id").where("id", "=", reply.body.id).executeTakeFirstOrThrow();
    expect(row.group_id).toBe(plaza.actor.id);
    const elsewhere = await api.request("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "@market over here", in_reply_to_id: thread.id },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toMatch(/group/i);
  });

  it("an unknown name stays plain text and the status is an ordinary one", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: bob.token, json: { status: "@nogroup hi" } });
    expect(res.status).toBe(200);
    expect(res.body.mentions).toEqual([]);
    const row = await api.running.deps.db.selectFrom("posts").select("group_id").where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(row.group_id).toBeNull();
  });
});

describe("a group's statuses are its posts", () => {
  it("lists what was posted in it, threads and comments, newest first, with its statuses_count", async () => {
    const res = await statusesOf(plaza);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(3);
    expect(res.body.every((s) => s.account.id === alice.id)).toBe(true);
    expect((await account(plaza.actor.id)).body.statuses_count).toBe(3);
    const threads = await statusesOf(plaza, undefined, "?exclude_replies=true");
    expect(threads.body.every((s) => s.in_reply_to_id === null)).toBe(true);
    expect(threads.body).toHaveLength(2);
    expect((await statusesOf(plaza, undefined, "?pinned=true")).body).toEqual([]);
  });

  it("pages with max_id and Link headers; malformed paging is a 422", async () => {
    const first = await statusesOf(plaza, undefined, "?limit=2");
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    const rest = await api.request<MastodonStatus[]>("GET", new URL(next!).pathname + new URL(next!).search);
    expect(rest.body).toHaveLength(1);
    expect(ids([...first.body, ...rest.body])).toEqual(ids((await statusesOf(plaza)).body));
    for (const bad of ["?max_id=abc", "?limit=many", "?min_id=-5"]) {
      expect((await api.request("GET", `/api/v1/accounts/${plaza.actor.id}/statuses${bad}`)).status, bad).toBe(422);
    }
  });

  it("a closed group's posts only for its members, and its count says so", async () => {
    expect((await statusesOf(council)).body).toEqual([]);
    expect((await statusesOf(council, outsider.token)).body).toEqual([]);
    expect((await statusesOf(council, carol.token)).body).toEqual([]);
    expect((await statusesOf(council, bob.token)).body).toHaveLength(1);
    expect((await account(council.actor.id)).body.statuses_count).toBe(0);
    expect((await account(council.actor.id, outsider.token)).body.statuses_count).toBe(0);
    expect((await account(council.actor.id, bob.token)).body.statuses_count).toBe(1);
  });

  it("a post waiting for a moderator is seen by its author and the moderators only, until approved", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: bob.token, json: { status: "@council may I propose" } });
    expect(res.status).toBe(200);
    const row = await api.running.deps.db.selectFrom("posts").select("moderation").where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(row.moderation).toBe("pending");
    expect(ids((await statusesOf(council, bob.token)).body)).toContain(res.body.id);
    expect(ids((await statusesOf(council, owner.token)).body)).toContain(res.body.id);
    expect(ids((await home(owner)).body)).toContain(res.body.id);
    // A second plain member sees nothing of it.
    await follow(alice, council);
    await decideRequest(api.running.deps.db, council, owner.actor, alice.actor, true);
    expect(ids((await statusesOf(council, alice.token)).body)).not.toContain(res.body.id);
    expect(ids((await home(alice)).body)).not.toContain(res.body.id);
    await approvePost(api.running.deps.db, council, owner.actor, res.body.id);
    expect(ids((await statusesOf(council, alice.token)).body)).toContain(res.body.id);
    expect(ids((await home(alice)).body)).toContain(res.body.id);
  });
});

describe("the home timeline carries one's groups", () => {
  it("a member sees posts of the group's members without following them; others do not", async () => {
    const post = await api.post(owner, { status: "@plaza the fountain is fixed" });
    expect(ids((await home(alice)).body)).toContain(post.id);
    expect(ids((await home(outsider)).body)).not.toContain(post.id);
    expect(ids((await home(carol)).body)).not.toContain(post.id);
  });

  it("a pending request does not bring a closed group's posts home; leaving takes them away", async () => {
    const post = await api.post(owner, { status: "@council minutes attached" });
    expect(ids((await home(bob)).body)).toContain(post.id);
    expect(ids((await home(carol)).body)).not.toContain(post.id);
    expect((await unfollow(bob, council)).body).toMatchObject({ following: false });
    expect(ids((await home(bob)).body)).not.toContain(post.id);
  });

  it("pages through group posts with max_id like any home timeline", async () => {
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) posted.push((await api.post(owner, { status: `@market stall ${i}` })).id);
    const page1 = await api.request<MastodonStatus[]>("GET", "/api/v1/timelines/home?limit=3", { token: alice.token });
    expect(ids(page1.body)).toEqual(posted.slice(2).reverse());
    const page2 = await api.request<MastodonStatus[]>("GET", `/api/v1/timelines/home?limit=2&max_id=${posted[2]}`, { token: alice.token });
    expect(ids(page2.body)).toEqual(posted.slice(0, 2).reverse());
    const newer = await api.request<MastodonStatus[]>("GET", `/api/v1/timelines/home?limit=2&min_id=${posted[1]}`, { token: alice.token });
    expect(ids(newer.body)).toEqual([posted[3], posted[2]]);
  });
});
