/**
 * /api/plein/v1/federation: the instance federation policy through Plein's
 * API. Every role (anonymous, a person, an admin without the admin scope,
 * with read only, with both, with Mastodon's finer scopes), malformed input
 * (never a 500, errors as JSON, nothing changed), and the public list.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { currentPolicy, decisionFor } from "../../src/domain/policy.ts";
import { storeRemoteActor } from "../support/policy.ts";
import { type Api, startApi } from "./support.ts";

const V1 = "/api/plein/v1";
let api: Api;
let admin: Actor;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  api = await startApi();
  const db = api.running.deps.db;
  admin = await createUser(db, api.running.config.origin, { username: "chief", email: "chief@plein.test", password: "correct horse battery", admin: true });
  const person = await api.user("person");
  tokens.admin = await api.token(admin, ["read", "admin:read", "admin:write"]);
  tokens.adminReadOnly = await api.token(admin, ["admin:read"]);
  tokens.adminFine = await api.token(admin, ["admin:read:domain_blocks", "admin:write:domain_blocks"]);
  tokens.adminNoAdminScope = await api.token(admin, ["read", "write", "follow"]);
  tokens.person = person.token;
  tokens.personWithAdminScope = await api.token(person, ["admin:read", "admin:write"]);
});

afterAll(async () => {
  await api?.close();
});

const put = (path: string, json: unknown, token = tokens.admin) => api.request<Record<string, unknown>>("PUT", `${V1}${path}`, { token, json });
const get = (path: string, token: string | undefined = tokens.admin) => api.request<Record<string, unknown>>("GET", `${V1}${path}`, token ? { token } : {});
const del = (path: string, token = tokens.admin) => api.request<Record<string, unknown>>("DELETE", `${V1}${path}`, { token });

describe("who may read and change the policy", () => {
  test.each([
    ["nobody", undefined, 401],
    ["an invalid token", "not-a-valid-token-at-all", 401],
    ["a person", "person", 403],
    ["a person whose token has the admin scopes", "personWithAdminScope", 403],
    ["an admin whose token lacks the admin scope", "adminNoAdminScope", 403],
  ])("%s: refused", async (_who, key, status) => {
    const token = key === undefined ? undefined : tokens[key] ?? key;
    const requests = [
      api.request("GET", `${V1}/federation`, token ? { token } : {}),
      api.request("PUT", `${V1}/federation`, { ...(token ? { token } : {}), json: { mode: "open" } }),
      api.request("GET", `${V1}/federation/domains`, token ? { token } : {}),
      api.request("PUT", `${V1}/federation/domains/evil.example`, { ...(token ? { token } : {}), json: { action: "block" } }),
      api.request("DELETE", `${V1}/federation/domains/evil.example`, token ? { token } : {}),
    ];
    for (const res of await Promise.all(requests)) {
      expect(res.status).toBe(status);
      expect(typeof res.body.error).toBe("string");
    }
    expect(await currentPolicy(api.running.deps.db)).toMatchObject({ mode: "blocklist", rules: [] });
  });

  test("an admin with admin:read reads but does not write", async () => {
    expect((await get("/federation", tokens.adminReadOnly)).body).toEqual({ mode: "blocklist", published: false, domains_count: 0 });
    expect((await get("/federation/domains", tokens.adminReadOnly)).body).toEqual([]);
    expect((await put("/federation", { mode: "open" }, tokens.adminReadOnly)).status).toBe(403);
    expect((await put("/federation/domains/evil.example", { action: "block" }, tokens.adminReadOnly)).status).toBe(403);
  });

  test("an admin with Mastodon's finer domain scopes reads and writes", async () => {
    expect((await put("/federation/domains/fine.example", { action: "silence" }, tokens.adminFine)).status).toBe(200);
    expect((await get("/federation/domains", tokens.adminFine)).status).toBe(200);
    expect((await del("/federation/domains/fine.example", tokens.adminFine)).status).toBe(200);
  });
});

describe("the mode and publication", () => {
  test("PUT changes them (JSON or form) and the policy takes it at once", async () => {
    expect((await put("/federation", { mode: "allowlist" })).body).toEqual({ mode: "allowlist", published: false, domains_count: 0 });
    expect(await decisionFor(api.running.deps.db, "anyone.example")).toBe("block");
    const form = await api.request<Record<string, unknown>>("PUT", `${V1}/federation`, { token: tokens.admin, form: { mode: "blocklist", published: "true" } });
    expect(form.body).toEqual({ mode: "blocklist", published: true, domains_count: 0 });
    expect(await decisionFor(api.running.deps.db, "anyone.example")).toBe("allow");
    expect((await put("/federation", { published: false })).body).toMatchObject({ mode: "blocklist", published: false });
  });

  test.each([
    [{}, 422, /mode or published/],
    [{ mode: "closed" }, 422, /mode must be one of open, blocklist, allowlist/],
    [{ mode: ["open"] }, 422, /mode must be a string/],
    [{ published: "perhaps" }, 422, /published must be true or false/],
  ])("PUT %j is refused (%i)", async (body, status, message) => {
    const res = await put("/federation", body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(message);
    expect((await currentPolicy(api.running.deps.db)).mode).toBe("blocklist");
  });

  test("a malformed body is a 400, another content type a 415", async () => {
    expect((await api.request("PUT", `${V1}/federation`, { token: tokens.admin, body: "{mode:", contentType: "application/json" })).status).toBe(400);
    expect((await api.request("PUT", `${V1}/federation`, { token: tokens.admin, body: "mode=open", contentType: "text/plain" })).status).toBe(415);
    expect((await api.request("PUT", `${V1}/federation`, { token: tokens.admin, json: ["open"] })).status).toBe(422);
  });
});

describe("domain rules", () => {
  test("PUT sets a rule, GET lists them, DELETE drops one; *. may be sent as it is or as %2A", async () => {
    const block = await put("/federation/domains/Evil.Example", { action: "block", comment: "spam" });
    expect(block.status).toBe(200);
    expect(block.body).toMatchObject({ domain: "evil.example", action: "block", comment: "spam" });
    expect(typeof block.body.created_at).toBe("string");
    expect((await put("/federation/domains/*.example.nl", { action: "allow" })).body).toMatchObject({ domain: "*.example.nl", action: "allow" });
    expect((await put("/federation/domains/%2A.quiet.example", { action: "silence" })).body).toMatchObject({ domain: "*.quiet.example" });
    // Replacing a rule keeps its comment unless a new one is given.
    expect((await put("/federation/domains/evil.example", { action: "silence" })).body).toMatchObject({ action: "silence", comment: "spam" });
    const list = await get("/federation/domains");
    expect((list.body as unknown as Array<{ domain: string; action: string }>).map((r) => [r.domain, r.action]))
      .toEqual([["evil.example", "silence"], ["*.example.nl", "allow"], ["*.quiet.example", "silence"]]);
    expect(await decisionFor(api.running.deps.db, "a.quiet.example")).toBe("silence");
    expect((await get("/federation")).body).toMatchObject({ domains_count: 3 });

    expect((await del("/federation/domains/%2A.quiet.example")).body).toEqual({});
    expect(await decisionFor(api.running.deps.db, "a.quiet.example")).toBe("allow");
    const missing = await del("/federation/domains/never.example");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no rule for never\.example/);
    await del("/federation/domains/evil.example");
    await del("/federation/domains/*.example.nl");
  });

  test("purge (with block) removes what we hold from the domain and says what", async () => {
    const actor = await storeRemoteActor(api.running.deps.db, "plein.test", "https://spam.example/users/s");
    await api.running.deps.db.insertInto("posts").values({
      iri: `${actor.iri}/1`, actor_id: actor.id, local: false, type: "Note", visibility: "public", published_at: new Date(),
    }).execute();
    const res = await put("/federation/domains/spam.example", { action: "block", purge: true });
    expect(res.status).toBe(200);
    expect(res.body.purged).toEqual({ posts: 1, likes: 0, follows: 0, memberships: 0, notifications: 0 });
    expect((await put("/federation/domains/spam.example", { action: "block" })).body.purged).toBeUndefined();
    await del("/federation/domains/spam.example");
  });

  test.each([
    ["https%3A%2F%2Fevil.example", { action: "block" }, /not a URL/],
    ["evil.example%3A443", { action: "block" }, /without a port/],
    ["a%20b.example", { action: "block" }, /not a domain/],
    ["a.*.example", { action: "block" }, /wildcard/],
    ["plein.test", { action: "block" }, /own domain/],
    ["evil.example", {}, /action is required/],
    ["evil.example", { action: "mute" }, /action must be one of allow, silence, block/],
    ["evil.example", { action: "allow", purge: true }, /purge goes with action block/],
    ["evil.example", { action: "block", purge: "maybe" }, /purge must be true or false/],
    ["evil.example", { action: "block", comment: { text: "x" } }, /comment must be a string/],
    ["evil.example", { action: "block", comment: "x".repeat(1001) }, /comment is longer than 1000/],
    ["evil.example", { action: "block", comment: "a\u0000b" }, /NUL/],
  ])("PUT /federation/domains/%s %j is a 422 and changes nothing", async (domain, body, message) => {
    const res = await put(`/federation/domains/${domain}`, body);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(message);
    expect((await currentPolicy(api.running.deps.db)).rules).toEqual([]);
  });

  test("DELETE of a malformed domain is a 422", async () => {
    expect((await del("/federation/domains/https%3A%2F%2Fx")).status).toBe(422);
  });
});

describe("the public list", () => {
  test("is a 404 until the admins publish the policy; then anyone reads the mode and the rules with their comments", async () => {
    await put("/federation/domains/evil.example", { action: "block", comment: "harassment" });
    const hidden = await get("/federation/public", undefined);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error).toMatch(/does not publish/);
    await put("/federation", { published: true });
    const shown = await get("/federation/public", undefined);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ mode: "blocklist", domains: [{ domain: "evil.example", action: "block", comment: "harassment" }] });
    await put("/federation", { published: false });
    expect((await get("/federation/public", undefined)).status).toBe(404);
    await del("/federation/domains/evil.example");
  });

  test("the OpenAPI document describes every path", async () => {
    const doc = await get("/openapi.json", undefined);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths["/federation"] ?? {}).sort()).toEqual(["get", "put"]);
    expect(Object.keys(paths["/federation/domains"] ?? {})).toEqual(["get"]);
    expect(Object.keys(paths["/federation/domains/{domain}"] ?? {}).sort()).toEqual(["delete", "put"]);
    expect(Object.keys(paths["/federation/public"] ?? {})).toEqual(["get"]);
  });
});
