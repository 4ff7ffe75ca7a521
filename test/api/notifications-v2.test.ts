/**
 * Mastodon 4.3's grouped notifications (/api/v2/notifications): favourites
 * and boosts of one post and follows grouped, everything else alone; the
 * filters, expand_accounts, paging with Link headers, one group, its
 * accounts, its dismissal; unread counts (v1 and v2) against the
 * notifications marker; and the notifications policy (fixed "accept").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { GroupedNotificationsResults, MastodonNotificationGroup } from "../../src/api/mastodon/entities/notification-group.ts";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let counter = 0;

beforeAll(async () => {
  api = await startApi();
});

afterAll(async () => {
  await api?.close();
});

function freshUser(prefix: string, scopes?: string[]): Promise<User> {
  counter += 1;
  return api.user(`${prefix}${counter}`, scopes ? { scopes } : {});
}

async function grouped(user: User, query = ""): Promise<{ body: GroupedNotificationsResults; headers: Headers }> {
  const res = await api.request<GroupedNotificationsResults>("GET", `/api/v2/notifications${query}`, { token: user.token });
  expect(res.status, res.text).toBe(200);
  return res;
}

function links(res: { headers: Headers }): { next?: string; prev?: string } {
  const header = res.headers.get("link") ?? "";
  const pick = (rel: string) => new RegExp(`<([^>]+)>; rel="${rel}"`).exec(header)?.[1];
  return { next: pick("next"), prev: pick("prev") };
}

const ok = async (method: string, path: string, user: User) => {
  const res = await api.request(method, path, { token: user.token });
  expect(res.status, `${method} ${path}: ${res.text}`).toBe(200);
};

/**
 * alice posts; bob, carol and dave favourite it, bob and carol boost it,
 * erin follows alice, frank mentions her (in that order).
 */
async function busyAlice() {
  const [alice, bob, carol, dave, erin, frank] = await Promise.all(
    ["alice", "bob", "carol", "dave", "erin", "frank"].map((n) => freshUser(n)),
  ) as [User, User, User, User, User, User];
  const post = await api.post(alice, { status: "popular" });
  for (const u of [bob, carol, dave]) await ok("POST", `/api/v1/statuses/${post.id}/favourite`, u);
  for (const u of [bob, carol]) await ok("POST", `/api/v1/statuses/${post.id}/reblog`, u);
  await ok("POST", `/api/v1/accounts/${alice.id}/follow`, erin);
  const mention = await api.post(frank, { status: `@${alice.actor.username} hello` });
  return { alice, bob, carol, dave, erin, frank, post, mention };
}

function expectGroupShape(g: MastodonNotificationGroup) {
  for (const key of ["group_key", "notifications_count", "type", "most_recent_notification_id", "page_min_id", "page_max_id",
    "latest_page_notification_at", "sample_account_ids"]) expect(g).toHaveProperty(key);
  expect(BigInt(g.page_min_id) <= BigInt(g.page_max_id)).toBe(true);
  expect(g.most_recent_notification_id).toBe(g.page_max_id);
  expect(new Date(g.latest_page_notification_at).toISOString()).toBe(g.latest_page_notification_at);
}

