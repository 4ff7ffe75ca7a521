/**
 * Every endpoint of the Mastodon API (/api/v1, /api/v2) and of Plein's own
 * (/api/plein/v1) against the refusals a
 * client meets: no token (401 where one is required), a token without the
 * scope (403, also where a token is optional), malformed input (400 for a body
 * that is not JSON, 422 for parameters that are wrong), an id that names
 * nothing (404). Each answer is JSON `{"error": string}` (support.ts checks
 * that, and that nothing is a 500). The table must name every route the app
 * serves under those prefixes, so a new endpoint comes with its row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../src/domain/accounts.ts";
import { type Api, type User, startApi } from "./support.ts";

type Auth = "required" | "optional" | "none";

interface Row {
  /** as the route is registered: `GET /api/v1/lists/:id` */
  route: string;
  auth: Auth;
  /** the path's ids: a fixture's name for each `:param` (`status`, `account`, ...); missing ones take `nowhere` */
  ids?: Record<string, Fixture>;
  /** input that is wrong: sent as JSON to the path with the fixtures' ids, answered 422 */
  invalid?: Record<string, unknown>;
  /** a query string that is wrong (422), e.g. `limit=abc` */
  invalidQuery?: string;
  /** the route reads a body: a body that is not JSON is a 400 */
  body?: true;
  /** a body that is right but for the path's id (the 404 check sends `{}` otherwise) */
  validBody?: (f: Record<Fixture, string>) => Record<string, unknown>;
  /** an id that names nothing is not a 404 here: why */
  noNotFound?: string;
  /** the route is checked elsewhere: where */
  elsewhere?: string;
}

type Fixture = "status" | "account" | "list" | "filter" | "keyword" | "poll" | "group" | "groupPost" | "domain";

const NOWHERE = "99999999999";
const BAD_LIMIT = "limit=abc";

