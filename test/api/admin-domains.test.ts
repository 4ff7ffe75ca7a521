/**
 * Mastodon's admin API for domain blocks and allows, backed by the
 * federation policy: what an admin app (or Mastodon's own admin tooling)
 * sets here is what the policy decides at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser } from "../../src/domain/accounts.ts";
import { decisionFor } from "../../src/domain/policy.ts";
import { type Api, startApi } from "./support.ts";

let api: Api;
const tokens: Record<string, string> = {};
const BLOCKS = "/api/v1/admin/domain_blocks";
const ALLOWS = "/api/v1/admin/domain_allows";
type Block = { id: string; domain: string; severity: string; public_comment: string | null; digest: string; created_at: string };

beforeAll(async () => {
  api = await startApi();
  const admin = await createUser(api.running.deps.db, api.running.config.origin, { username: "chief", email: "chief@plein.test", password: "correct horse battery", admin: true });
  const person = await api.user("person");
  tokens.admin = await api.token(admin, ["admin:read", "admin:write"]);
  tokens.fine = await api.token(admin, ["admin:read:domain_blocks", "admin:write:domain_blocks"]);
  tokens.noAdminScope = await api.token(admin, ["read", "write"]);
  tokens.person = await api.token(person.actor, ["admin:read", "admin:write"]);
});

afterAll(async () => {
  await api?.close();
});

const decision = (host: string) => decisionFor(api.running.deps.db, host);

describe("domain blocks", () => {
  test("an admin blocks a domain and its subdomains (suspend), lists, reads, changes and lifts it", async () => {
    const created = await api.request<Block>("POST", BLOCKS, { token: tokens.admin, json: { domain: "Spam.Example", severity: "suspend", public_comment: "spam" } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: "*.spam.example", domain: "spam.example", severity: "suspend", public_comment: "spam" });
    expect(created.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await decision("spam.example")).toBe("block");
    expect(await decision("mx.spam.example")).toBe("block");

    const list = await api.request<Block[]>("GET", BLOCKS, { token: tokens.fine });
    expect(list.body.map((b) => b.id)).toEqual(["*.spam.example"]);
    expect((await api.request<Block>("GET", `${BLOCKS}/${encodeURIComponent("*.spam.example")}`, { token: tokens.admin })).body.domain).toBe("spam.example");

    const changed = await api.request<Block>("PUT", `${BLOCKS}/${encodeURIComponent("*.spam.example")}`, { token: tokens.admin, json: { severity: "silence" } });
    expect(changed.body).toMatchObject({ severity: "silence", public_comment: "spam" });
    expect(await decision("spam.example")).toBe("silence");

    expect((await api.request("DELETE", `${BLOCKS}/${encodeURIComponent("*.spam.example")}`, { token: tokens.admin })).status).toBe(200);
    expect(await decision("spam.example")).toBe("allow");
    expect((await api.request<Block[]>("GET", BLOCKS, { token: tokens.admin })).body).toEqual([]);
  });

  test("severity defaults to silence, as in Mastodon; a form body works too", async () => {
    const res = await api.request<Block>("POST", BLOCKS, { token: tokens.admin, form: { domain: "loud.example" } });
    expect(res.body.severity).toBe("silence");
    expect(await decision("loud.example")).toBe("silence");
  });

  test("malformed input is a 422 and changes nothing", async () => {
    for (const json of [{}, { domain: "" }, { domain: "not a domain" }, { domain: "x.example", severity: "nuke" }, { domain: "x.example", severity: "noop" }, { domain: ["a.example"] }, { domain: "plein.test", severity: "suspend" }]) {
      const res = await api.request("POST", BLOCKS, { token: tokens.admin, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    expect(await decision("x.example")).toBe("allow");
  });

  test("unknown ids are a 404; an allow is not a block", async () => {
    await api.request("POST", ALLOWS, { token: tokens.admin, json: { domain: "friend.example" } });
    for (const id of ["nothing.example", "*.friend.example", "%00", "a..b"]) {
      expect((await api.request("GET", `${BLOCKS}/${encodeURIComponent(id)}`, { token: tokens.admin })).status, id).toBe(404);
      expect((await api.request("DELETE", `${BLOCKS}/${encodeURIComponent(id)}`, { token: tokens.admin })).status, id).toBe(404);
    }
  });

  test("only instance admins with an admin scope: 401 without a token, 403 otherwise", async () => {
    expect((await api.request("GET", BLOCKS)).status).toBe(401);
    expect((await api.request("GET", BLOCKS, { token: tokens.noAdminScope })).status).toBe(403);
    expect((await api.request("GET", BLOCKS, { token: tokens.person })).status).toBe(403);
    expect((await api.request("POST", BLOCKS, { token: tokens.person, json: { domain: "evil.example", severity: "suspend" } })).status).toBe(403);
    expect((await api.request("POST", ALLOWS, { token: tokens.fine, json: { domain: "x.example" } })).status).toBe(403);
    expect(await decision("evil.example")).toBe("allow");
  });
});

describe("domain allows", () => {
  test("an allow is a rule the allowlist mode lets in; listed, read and removed", async () => {
    const res = await api.request<{ id: string; domain: string }>("POST", ALLOWS, { token: tokens.admin, json: { domain: "partner.example" } });
    expect(res.body).toMatchObject({ id: "*.partner.example", domain: "partner.example" });
    const list = await api.request<Array<{ id: string }>>("GET", ALLOWS, { token: tokens.admin });
    expect(list.body.map((a) => a.id)).toContain("*.partner.example");
    expect((await api.request("GET", `${ALLOWS}/${encodeURIComponent("*.partner.example")}`, { token: tokens.admin })).status).toBe(200);
    expect((await api.request("DELETE", `${ALLOWS}/${encodeURIComponent("*.partner.example")}`, { token: tokens.admin })).status).toBe(200);
    expect((await api.request("GET", `${ALLOWS}/${encodeURIComponent("*.partner.example")}`, { token: tokens.admin })).status).toBe(404);
  });
});