describe("GET /api/v2/notifications", () => {
  it("groups favourites and boosts of one post and follows; the rest stand alone", async () => {
    const { alice, bob, carol, dave, erin, frank, post, mention } = await busyAlice();
    const { body } = await grouped(alice);
    expect(Object.keys(body).sort()).toEqual(["accounts", "notification_groups", "statuses"]);
    for (const g of body.notification_groups) expectGroupShape(g);
    expect(body.notification_groups.map((g) => ({
      type: g.type, count: g.notifications_count, samples: g.sample_account_ids, status: g.status_id ?? null,
    }))).toEqual([
      { type: "mention", count: 1, samples: [frank.id], status: mention.id },
      { type: "follow", count: 1, samples: [erin.id], status: null },
      { type: "reblog", count: 2, samples: [carol.id, bob.id], status: post.id },
      { type: "favourite", count: 3, samples: [dave.id, carol.id, bob.id], status: post.id },
    ]);
    const [m, f, r, fav] = body.notification_groups as [MastodonNotificationGroup, MastodonNotificationGroup, MastodonNotificationGroup, MastodonNotificationGroup];
    expect(m.group_key).toBe(`ungrouped-${m.most_recent_notification_id}`);
    expect(f.group_key).toMatch(/^follow-\d+$/);
    expect(r.group_key).toMatch(new RegExp(`^reblog-${post.id}-\\d+$`));
    expect(fav.group_key).toMatch(new RegExp(`^favourite-${post.id}-\\d+$`));
    // The v1 list holds the same notifications, one by one.
    const v1 = await api.request<MastodonNotification[]>("GET", "/api/v1/notifications", { token: alice.token });
    expect(v1.body.length).toBe(7);
    expect(fav.page_max_id).toBe(v1.body.filter((n) => n.type === "favourite")[0]!.id);
    expect(fav.page_min_id).toBe(v1.body.filter((n) => n.type === "favourite").at(-1)!.id);
    // v1 (and streamed) notifications carry the key of their group.
    expect(new Set(v1.body.filter((n) => n.type === "favourite").map((n) => n.group_key))).toEqual(new Set([fav.group_key]));
    expect(v1.body.find((n) => n.type === "mention")!.group_key).toBe(m.group_key);
    // Every sampled account once, and each status once.
    expect(body.accounts.map((a) => a.id).sort()).toEqual([bob, carol, dave, erin, frank].map((u) => u.id).sort());
    expect(body.statuses.map((s) => s.id).sort()).toEqual([post.id, mention.id].sort());
  });

  it("grouped_types, types, exclude_types and account_id choose what is grouped and listed", async () => {
    const { alice, bob, post } = await busyAlice();
    const onlyReblogs = await grouped(alice, "?grouped_types[]=reblog");
    expect(onlyReblogs.body.notification_groups.filter((g) => g.type === "favourite").map((g) => g.notifications_count)).toEqual([1, 1, 1]);
    expect(onlyReblogs.body.notification_groups.filter((g) => g.type === "favourite").every((g) => g.group_key.startsWith("ungrouped-"))).toBe(true);
    expect(onlyReblogs.body.notification_groups.filter((g) => g.type === "reblog").map((g) => g.notifications_count)).toEqual([2]);
    const types = await grouped(alice, "?types[]=favourite&types[]=follow");
    expect(types.body.notification_groups.map((g) => g.type)).toEqual(["follow", "favourite"]);
    const excluded = await grouped(alice, "?exclude_types[]=favourite&exclude_types[]=mention");
    expect(excluded.body.notification_groups.map((g) => g.type)).toEqual(["follow", "reblog"]);
    const byBob = await grouped(alice, `?account_id=${bob.id}`);
    expect(byBob.body.notification_groups.map((g) => [g.type, g.notifications_count, g.status_id])).toEqual([
      ["reblog", 1, post.id], ["favourite", 1, post.id],
    ]);
  });

  it("expand_accounts=partial_avatars sends the newest account of each group whole, the others partial", async () => {
    const { alice, bob, carol, dave, erin, frank } = await busyAlice();
    const { body } = await grouped(alice, "?expand_accounts=partial_avatars&include_filtered=false");
    expect(body.accounts.map((a) => a.id).sort()).toEqual([carol, dave, erin, frank].map((u) => u.id).sort());
    expect(body.partial_accounts!.map((a) => a.id)).toEqual([bob.id]);
    expect(Object.keys(body.partial_accounts![0]!).sort()).toEqual(["acct", "avatar", "avatar_static", "bot", "id", "locked", "url"]);
  });

  it("pages by groups with Link headers; every notification on one page only", async () => {
    const { alice } = await busyAlice();
    const first = await grouped(alice, "?limit=2");
    expect(first.body.notification_groups.map((g) => g.type)).toEqual(["mention", "follow"]);
    const next = links(first).next!;
    expect(next).toMatch(/max_id=\d+/);
    expect(next).toContain("limit=2");
    const second = await grouped(alice, new URL(next).search);
    expect(second.body.notification_groups.map((g) => [g.type, g.notifications_count])).toEqual([["reblog", 2], ["favourite", 3]]);
    const third = await grouped(alice, new URL(links(second).next!).search);
    expect(third.body.notification_groups).toEqual([]);
    expect(links(third).next).toBeUndefined();
    // Back from the second page: the first one's groups.
    const back = await grouped(alice, new URL(links(second).prev!).search);
    expect(back.body.notification_groups.map((g) => g.type)).toEqual(["mention", "follow"]);
  });

  it("401 without a token, 403 without read:notifications, 422 for malformed parameters", async () => {
    const [alice, writer] = await Promise.all([freshUser("n401"), freshUser("n403", ["write"])]);
    expect((await api.request("GET", "/api/v2/notifications")).status).toBe(401);
    expect((await api.request("GET", "/api/v2/notifications", { token: "bogus" })).status).toBe(401);
    expect((await api.request("GET", "/api/v2/notifications", { token: writer.token })).status).toBe(403);
    for (const q of ["?limit=many", "?expand_accounts=all", "?include_filtered=perhaps", "?max_id=abc", "?account_id=x"]) {
      expect((await api.request("GET", `/api/v2/notifications${q}`, { token: alice.token })).status, q).toBe(422);
    }
  });
});