const ROWS: Row[] = [
  { route: "POST /api/v1/apps", auth: "none", body: true, invalid: { client_name: "x", redirect_uris: "javascript:alert(1)" } },
  { route: "GET /api/v1/apps/verify_credentials", auth: "required", elsewhere: "oauth.test.ts (any token of an app; no scope of its own)" },
  { route: "GET /api/v1/instance", auth: "none" },
  { route: "GET /api/v2/instance", auth: "none" },
  { route: "GET /api/v1/instance/peers", auth: "none" },
  { route: "GET /api/v1/instance/rules", auth: "none" },
  { route: "GET /api/v1/instance/domain_blocks", auth: "none", noNotFound: "no id; a 404 while the policy is not published: client-extras.test.ts" },
  { route: "GET /api/v1/accounts/verify_credentials", auth: "required" },
  { route: "PATCH /api/v1/accounts/update_credentials", auth: "required", body: true, invalid: { display_name: "x".repeat(31) } },
  { route: "GET /api/v1/accounts/lookup", auth: "optional", invalidQuery: "acct[]=a" },
  // Ids that are no ids are left out (as unknown ones), so nothing there is a 422.
  { route: "GET /api/v1/accounts/relationships", auth: "required" },
  { route: "GET /api/v1/accounts/familiar_followers", auth: "required" },
  { route: "GET /api/v1/accounts/search", auth: "required", invalidQuery: `q=a&${BAD_LIMIT}` },
  { route: "GET /api/v1/accounts/:id", auth: "optional" },
  { route: "GET /api/v1/accounts/:id/statuses", auth: "optional", ids: { id: "account" }, invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/accounts/:id/featured_tags", auth: "optional" },
  { route: "GET /api/v1/accounts/:id/followers", auth: "optional", ids: { id: "account" }, invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/accounts/:id/following", auth: "optional", ids: { id: "account" }, invalidQuery: BAD_LIMIT },
  { route: "POST /api/v1/accounts/:id/follow", auth: "required", ids: { id: "account" }, body: true, invalid: { reblogs: "perhaps" } },
  { route: "POST /api/v1/accounts/:id/note", auth: "required", ids: { id: "account" }, body: true, invalid: { comment: ["x"] } },
  { route: "POST /api/v1/accounts/:id/unfollow", auth: "required" },
  { route: "POST /api/v1/accounts/:id/block", auth: "required" },
  { route: "POST /api/v1/accounts/:id/unblock", auth: "required" },
  { route: "POST /api/v1/accounts/:id/mute", auth: "required", ids: { id: "account" }, body: true, invalid: { duration: -5 } },
  { route: "POST /api/v1/accounts/:id/unmute", auth: "required" },
  { route: "GET /api/v1/accounts/:id/lists", auth: "required" },
  { route: "POST /api/v1/statuses", auth: "required", body: true, invalid: { status: "x", visibility: "everyone" } },
  { route: "GET /api/v1/statuses/:id", auth: "optional" },
  { route: "PUT /api/v1/statuses/:id", auth: "required", ids: { id: "status" }, body: true, invalid: { status: ["x"] } },
  { route: "DELETE /api/v1/statuses/:id", auth: "required" },
  { route: "GET /api/v1/statuses/:id/history", auth: "optional" },
  { route: "GET /api/v1/statuses/:id/source", auth: "required" },
  { route: "GET /api/v1/statuses/:id/context", auth: "optional" },
  { route: "POST /api/v1/statuses/:id/favourite", auth: "required" },
  { route: "POST /api/v1/statuses/:id/unfavourite", auth: "required" },
  { route: "POST /api/v1/statuses/:id/bookmark", auth: "required" },
  { route: "POST /api/v1/statuses/:id/unbookmark", auth: "required" },
  { route: "POST /api/v1/statuses/:id/pin", auth: "required" },
  { route: "POST /api/v1/statuses/:id/unpin", auth: "required" },
  { route: "POST /api/v1/statuses/:id/reblog", auth: "required", ids: { id: "status" }, body: true, invalid: { visibility: "everyone" } },
  { route: "POST /api/v1/statuses/:id/unreblog", auth: "required" },
  { route: "GET /api/v1/statuses/:id/favourited_by", auth: "optional", ids: { id: "status" }, invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/statuses/:id/reblogged_by", auth: "optional", ids: { id: "status" }, invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/polls/:id", auth: "optional" },
  { route: "POST /api/v1/polls/:id/votes", auth: "required", ids: { id: "poll" }, body: true, invalid: { choices: ["9"] } },
  { route: "GET /api/v1/timelines/home", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/timelines/public", auth: "optional", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/timelines/tag/:hashtag", auth: "optional", invalidQuery: BAD_LIMIT, noNotFound: "a tag nobody used is an empty timeline, as Mastodon" },
  { route: "GET /api/v1/timelines/list/:list_id", auth: "required", ids: { list_id: "list" }, invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/follow_requests", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "POST /api/v1/follow_requests/:id/authorize", auth: "required" },
  { route: "POST /api/v1/follow_requests/:id/reject", auth: "required" },
  { route: "GET /api/v1/notifications", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/notifications/unread_count", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "POST /api/v1/notifications/clear", auth: "required" },
  { route: "GET /api/v1/notifications/:id", auth: "required" },
  { route: "POST /api/v1/notifications/:id/dismiss", auth: "required" },
  { route: "GET /api/v2/notifications", auth: "required", invalidQuery: "expand_accounts=some" },
  { route: "GET /api/v2/notifications/unread_count", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v2/notifications/policy", auth: "required" },
  { route: "PATCH /api/v2/notifications/policy", auth: "required", body: true, invalid: { for_not_following: "drop" } },
  { route: "GET /api/v2/notifications/:group_key", auth: "required" },
  { route: "GET /api/v2/notifications/:group_key/accounts", auth: "required" },
  { route: "POST /api/v2/notifications/:group_key/dismiss", auth: "required" },
  { route: "GET /api/v2/search", auth: "optional", invalidQuery: "q=a&type=everything" },
  { route: "GET /api/v1/bookmarks", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/favourites", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/blocks", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/mutes", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/markers", auth: "required" },
  { route: "POST /api/v1/markers", auth: "required", body: true, invalid: { home: { last_read_id: "abc" } } },
  { route: "GET /api/v1/preferences", auth: "required" },
  { route: "GET /api/v1/custom_emojis", auth: "none" },
  { route: "GET /api/v1/trends", auth: "optional", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/trends/tags", auth: "optional", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/trends/statuses", auth: "optional", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/trends/links", auth: "optional", invalidQuery: BAD_LIMIT },
  { route: "GET /api/v1/announcements", auth: "required" },
  { route: "GET /api/v2/suggestions", auth: "required" },
  { route: "GET /api/v1/followed_tags", auth: "required" },
  { route: "GET /api/v1/featured_tags", auth: "required" },
  { route: "GET /api/v1/featured_tags/suggestions", auth: "required" },
  { route: "GET /api/v1/conversations", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "DELETE /api/v1/conversations/:id", auth: "required" },
  { route: "POST /api/v1/conversations/:id/read", auth: "required" },
  { route: "GET /api/v1/domain_blocks", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "POST /api/v1/domain_blocks", auth: "required", body: true, invalid: { domain: "not a domain" } },
  { route: "DELETE /api/v1/domain_blocks", auth: "required", body: true, invalid: { domain: "not a domain" } },
  { route: "POST /api/v1/reports", auth: "required", body: true, invalid: { category: "annoying" } },
  { route: "GET /api/v1/lists", auth: "required" },
  { route: "POST /api/v1/lists", auth: "required", body: true, invalid: { title: "" } },
  { route: "GET /api/v1/lists/:id", auth: "required" },
  { route: "PUT /api/v1/lists/:id", auth: "required", ids: { id: "list" }, body: true, invalid: { replies_policy: "everyone" } },
  { route: "DELETE /api/v1/lists/:id", auth: "required" },
  { route: "GET /api/v1/lists/:id/accounts", auth: "required", ids: { id: "list" }, invalidQuery: BAD_LIMIT },
  { route: "POST /api/v1/lists/:id/accounts", auth: "required", ids: { id: "list" }, body: true, invalid: { account_ids: ["abc"] }, validBody: (f) => ({ account_ids: [f.account] }) },
  { route: "DELETE /api/v1/lists/:id/accounts", auth: "required", ids: { id: "list" }, body: true, invalid: { account_ids: ["abc"] }, validBody: (f) => ({ account_ids: [f.account] }) },
  { route: "GET /api/v2/filters", auth: "required" },
  { route: "POST /api/v2/filters", auth: "required", body: true, invalid: { title: "x", context: ["nowhere"] } },
  { route: "GET /api/v2/filters/:id", auth: "required" },
  { route: "PUT /api/v2/filters/:id", auth: "required", ids: { id: "filter" }, body: true, invalid: { filter_action: "explode" } },
  { route: "DELETE /api/v2/filters/:id", auth: "required" },
  { route: "GET /api/v2/filters/:id/keywords", auth: "required" },
  { route: "POST /api/v2/filters/:id/keywords", auth: "required", ids: { id: "filter" }, body: true, invalid: { keyword: "" }, validBody: () => ({ keyword: "more" }) },
  { route: "GET /api/v2/filter_keywords/:id", auth: "required" },
  { route: "PUT /api/v2/filter_keywords/:id", auth: "required", ids: { id: "keyword" }, body: true, invalid: { keyword: "" } },
  { route: "DELETE /api/v2/filter_keywords/:id", auth: "required" },
  { route: "GET /api/v2/filters/:id/statuses", auth: "required" },
  { route: "POST /api/v2/filters/:id/statuses", auth: "required", ids: { id: "filter" }, body: true, invalid: { status_id: ["x"] }, validBody: (f) => ({ status_id: f.status }) },
  { route: "GET /api/v2/filter_statuses/:id", auth: "required" },
  { route: "DELETE /api/v2/filter_statuses/:id", auth: "required" },
  { route: "GET /api/v1/filters", auth: "required" },
  { route: "GET /api/v1/filters/:id", auth: "required" },
  { route: "POST /api/v1/filters", auth: "required", body: true, invalid: { phrase: "", context: ["home"] } },
  { route: "PUT /api/v1/filters/:id", auth: "required", ids: { id: "keyword" }, body: true, invalid: { phrase: "x", context: ["nowhere"] } },
  { route: "DELETE /api/v1/filters/:id", auth: "required" },
  // The admin lists are not paged: no input.
  { route: "GET /api/v1/admin/domain_blocks", auth: "required" },
  { route: "GET /api/v1/admin/domain_blocks/:id", auth: "required" },
  { route: "POST /api/v1/admin/domain_blocks", auth: "required", body: true, invalid: { domain: "not a domain" } },
  { route: "PUT /api/v1/admin/domain_blocks/:id", auth: "required", elsewhere: "admin-domains.test.ts (severity noop: 422)" },
  { route: "DELETE /api/v1/admin/domain_blocks/:id", auth: "required" },
  { route: "GET /api/v1/admin/domain_allows", auth: "required" },
  { route: "GET /api/v1/admin/domain_allows/:id", auth: "required" },
  { route: "POST /api/v1/admin/domain_allows", auth: "required", body: true, invalid: { domain: "" } },
  { route: "DELETE /api/v1/admin/domain_allows/:id", auth: "required" },
  { route: "POST /api/v1/media", auth: "required", elsewhere: "media.test.ts (multipart only: a missing or broken file is a 422)" },
  { route: "POST /api/v2/media", auth: "required", elsewhere: "media.test.ts (multipart only: a missing or broken file is a 422)" },
  { route: "GET /api/v1/media/:id", auth: "required" },
  { route: "PUT /api/v1/media/:id", auth: "required", elsewhere: "media.test.ts (focus and description checked: 422)" },
  { route: "DELETE /api/v1/media/:id", auth: "required" },
  { route: "DELETE /api/v1/profile/avatar", auth: "required" },
  { route: "DELETE /api/v1/profile/header", auth: "required" },
  { route: "GET /api/v1/streaming/health", auth: "none" },
  ...["user", "user/notification", "public", "public/local", "public/remote", "hashtag", "hashtag/local", "list"].map((stream): Row => ({
    route: `GET /api/v1/streaming/${stream}`, auth: "optional", elsewhere: "streaming.test.ts (event streams: 401, 400 for an unknown or malformed stream)",
  })),

  // Plein's own API.
  { route: "GET /api/plein/v1/openapi.json", auth: "none" },
  { route: "GET /api/plein/v1/groups", auth: "optional", invalidQuery: `q=${"x".repeat(101)}` },
  { route: "POST /api/plein/v1/groups", auth: "required", body: true, invalid: { name: "" } },
  { route: "GET /api/plein/v1/groups/:id", auth: "optional" },
  { route: "PATCH /api/plein/v1/groups/:id", auth: "required", ids: { id: "group" }, body: true, invalid: { visibility: "everyone" } },
  { route: "POST /api/plein/v1/groups/:id/join", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/leave", auth: "required" },
  { route: "PATCH /api/plein/v1/groups/:id/membership", auth: "required", ids: { id: "group" }, body: true, invalid: { notify: "sometimes" } },
  { route: "GET /api/plein/v1/groups/:id/members", auth: "optional", ids: { id: "group" }, invalidQuery: "state=sleeping" },
  { route: "POST /api/plein/v1/groups/:id/requests/:account_id/approve", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/requests/:account_id/reject", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/invitations", auth: "required", validBody: (f) => ({ account_id: f.account }) },
  { route: "POST /api/plein/v1/groups/:id/members/:account_id/remove", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/members/:account_id/ban", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/members/:account_id/unban", auth: "required" },
  { route: "PUT /api/plein/v1/groups/:id/members/:account_id/role", auth: "required", validBody: () => ({ role: "moderator" }) },
  { route: "POST /api/plein/v1/groups/:id/transfer", auth: "required", validBody: (f) => ({ account_id: f.account }) },
  { route: "GET /api/plein/v1/groups/:id/moderation", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/moderation/:post_id/approve", auth: "required" },
  { route: "POST /api/plein/v1/groups/:id/moderation/:post_id/remove", auth: "required" },
  { route: "GET /api/plein/v1/groups/:id/posts", auth: "optional", ids: { id: "group" }, invalidQuery: BAD_LIMIT },
  { route: "POST /api/plein/v1/groups/:id/posts", auth: "required", ids: { id: "group" }, body: true, invalid: { module: "nonsense", text: "x" }, validBody: () => ({ module: "discussion", title: "t", text: "x" }) },
  { route: "GET /api/plein/v1/posts/:id", auth: "optional" },
  { route: "PATCH /api/plein/v1/posts/:id", auth: "required", ids: { id: "groupPost" }, body: true, invalid: { text: ["x"] } },
  { route: "DELETE /api/plein/v1/posts/:id", auth: "required" },
  // The whole thread, as a status's context: not paged, no input.
  { route: "GET /api/plein/v1/posts/:id/comments", auth: "optional" },
  { route: "POST /api/plein/v1/posts/:id/comments", auth: "required", ids: { id: "groupPost" }, body: true, invalid: { text: ["x"] }, validBody: () => ({ text: "a comment" }) },
  { route: "GET /api/plein/v1/attachments/:id", auth: "optional", elsewhere: "remote-media tests (a file, not JSON, for a signed-in viewer)" },
  { route: "POST /api/plein/v1/reports", auth: "required", body: true, invalid: { comment: ["x"] } },
  { route: "GET /api/plein/v1/federation/public", auth: "none", noNotFound: "a 404 while the policy is not published: federation-policy.test.ts" },
  { route: "GET /api/plein/v1/federation", auth: "required" },
  { route: "PUT /api/plein/v1/federation", auth: "required", body: true, invalid: { mode: "sometimes" } },
  { route: "GET /api/plein/v1/federation/domains", auth: "required" },
  { route: "PUT /api/plein/v1/federation/domains/:domain", auth: "required", ids: { domain: "domain" }, body: true, invalid: { action: "explode" }, noNotFound: "PUT makes the rule" },
  { route: "DELETE /api/plein/v1/federation/domains/:domain", auth: "required" },
  { route: "GET /api/plein/v1/groups/:id/audit", auth: "required" },
  { route: "GET /api/plein/v1/admin/audit", auth: "required", invalidQuery: BAD_LIMIT },
  { route: "POST /api/plein/v1/posts/:id/rsvp", auth: "required", validBody: () => ({ status: "going" }) },
  { route: "GET /api/plein/v1/posts/:id/attendees", auth: "optional" },
  { route: "GET /api/plein/v1/groups/:id/events", auth: "optional" },
  { route: "POST /api/plein/v1/groups/:id/files", auth: "required", elsewhere: "file module tests (multipart only)" },
  { route: "GET /api/plein/v1/posts/:id/file", auth: "optional", elsewhere: "file module tests (a file, not JSON)" },
  { route: "GET /api/plein/v1/groups/:id/wiki", auth: "optional" },
  { route: "GET /api/plein/v1/posts/:id/revisions", auth: "optional" },
  { route: "GET /api/plein/v1/posts/:id/revisions/:number", auth: "optional" },
  { route: "POST /api/plein/v1/posts/:id/revisions/:number/restore", auth: "required" },
  { route: "POST /api/plein/v1/posts/:id/accept", auth: "required", validBody: () => ({ answer_id: NOWHERE }) },
  { route: "DELETE /api/plein/v1/posts/:id/accept", auth: "required" },
];

/** A scope that allows nothing a route here asks for. */
const USELESS_SCOPE = ["push"];

let api: Api;
let alice: User;
let bob: User;
const fixtures = {} as Record<Fixture, string>;

beforeAll(async () => {
  api = await startApi();
  const admin = await createUser(api.running.deps.db, api.running.config.origin, {
    username: "alice", email: "alice@mail.example", password: "correct horse battery", admin: true,
  });
  alice = { actor: admin, id: admin.id, token: await api.token(admin, ["read", "write", "follow", "push", "admin:read", "admin:write"]) };
  bob = await api.user("bob");
  fixtures.account = bob.id;
  fixtures.domain = "example.nl";
  fixtures.status = (await api.post(alice, { status: "hello" })).id;
  const poll = await api.post(bob, { status: "which?", poll: { options: ["a", "b"], expires_in: 3600 } });
  fixtures.poll = poll.id;
  const list = await api.request<{ id: string }>("POST", "/api/v1/lists", { token: alice.token, json: { title: "friends" } });
  fixtures.list = list.body.id;
  const filter = await api.request<{ id: string; keywords: Array<{ id: string }> }>("POST", "/api/v2/filters", {
    token: alice.token, json: { title: "noise", context: ["home"], keywords_attributes: [{ keyword: "noise" }] },
  });
  fixtures.filter = filter.body.id;
  fixtures.keyword = filter.body.keywords[0]?.id ?? "";
  const group = await api.request<{ id: string }>("POST", "/api/plein/v1/groups", { token: alice.token, json: { name: "team" } });
  expect(group.status, group.text).toBe(200);
  fixtures.group = group.body.id;
  const groupPost = await api.request<{ id: string }>("POST", `/api/plein/v1/groups/${group.body.id}/posts`, {
    token: alice.token, json: { module: "discussion", title: "agenda", text: "what do we discuss?" },
  });
  expect(groupPost.status, groupPost.text).toBe(200);
  fixtures.groupPost = groupPost.body.id;
});

afterAll(async () => {
  await api.close();
});

const pathOf = (row: Row, withFixtures: boolean) => {
  const path = row.route.split(" ")[1] ?? "";
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const fixture = row.ids?.[name];
    if (withFixtures && fixture) return fixtures[fixture];
    return name === "hashtag" ? "nothinghere" : name === "domain" ? "nowhere.example" : NOWHERE;
  });
};
const methodOf = (row: Row) => row.route.split(" ")[0] ?? "";
const checked = ROWS.filter((r) => !r.elsewhere);

describe("the endpoint matrix", () => {
  it("names every route of /api/v1, /api/v2 and /api/plein/v1 that the app serves", () => {
    const table = new Set(ROWS.map((r) => r.route));
    const served = api.running.app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*") && /^\/api\/(v[12]|plein\/v1)\//.test(r.path))
      .map((r) => `${r.method} ${r.path}`);
    const missing = [...new Set(served)].filter((route) => !table.has(route));
    expect(missing, `add these to ROWS in endpoint-matrix.test.ts:\n${missing.join("\n")}`).toEqual([]);
    const phantom = [...table].filter((route) => !served.includes(route));
    expect(phantom, `not served:\n${phantom.join("\n")}`).toEqual([]);
  });

  it.each(checked.filter((r) => r.auth === "required").map((r) => [r.route, r]))("%s without a token: 401", async (_, row) => {
    const res = await api.request(methodOf(row), pathOf(row, true));
    expect(res.status, res.text).toBe(401);
  });

  it.each(checked.filter((r) => r.auth !== "none").map((r) => [r.route, r]))("%s with a token without its scope: 403", async (_, row) => {
    const token = await api.token(alice, USELESS_SCOPE);
    const res = await api.request(methodOf(row), pathOf(row, true), { token });
    expect(res.status, res.text).toBe(403);
  });

  it.each(checked.filter((r) => r.route.includes(":") && !r.noNotFound).map((r) => [r.route, r]))("%s for an id that names nothing: 404", async (_, row) => {
    const res = await api.request(methodOf(row), pathOf(row, false), { token: alice.token, json: methodOf(row) === "GET" ? undefined : row.validBody?.(fixtures) ?? {} });
    expect(res.status, res.text).toBe(404);
  });

  it.each(checked.filter((r) => r.body).map((r) => [r.route, r]))("%s with a body that is not JSON: 400", async (_, row) => {
    const res = await api.request(methodOf(row), pathOf(row, true), { token: alice.token, body: "{\"status\":", contentType: "application/json" });
    expect(res.status, res.text).toBe(400);
  });

  it.each(checked.filter((r) => r.invalid).map((r) => [r.route, r]))("%s with wrong parameters: 422", async (_, row) => {
    const res = await api.request(methodOf(row), pathOf(row, true), { token: alice.token, json: row.invalid });
    expect(res.status, res.text).toBe(422);
  });

  it.each(checked.filter((r) => r.invalidQuery).map((r) => [r.route, r]))("%s with a wrong query: 422", async (_, row) => {
    const res = await api.request(methodOf(row), `${pathOf(row, true)}?${row.invalidQuery}`, { token: alice.token });
    expect(res.status, res.text).toBe(422);
  });
});
