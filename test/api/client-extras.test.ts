/**
 * What Mastodon apps ask for at start-up besides posts: markers and
 * preferences, the instance's peers, rules and published domain blocks, and
 * the lists Plein answers empty in Mastodon's shapes.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDomainRule, updateFederationSettings } from "../../src/domain/policy.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;

interface MarkerJson { last_read_id: string; version: number; updated_at: string }
type Markers = Partial<Record<"home" | "notifications", MarkerJson>>;

beforeAll(async () => {
  api = await startApi();
  [alice, bob] = await Promise.all(["alice", "bob"].map((n) => api.user(n))) as [User, User];
});

afterAll(async () => {
  await api?.close();
});

describe("markers", () => {
  it("are set per timeline, in JSON or a form, with a version that counts the changes", async () => {
    expect((await api.request<Markers>("GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications", { token: alice.token })).body).toEqual({});
    const set = await api.request<Markers>("POST", "/api/v1/markers", { token: alice.token, json: { home: { last_read_id: "103" } } });
    expect(set.status).toBe(200);
    expect(Object.keys(set.body)).toEqual(["home"]);
    expect([set.body.home!.last_read_id, set.body.home!.version]).toEqual(["103", 1]);
    expect(Number.isNaN(Date.parse(set.body.home!.updated_at))).toBe(false);

    const form = await api.request<Markers>("POST", "/api/v1/markers",
      { token: alice.token, form: { "home[last_read_id]": "105", "notifications[last_read_id]": "7" } });
    expect([form.body.home!.last_read_id, form.body.home!.version]).toEqual(["105", 2]);
    expect([form.body.notifications!.last_read_id, form.body.notifications!.version]).toEqual(["7", 1]);

    const both = await api.request<Markers>("GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications", { token: alice.token });
    expect(both.body.home!.last_read_id).toBe("105");
    expect(both.body.notifications!.last_read_id).toBe("7");
    const one = await api.request<Markers>("GET", "/api/v1/markers?timeline[]=notifications&timeline[]=unknown", { token: alice.token });
    expect(Object.keys(one.body)).toEqual(["notifications"]);
    // Each account has its own.
    expect((await api.request<Markers>("GET", "/api/v1/markers?timeline[]=home", { token: bob.token })).body).toEqual({});
  });

  it("401 without a token, 403 without the statuses scopes, 422 for a malformed id", async () => {
    expect((await api.request("GET", "/api/v1/markers?timeline[]=home")).status).toBe(401);
    expect((await api.request("POST", "/api/v1/markers", { json: { home: { last_read_id: "1" } } })).status).toBe(401);
    const accountsOnly = await api.token(alice, ["read:accounts", "write:accounts"]);
    expect((await api.request("GET", "/api/v1/markers?timeline[]=home", { token: accountsOnly })).status).toBe(403);
    expect((await api.request("POST", "/api/v1/markers", { token: accountsOnly, json: { home: { last_read_id: "1" } } })).status).toBe(403);
    for (const json of [{ home: { last_read_id: "abc" } }, { notifications: { last_read_id: ["1"] } }, { home: { last_read_id: -1 } }]) {
      expect((await api.request("POST", "/api/v1/markers", { token: alice.token, json })).status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request("POST", "/api/v1/markers", { token: alice.token, json: "x" })).status).toBe(422);
  });
});

describe("preferences", () => {
  it("answers Mastodon's keys to the signed-in account", async () => {
    const res = await api.request<Record<string, unknown>>("GET", "/api/v1/preferences", { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      "posting:default:visibility": "public", "posting:default:sensitive": false, "posting:default:language": null,
      "reading:expand:media": "default", "reading:expand:spoilers": false,
    });
    expect((await api.request("GET", "/api/v1/preferences")).status).toBe(401);
    expect((await api.request("GET", "/api/v1/preferences", { token: await api.token(alice, ["read:statuses"]) })).status).toBe(403);
  });
});

describe("the instance's peers, rules and domain blocks", () => {
  it("peers and rules are empty lists for anyone", async () => {
    for (const path of ["/api/v1/instance/peers", "/api/v1/instance/rules"]) {
      const res = await api.request<unknown[]>("GET", path);
      expect([res.status, res.body]).toEqual([200, []]);
    }
  });

  it("domain blocks are the published federation policy's blocked and silenced servers; 404 while unpublished", async () => {
    const { db, config } = { db: api.running.deps.db, config: api.running.config };
    await setDomainRule(db, config.origin.host, { domain: "spam.example", subdomains: false }, { action: "block", comment: "spam" });
    await setDomainRule(db, config.origin.host, { domain: "loud.example", subdomains: true }, { action: "silence" });
    await setDomainRule(db, config.origin.host, { domain: "friend.example", subdomains: false }, { action: "allow" });
    expect((await api.request("GET", "/api/v1/instance/domain_blocks")).status).toBe(404);
    await updateFederationSettings(db, { published: true });
    const res = await api.request<Array<Record<string, unknown>>>("GET", "/api/v1/instance/domain_blocks");
    expect(res.status).toBe(200);
    const sha = (d: string) => createHash("sha256").update(d).digest("hex");
    expect([...res.body].sort((a, b) => String(a.domain).localeCompare(String(b.domain)))).toEqual([
      { domain: "loud.example", digest: sha("loud.example"), severity: "silence", comment: null },
      { domain: "spam.example", digest: sha("spam.example"), severity: "suspend", comment: "spam" },
    ]);
  });
});

describe("lists Plein answers empty", () => {
  const cases: Array<[path: string, scope: string | null, otherScope: string]> = [
    ["/api/v1/custom_emojis", null, ""],
    ["/api/v1/trends", null, ""],
    ["/api/v1/trends/tags", null, ""],
    ["/api/v1/trends/statuses", null, ""],
    ["/api/v1/trends/links", null, ""],
    ["/api/v1/announcements", "read", "write"],
    ["/api/v2/suggestions", "read", "write"],
    ["/api/v1/featured_tags", "read:accounts", "read:statuses"],
    ["/api/v1/featured_tags/suggestions", "read:accounts", "read:statuses"],
    ["/api/v1/followed_tags", "read:follows", "read:statuses"],
  ];

  it.each(cases)("%s: [] with the right scope; 401 and 403 where a token is needed", async (path, scope, otherScope) => {
    const ok = await api.request<unknown[]>("GET", path, { token: await api.token(alice, scope ? [scope] : ["read"]) });
    expect([ok.status, ok.body]).toEqual([200, []]);
    if (scope === null) {
      expect((await api.request<unknown[]>("GET", path)).body).toEqual([]);
      return;
    }
    expect((await api.request("GET", path)).status).toBe(401);
    expect((await api.request("GET", path, { token: await api.token(alice, [otherScope]) })).status).toBe(403);
    expect((await api.request("GET", path, { token: await api.token(alice, ["read"]) })).status).toBe(200);
  });

  it("refuses malformed paging with 422", async () => {
    for (const path of ["/api/v1/trends/tags?limit=x", "/api/v1/trends/statuses?offset=-1",
      "/api/v1/followed_tags?limit=ten", "/api/v2/suggestions?limit=x"]) {
      expect((await api.request("GET", path, { token: alice.token })).status, path).toBe(422);
    }
  });
});