describe("one group", () => {
  it("is read, its accounts listed, and dismissed whole", async () => {
    const { alice, bob, carol, dave, post } = await busyAlice();
    const fav = (await grouped(alice)).body.notification_groups.find((g) => g.type === "favourite")!;
    const one = await api.request<GroupedNotificationsResults>("GET", `/api/v2/notifications/${fav.group_key}`, { token: alice.token });
    expect(one.status).toBe(200);
    expect(one.body.notification_groups).toEqual([fav]);
    expect(one.body.statuses.map((s) => s.id)).toEqual([post.id]);
    const accounts = await api.request<MastodonAccount[]>("GET", `/api/v2/notifications/${fav.group_key}/accounts`, { token: alice.token });
    expect(accounts.status).toBe(200);
    expect(accounts.body.map((a) => a.id)).toEqual([dave.id, carol.id, bob.id]);
    const mention = (await grouped(alice)).body.notification_groups.find((g) => g.type === "mention")!;
    expect((await api.request("GET", `/api/v2/notifications/${mention.group_key}`, { token: alice.token })).status).toBe(200);

    const dismissed = await api.request("POST", `/api/v2/notifications/${fav.group_key}/dismiss`, { token: alice.token });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toEqual({});
    expect((await grouped(alice)).body.notification_groups.map((g) => g.type)).toEqual(["mention", "follow", "reblog"]);
    expect((await api.request("GET", `/api/v2/notifications/${fav.group_key}`, { token: alice.token })).status).toBe(404);
    expect((await api.request("POST", `/api/v2/notifications/${fav.group_key}/dismiss`, { token: alice.token })).status).toBe(404);
  });

  it("404 for someone else's group and for keys that name none; 401 and 403 by scope", async () => {
    const { alice } = await busyAlice();
    const [other, reader] = await Promise.all([freshUser("other"), freshUser("reader", ["read"])]);
    const fav = (await grouped(alice)).body.notification_groups.find((g) => g.type === "favourite")!;
    for (const path of [fav.group_key, `${fav.group_key}/accounts`]) {
      expect((await api.request("GET", `/api/v2/notifications/${path}`, { token: other.token })).status).toBe(404);
    }
    expect((await api.request("POST", `/api/v2/notifications/${fav.group_key}/dismiss`, { token: other.token })).status).toBe(404);
    for (const key of ["nonsense", "ungrouped-abc", "favourite-1", "ungrouped-99999999", "favourite-99999999-1"]) {
      expect((await api.request("GET", `/api/v2/notifications/${key}`, { token: alice.token })).status, key).toBe(404);
    }
    expect((await api.request("GET", `/api/v2/notifications/${fav.group_key}`)).status).toBe(401);
    expect((await api.request("POST", `/api/v2/notifications/${fav.group_key}/dismiss`, { token: reader.token })).status).toBe(403);
    expect((await grouped(alice)).body.notification_groups.some((g) => g.group_key === fav.group_key)).toBe(true);
  });
});

