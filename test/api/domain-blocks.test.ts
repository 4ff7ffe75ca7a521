/**
 * /api/v1/domain_blocks: the domains a person blocks, normalised (lower
 * case, punycode), listed as strings newest first with Link paging; a
 * malformed domain or one's own is a 422. (Effects across servers:
 * test/federation/user-domain-blocks.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
});

afterAll(async () => {
  await api?.close();
});

const list = (query = "") => api.request<string[]>("GET", `/api/v1/domain_blocks${query}`, { token: alice.token });
const block = (domain: unknown, token = alice.token) => api.request("POST", "/api/v1/domain_blocks", { token, json: { domain } });

describe("domain blocks", () => {
  it("blocks, lists with paging and unblocks normalised domains", async () => {
    expect((await block("Spam.Example")).status).toBe(200);
    expect((await block("bücher.example")).status).toBe(200);
    expect((await block("spam.example")).status).toBe(200);
    expect((await list()).body).toEqual(["xn--bcher-kva.example", "spam.example"]);
    const first = await list("?limit=1");
    expect(first.body).toEqual(["xn--bcher-kva.example"]);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const second = await api.request<string[]>("GET", new URL(next!).pathname + new URL(next!).search, { token: alice.token });
    expect(second.body).toEqual(["spam.example"]);
    const removed = await api.request("DELETE", "/api/v1/domain_blocks?domain=SPAM.example", { token: alice.token });
    expect(removed.status, removed.text).toBe(200);
    expect((await list()).body).toEqual(["xn--bcher-kva.example"]);
  });

  it("refuses a malformed domain, none, and its own server's", async () => {
    for (const bad of ["not a domain", "https://spam.example/", "spam..example", "a@b.example", "*.spam.example", "", ["x.example"]]) {
      const r = await block(bad);
      expect(r.status, `${JSON.stringify(bad)}: ${r.text}`).toBe(422);
    }
    expect((await api.request("POST", "/api/v1/domain_blocks", { token: alice.token, json: {} })).status).toBe(422);
    expect((await block(new URL(api.running.config.origin).host)).status).toBe(422);
  });

  it("asks for a token with the blocks scopes (or follow)", async () => {
    expect((await api.request("GET", "/api/v1/domain_blocks")).status).toBe(401);
    const read = await api.token(alice, ["read"]);
    expect((await block("x.example", read)).status).toBe(403);
    const follow = await api.token(alice, ["follow"]);
    expect((await block("x.example", follow)).status).toBe(200);
    expect((await api.request("GET", "/api/v1/domain_blocks", { token: follow })).status).toBe(200);
  });
});
