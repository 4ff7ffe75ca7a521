/**
 * The Mastodon notifications API (/api/v1/notifications) and the domain
 * changes that write notifications: favourites, boosts, follows and follow
 * requests (local and inbound), edits of boosted posts, mentions and replies,
 * and group life (new content, requests, invitations, approvals, moderation).
 * A notification about a post its recipient can no longer see is never shown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { receiveFollow } from "../../src/domain/follows.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { decideRequest, invite, join, leave } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { receiveAnnounce, receiveLike } from "../../src/domain/posts/sharing.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let counter = 0;

beforeAll(async () => {
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
});

/** A fresh local user for one test, so tests do not see each other's notifications. */
function freshUser(prefix: string, options: { locked?: boolean } = {}): Promise<User> {
  counter += 1;
  return api.user(`${prefix}${counter}`, options);
}

function remoteActor(name: string): Promise<Actor> {
  return upsertRemoteActor(api.running.deps.db, "plein.test", {
    iri: `https://remote.example/users/${name}`, type: "Person", username: name, displayName: name, summaryHtml: "",
    url: null, avatarUrl: null, headerUrl: null, inbox: `https://remote.example/users/${name}/inbox`, sharedInbox: null,
    outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false, bot: false,
    fields: [], followersCount: null, followingCount: null, postsCount: null,
  });
}