describe("unread counts", () => {
  it("count past the notifications marker: notifications (v1) and groups (v2)", async () => {
    const { alice, carol } = await busyAlice();
    const count = async (path: string, query = "") => {
      const res = await api.request<{ count: number }>("GET", `${path}/unread_count${query}`, { token: alice.token });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body)).toEqual(["count"]);
      return res.body.count;
    };
    expect(await count("/api/v1/notifications")).toBe(7);
    expect(await count("/api/v2/notifications")).toBe(4);
    expect(await count("/api/v2/notifications", "?grouped_types[]=reblog")).toBe(6);
    expect(await count("/api/v2/notifications", "?types[]=favourite")).toBe(1);
    const v1 = await api.request<MastodonNotification[]>("GET", "/api/v1/notifications", { token: alice.token });
    // Read up to the follow: the mention alone is unread.
    const follow = v1.body.find((n) => n.type === "follow")!;
    const marker = await api.request("POST", "/api/v1/markers", { token: alice.token, json: { notifications: { last_read_id: follow.id } } });
    expect(marker.status, marker.text).toBe(200);
    expect(await count("/api/v1/notifications")).toBe(1);
    expect(await count("/api/v2/notifications")).toBe(1);
    // A new favourite by carol (boosted already, favourited already: a new post) is unread too.
    const again = await api.post(alice, { status: "again" });
    await ok("POST", `/api/v1/statuses/${again.id}/favourite`, carol);
    expect(await count("/api/v2/notifications")).toBe(2);
    expect(await count("/api/v1/notifications", "?limit=1")).toBe(1);
  });

  it("401, 403 and 422", async () => {
    const [writer, alice] = await Promise.all([freshUser("uw", ["write"]), freshUser("u422")]);
    expect((await api.request("GET", "/api/v2/notifications/unread_count")).status).toBe(401);
    expect((await api.request("GET", "/api/v2/notifications/unread_count", { token: writer.token })).status).toBe(403);
    expect((await api.request("GET", "/api/v2/notifications/unread_count?limit=x", { token: alice.token })).status).toBe(422);
  });
});

describe("the notifications policy", () => {
  it("is Mastodon's shape, accepting everything; asking for filtering is refused", async () => {
    const [alice, reader, writer] = await Promise.all([freshUser("pol"), freshUser("polr", ["read"]), freshUser("polw", ["write"])]);
    const policy = await api.request<Record<string, unknown>>("GET", "/api/v2/notifications/policy", { token: alice.token });
    expect(policy.status).toBe(200);
    expect(policy.body).toEqual({
      for_not_following: "accept", for_not_followers: "accept", for_new_accounts: "accept",
      for_private_mentions: "accept", for_limited_accounts: "accept",
      summary: { pending_requests_count: 0, pending_notifications_count: 0 },
    });
    const same = await api.request("PATCH", "/api/v2/notifications/policy", { token: alice.token, json: { for_not_following: "accept" } });
    expect(same.status).toBe(200);
    expect(same.body).toEqual(policy.body);
    for (const body of [{ for_not_following: "filter" }, { for_new_accounts: "drop" }, { for_private_mentions: "maybe" }, { for_not_followers: ["accept"] }]) {
      expect((await api.request("PATCH", "/api/v2/notifications/policy", { token: alice.token, json: body })).status, JSON.stringify(body)).toBe(422);
    }
    expect((await api.request("GET", "/api/v2/notifications/policy")).status).toBe(401);
    expect((await api.request("GET", "/api/v2/notifications/policy", { token: writer.token })).status).toBe(403);
    expect((await api.request("PATCH", "/api/v2/notifications/policy", { token: reader.token, json: {} })).status).toBe(403);
  });
});