async function notificationsOf(user: User, query = ""): Promise<MastodonNotification[]> {
  const res = await api.request<MastodonNotification[]>("GET", `/api/v1/notifications${query}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function unreadCount(user: User, query = ""): Promise<number> {
  const res = await api.request<{ count: number }>("GET", `/api/v1/notifications/unread_count${query}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  expect(Object.keys(res.body)).toEqual(["count"]);
  return res.body.count;
}

const summary = (list: MastodonNotification[]) =>
  list.map((n) => ({ type: n.type, account: n.account.id, status: n.status?.id ?? null }));

function links(res: { headers: Headers }): { next?: string; prev?: string } {
  const header = res.headers.get("link") ?? "";
  const pick = (rel: string) => new RegExp(`<([^>]+)>; rel="${rel}"`).exec(header)?.[1];
  return { next: pick("next"), prev: pick("prev") };
}

/** The documented attributes of https://docs.joinmastodon.org/entities/Notification/ */
function expectMastodonShape(n: MastodonNotification) {
  expect(n.id).toMatch(/^\d+$/);
  // The key of its group in /api/v2/notifications: favourites and boosts of one post, and follows, share one.
  if (n.type === "favourite" || n.type === "reblog") expect(n.group_key).toMatch(new RegExp(`^${n.type}-${n.status!.id}-\\d+$`));
  else if (n.type === "follow") expect(n.group_key).toMatch(/^follow-\d+$/);
  else expect(n.group_key).toBe(`ungrouped-${n.id}`);
  expect(new Date(n.created_at).toISOString()).toBe(n.created_at);
  expect(typeof n.account.id).toBe("string");
  expect(typeof n.account.acct).toBe("string");
  if (["mention", "status", "reblog", "favourite", "update"].includes(n.type)) {
    expect(typeof n.status?.id).toBe("string");
    expect(typeof n.status?.content).toBe("string");
  } else if (["follow", "follow_request"].includes(n.type)) {
    expect(n).not.toHaveProperty("status");
  }
}

async function closedGroup(owner: User, name: string, options: { joinMode?: "open" | "approval" | "invite"; moderatePosts?: boolean } = {}): Promise<GroupView> {
  return createGroup(api.running.deps.db, api.running.config.origin, owner.actor, {
    name, visibility: "closed", joinMode: options.joinMode ?? "open", moderatePosts: options.moderatePosts ?? false, modules: [],
  });
}

async function postInGroup(author: User, group: GroupView, text: string) {
  return createLocalPost(api.running.deps.db, api.running.config.origin, author.actor, {
    contentHtml: `<p>${text}</p>`, contentSource: text, visibility: "public", groupId: group.actor.id,
  });
}

describe("what is notified", () => {
  it("a local favourite and boost of one's post, with the post rendered for the recipient", async () => {
    const [alice, bob] = await Promise.all([freshUser("fav"), freshUser("fan")]);
    const post = await api.post(alice, { status: "worth a star" });
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/favourite`, { token: bob.token })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/reblog`, { token: bob.token })).status).toBe(200);
    // Favouriting twice, or one's own post, notifies nobody again.
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/favourite`, { token: bob.token })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/favourite`, { token: alice.token })).status).toBe(200);

    const list = await notificationsOf(alice);
    expect(summary(list)).toEqual([
      { type: "reblog", account: bob.id, status: post.id },
      { type: "favourite", account: bob.id, status: post.id },
    ]);
    for (const n of list) expectMastodonShape(n);
    // Rendered for alice: she favourited it herself, and the status is the original, not bob's boost.
    expect(list[0]!.status!.favourited).toBe(true);
    expect(list[0]!.status!.reblog).toBeNull();
    expect(list[0]!.account.acct).toBe(bob.actor.username);
    expect(await notificationsOf(bob)).toEqual([]);
  });

  it("a follow of an open account, and a follow request to a locked one", async () => {
    const [open, locked, follower] = await Promise.all([freshUser("open"), freshUser("locked", { locked: true }), freshUser("follower")]);
    expect((await api.request("POST", `/api/v1/accounts/${open.id}/follow`, { token: follower.token })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/accounts/${locked.id}/follow`, { token: follower.token })).status).toBe(200);
    // Following again changes nothing.
    expect((await api.request("POST", `/api/v1/accounts/${open.id}/follow`, { token: follower.token })).status).toBe(200);

    const openList = await notificationsOf(open);
    expect(summary(openList)).toEqual([{ type: "follow", account: follower.id, status: null }]);
    expectMastodonShape(openList[0]!);
    const lockedList = await notificationsOf(locked);
    expect(summary(lockedList)).toEqual([{ type: "follow_request", account: follower.id, status: null }]);
    expectMastodonShape(lockedList[0]!);
  });

  it("inbound favourites, boosts and follows from a remote actor", async () => {
    const [alice, locked] = await Promise.all([freshUser("target"), freshUser("shy", { locked: true })]);
    const rita = await remoteActor(`rita${counter}`);
    const db = api.running.deps.db;
    const post = await api.post(alice, { status: "seen from afar" });
    await receiveLike(db, rita, post.id, `https://remote.example/likes/${counter}`);
    // The same Like delivered twice counts once.
    await receiveLike(db, rita, post.id, `https://remote.example/likes/${counter}`);
    const original = (await db.selectFrom("posts").selectAll().where("id", "=", post.id).executeTakeFirstOrThrow());
    await receiveAnnounce(db, rita, original, `https://remote.example/announces/${counter}`, "public", new Date());
    await receiveAnnounce(db, rita, original, `https://remote.example/announces/${counter}`, "public", new Date());
    await receiveFollow(db, rita, alice.actor, `https://remote.example/follows/${counter}`);
    await receiveFollow(db, rita, alice.actor, `https://remote.example/follows/${counter}`);
    await receiveFollow(db, rita, locked.actor, `https://remote.example/follows/${counter}b`);

    expect(summary(await notificationsOf(alice))).toEqual([
      { type: "follow", account: rita.id, status: null },
      { type: "reblog", account: rita.id, status: post.id },
      { type: "favourite", account: rita.id, status: post.id },
    ]);
    const [request] = await notificationsOf(locked);
    expect(request!.type).toBe("follow_request");
    expect(request!.account.acct).toBe(`${rita.username}@remote.example`);
  });

  it("mentions and replies", async () => {
    const [alice, bob] = await Promise.all([freshUser("talk"), freshUser("talker")]);
    const own = await api.post(alice, { status: "a thought" });
    const mention = await api.post(bob, { status: `hello @${alice.actor.username}` });
    const reply = await api.post(bob, { status: "a reply", in_reply_to_id: own.id });
    expect(summary(await notificationsOf(alice))).toEqual([
      { type: "mention", account: bob.id, status: reply.id },
      { type: "mention", account: bob.id, status: mention.id },
    ]);
  });

  it("an edit of a post one boosted", async () => {
    const [author, booster] = await Promise.all([freshUser("editor"), freshUser("booster")]);
    const post = await api.post(author, { status: "first draft" });
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/reblog`, { token: booster.token })).status).toBe(200);
    const edited = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${post.id}`, { token: author.token, json: { status: "second draft" } });
    expect(edited.status, edited.text).toBe(200);
    const list = await notificationsOf(booster);
    expect(summary(list)).toEqual([{ type: "update", account: author.id, status: post.id }]);
    expect(list[0]!.status!.content).toContain("second draft");
    expect(list[0]!.status!.edited_at).not.toBeNull();
  });

  it("an edit of a remote post one boosted, once the edit arrives", async () => {
    const booster = await freshUser("reposter");
    const rita = await remoteActor(`writer${counter}`);
    const db = api.running.deps.db;
    const input = {
      iri: `https://remote.example/notes/edited${counter}`, url: null, type: "Note" as const, visibility: "public" as const,
      inReplyToIri: null, name: null, summary: null, sensitive: false, contentHtml: "<p>before</p>", language: null,
      publishedAt: new Date(Date.now() - 60_000), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
    };
    const post = await upsertRemotePost(db, rita, input, "create");
    expect((await api.request("POST", `/api/v1/statuses/${post.id}/reblog`, { token: booster.token })).status).toBe(200);
    expect(await notificationsOf(booster)).toEqual([]);
    await upsertRemotePost(db, rita, { ...input, contentHtml: "<p>after</p>", editedAt: new Date() }, "update");
    const list = await notificationsOf(booster);
    expect(summary(list)).toEqual([{ type: "update", account: rita.id, status: post.id }]);
    expect(list[0]!.status!.content).toContain("after");
  });

  it("nothing from an account one blocks", async () => {
    const [alice, bob] = await Promise.all([freshUser("blocker"), freshUser("pest")]);
    await api.post(bob, { status: `hey @${alice.actor.username}` });
    expect(await notificationsOf(alice)).toHaveLength(1);
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/block`, { token: alice.token })).status).toBe(200);
    expect(await notificationsOf(alice)).toEqual([]);
    expect(await unreadCount(alice)).toBe(0);
  });
});

describe("groups", () => {
  it("new content in a closed group, with the group; gone after leaving the group (no leak)", async () => {
    const [owner, member] = await Promise.all([freshUser("owner"), freshUser("member")]);
    const group = await closedGroup(owner, `circle${counter}`);
    await join(api.running.deps.db, api.running.config.origin, group, member.actor);
    const post = await postInGroup(owner, group, "members only: the budget");

    const [n] = await notificationsOf(member);
    expect(n!.type).toBe("status");
    expect(n!.account.id).toBe(owner.id);
    expect(n!.status!.id).toBe(post.id);
    expect(n!.status!.content).toContain("the budget");
    expect(n!.group!.id).toBe(group.actor.id);
    expect(n!.group!.group).toBe(true);
    expect((await api.request("GET", `/api/v1/notifications/${n!.id}`, { token: member.token })).status).toBe(200);
    expect(await unreadCount(member)).toBe(1);

    await leave(api.running.deps.db, group, member.actor);
    // The post is no longer the former member's to read: the notification is left out everywhere.
    expect(await notificationsOf(member)).toEqual([]);
    expect(await notificationsOf(member, "?types[]=status")).toEqual([]);
    const single = await api.request("GET", `/api/v1/notifications/${n!.id}`, { token: member.token });
    expect(single.status).toBe(404);
    expect(single.text).not.toContain("budget");
    expect(await unreadCount(member)).toBe(0);
  });

  it("join requests for admins, approval, invitations and moderation, each with the group", async () => {
    const [owner, asker, guest, member] = await Promise.all([freshUser("admin"), freshUser("asker"), freshUser("guest"), freshUser("poster")]);
    const db = api.running.deps.db;
    const origin = api.running.config.origin;
    const group = await closedGroup(owner, `council${counter}`, { joinMode: "approval", moderatePosts: true });

    await join(db, origin, group, asker.actor);
    const [request] = await notificationsOf(owner);
    expect({ type: request!.type, account: request!.account.id, group: request!.group?.id }).toEqual(
      { type: "group_request", account: asker.id, group: group.actor.id });
    expect(request).not.toHaveProperty("status");

    await decideRequest(db, group, owner.actor, asker.actor, true);
    const [approved] = await notificationsOf(asker);
    expect({ type: approved!.type, account: approved!.account.id, group: approved!.group?.id }).toEqual(
      { type: "group_approved", account: owner.id, group: group.actor.id });

    await invite(db, group, owner.actor, guest.actor);
    const [invited] = await notificationsOf(guest);
    expect({ type: invited!.type, account: invited!.account.id, group: invited!.group?.id }).toEqual(
      { type: "group_invite", account: owner.id, group: group.actor.id });

    await invite(db, group, owner.actor, member.actor);
    await join(db, origin, group, member.actor);
    const pending = await postInGroup(member, group, "awaiting approval");
    const [moderation] = await notificationsOf(owner, "?types[]=moderation");
    expect({ type: moderation!.type, account: moderation!.account.id, status: moderation!.status?.id, group: moderation!.group?.id })
      .toEqual({ type: "moderation", account: member.id, status: pending.id, group: group.actor.id });
    // Members other than moderators hear nothing of a post that waits for approval.
    expect(summary(await notificationsOf(asker))).toEqual([{ type: "group_approved", account: owner.id, status: null }]);
  });
});

describe("GET /api/v1/notifications", () => {
  let alice: User;
  let bob: User;
  let carol: User;
  /** alice's notifications, oldest first: bob follows, then bob and carol favourite five posts in turn */
  const made: { type: string; account: string }[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([freshUser("pager"), freshUser("pageb"), freshUser("pagec")]);
    await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    made.push({ type: "follow", account: bob.id });
    for (let i = 0; i < 5; i++) {
      const post = await api.post(alice, { status: `post ${i}` });
      const by = i % 2 === 0 ? bob : carol;
      await api.request("POST", `/api/v1/statuses/${post.id}/favourite`, { token: by.token });
      made.push({ type: "favourite", account: by.id });
    }
    const all = await notificationsOf(alice);
    expect(all.map((n) => ({ type: n.type, account: n.account.id }))).toEqual([...made].reverse());
    ids.push(...all.map((n) => n.id).reverse());
  });

  const page = (query: string) => api.request<MastodonNotification[]>("GET", `/api/v1/notifications${query}`, { token: alice.token });
  const idsOf = (list: MastodonNotification[]) => list.map((n) => n.id);

  it("pages with max_id and Link headers like Mastodon", async () => {
    const first = await page("?limit=2");
    expect(idsOf(first.body)).toEqual([ids[5], ids[4]]);
    const { next, prev } = links(first);
    expect(next).toBe(`${ORIGIN}/api/v1/notifications?limit=2&max_id=${ids[4]}`);
    expect(prev).toBe(`${ORIGIN}/api/v1/notifications?limit=2&min_id=${ids[5]}`);
    const second = await page(new URL(next!).search);
    expect(idsOf(second.body)).toEqual([ids[3], ids[2]]);
    const third = await page(new URL(links(second).next!).search);
    expect(idsOf(third.body)).toEqual([ids[1], ids[0]]);
    const last = await page(new URL(links(third).next!).search);
    expect(last.body).toEqual([]);
    expect(last.headers.get("link")).toBeNull();
  });

  it("min_id reads forward, since_id gives the newest above it", async () => {
    expect(idsOf((await page(`?min_id=${ids[0]}&limit=2`)).body)).toEqual([ids[2], ids[1]]);
    expect(idsOf((await page(`?since_id=${ids[0]}&limit=2`)).body)).toEqual([ids[5], ids[4]]);
    expect(idsOf((await page(`?since_id=${ids[1]}&max_id=${ids[4]}`)).body)).toEqual([ids[3], ids[2]]);
  });

  it("filters by types[], exclude_types[] and account_id, keeping them in the Link header", async () => {
    expect((await notificationsOf(alice, "?types[]=follow")).map((n) => n.type)).toEqual(["follow"]);
    expect((await notificationsOf(alice, "?types=follow")).map((n) => n.type)).toEqual(["follow"]);
    expect(await notificationsOf(alice, "?exclude_types[]=favourite")).toHaveLength(1);
    expect(await notificationsOf(alice, "?types[]=favourite&types[]=follow")).toHaveLength(6);
    expect(await notificationsOf(alice, "?types[]=favourite&exclude_types[]=favourite")).toEqual([]);
    // Unknown types are ignored, as Mastodon does: asking only for them gives nothing.
    expect(await notificationsOf(alice, "?types[]=poll")).toEqual([]);
    expect(await notificationsOf(alice, "?types[]=follow&types[]=nonsense")).toHaveLength(1);
    expect(await notificationsOf(alice, "?exclude_types[]=nonsense")).toHaveLength(6);

    const byCarol = await notificationsOf(alice, `?account_id=${carol.id}`);
    expect(byCarol.map((n) => n.account.id)).toEqual([carol.id, carol.id]);
    const byBob = await page(`?account_id=${bob.id}&types[]=favourite&limit=1`);
    expect(idsOf(byBob.body)).toEqual([ids[5]]);
    const next = links(byBob).next!;
    expect(next).toBe(`${ORIGIN}/api/v1/notifications?account_id=${bob.id}&types%5B%5D=favourite&limit=1&max_id=${ids[5]}`);
    expect(idsOf((await page(new URL(next).search)).body)).toEqual([ids[3]]);
  });

  it("answers 422 for malformed paging and filter values", async () => {
    for (const query of ["?limit=abc", "?max_id=abc", "?since_id=-1", "?min_id=1.5", "?account_id=abc"]) {
      const res = await page(query);
      expect(res.status, query).toBe(422);
    }
  });

  it("clamps limit: 40 by default, at most 80", async () => {
    const many = await freshUser("popular");
    const fans = await Promise.all(Array.from({ length: 3 }, () => freshUser("fan")));
    for (const fan of fans) await api.request("POST", `/api/v1/accounts/${many.id}/follow`, { token: fan.token });
    expect(await notificationsOf(many, "?limit=0")).toHaveLength(1);
    expect(await notificationsOf(many, "?limit=1000")).toHaveLength(3);
  });

  it("counts unread notifications, with the same filters and a limit", async () => {
    expect(await unreadCount(alice)).toBe(6);
    expect(await unreadCount(alice, "?types[]=follow")).toBe(1);
    expect(await unreadCount(alice, "?exclude_types[]=follow")).toBe(5);
    expect(await unreadCount(alice, `?account_id=${carol.id}`)).toBe(2);
    expect(await unreadCount(alice, "?limit=4")).toBe(4);
    expect(await unreadCount(alice, "?types[]=poll")).toBe(0);
  });
});

describe("one notification, dismiss and clear", () => {
  it("gets, dismisses and clears one's own notifications", async () => {
    const [alice, bob] = await Promise.all([freshUser("tidy"), freshUser("messy")]);
    const post = await api.post(alice, { status: "a post" });
    await api.request("POST", `/api/v1/statuses/${post.id}/favourite`, { token: bob.token });
    await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    const [follow, favourite] = await notificationsOf(alice);

    const one = await api.request<MastodonNotification>("GET", `/api/v1/notifications/${favourite!.id}`, { token: alice.token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(favourite);

    const dismissed = await api.request("POST", `/api/v1/notifications/${favourite!.id}/dismiss`, { token: alice.token });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toEqual({});
    expect((await notificationsOf(alice)).map((n) => n.id)).toEqual([follow!.id]);
    expect((await api.request("GET", `/api/v1/notifications/${favourite!.id}`, { token: alice.token })).status).toBe(404);
    expect((await api.request("POST", `/api/v1/notifications/${favourite!.id}/dismiss`, { token: alice.token })).status).toBe(404);

    const cleared = await api.request("POST", "/api/v1/notifications/clear", { token: alice.token });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({});
    expect(await notificationsOf(alice)).toEqual([]);
    expect(await unreadCount(alice)).toBe(0);
  });

  it("answers 404 for someone else's notification and for malformed ids, and touches nothing", async () => {
    const [alice, bob] = await Promise.all([freshUser("owned"), freshUser("snoop")]);
    await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    const [mine] = await notificationsOf(alice);
    for (const id of [mine!.id, "abc", "0", "-1", "1.5", "99999999999999999999", "%00"]) {
      const get = await api.request("GET", `/api/v1/notifications/${id}`, { token: bob.token });
      expect(get.status, `GET ${id}`).toBe(id === "%00" ? 400 : 404);
      const dismiss = await api.request("POST", `/api/v1/notifications/${id}/dismiss`, { token: bob.token });
      expect(dismiss.status, `dismiss ${id}`).toBe(id === "%00" ? 400 : 404);
    }
    await api.request("POST", "/api/v1/notifications/clear", { token: bob.token });
    expect((await notificationsOf(alice)).map((n) => n.id)).toEqual([mine!.id]);
  });
});

describe("authorization", () => {
  const reads = ["/api/v1/notifications", "/api/v1/notifications/unread_count", "/api/v1/notifications/1"];
  const writes = ["/api/v1/notifications/clear", "/api/v1/notifications/1/dismiss"];

  it("answers 401 without a token or with an invalid one", async () => {
    for (const path of reads) {
      expect((await api.request("GET", path)).status, path).toBe(401);
      expect((await api.request("GET", path, { token: "not-a-token" })).status, path).toBe(401);
    }
    for (const path of writes) {
      expect((await api.request("POST", path)).status, path).toBe(401);
      expect((await api.request("POST", path, { token: "not-a-token" })).status, path).toBe(401);
    }
  });

  it("answers 403 to a token without read:notifications or write:notifications", async () => {
    const [alice, bob] = await Promise.all([freshUser("scoped"), freshUser("scoper")]);
    await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    const [n] = await notificationsOf(alice);
    const statusesOnly = await api.token(alice, ["read:statuses", "write:statuses"]);
    const readOnly = await api.token(alice, ["read:notifications"]);
    const writeOnly = await api.token(alice, ["write:notifications"]);
    for (const path of ["/api/v1/notifications", "/api/v1/notifications/unread_count", `/api/v1/notifications/${n!.id}`]) {
      expect((await api.request("GET", path, { token: statusesOnly })).status, path).toBe(403);
      expect((await api.request("GET", path, { token: writeOnly })).status, path).toBe(403);
      expect((await api.request("GET", path, { token: readOnly })).status, path).toBe(200);
    }
    for (const path of [`/api/v1/notifications/${n!.id}/dismiss`, "/api/v1/notifications/clear"]) {
      expect((await api.request("POST", path, { token: statusesOnly })).status, path).toBe(403);
      expect((await api.request("POST", path, { token: readOnly })).status, path).toBe(403);
    }
    expect(await notificationsOf(alice)).toHaveLength(1);
    expect((await api.request("POST", `/api/v1/notifications/${n!.id}/dismiss`, { token: writeOnly })).status).toBe(200);
    expect(await notificationsOf(alice)).toEqual([]);
  });
});
