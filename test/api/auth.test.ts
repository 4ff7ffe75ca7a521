import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonCredentialAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { revokeToken } from "../../src/domain/tokens.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let publicPost: MastodonStatus;

const INVALID = { error: "The access token is invalid" };
const OUTSIDE = { error: "This action is outside the authorized scopes" };

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
  bob = await api.user("bob");
  publicPost = await api.post(alice, { status: "hello" });
});

afterAll(async () => {
  await api?.close();
});

describe("bearer tokens", () => {
  it("a signed-in endpoint without a token is 401", async () => {
    const res = await api.request("GET", "/api/v1/timelines/home");
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID);
    expect((await api.request("POST", "/api/v1/statuses", { json: { status: "x" } })).status).toBe(401);
  });

  it("an unknown, malformed or empty token is 401, also on public endpoints", async () => {
    for (const header of ["Bearer nope-not-a-token-at-all-xyz", "Bearer", "Bearer a b", "Bearer <script>", "bearer "]) {
      const home = await api.request("GET", "/api/v1/timelines/home", { headers: { authorization: header } });
      expect(home.status, header).toBe(401);
      expect(home.body).toEqual(INVALID);
      const open = await api.request("GET", `/api/v1/statuses/${publicPost.id}`, { headers: { authorization: header } });
      expect(open.status, header).toBe(401);
    }
  });

  it("another authorization scheme is anonymous", async () => {
    const headers = { authorization: "Basic YWxpY2U6cGFzc3dvcmQ=" };
    expect((await api.request("GET", `/api/v1/statuses/${publicPost.id}`, { headers })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/timelines/home", { headers })).status).toBe(401);
  });

  it("a valid token identifies its account", async () => {
    const res = await api.request<MastodonCredentialAccount>("GET", "/api/v1/accounts/verify_credentials", { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(alice.id);
    expect(res.body.username).toBe("alice");
    expect(res.body.acct).toBe("alice");
    expect(res.body.source.follow_requests_count).toBe(0);
  });

  it("a revoked token is 401", async () => {
    const token = await api.token(alice, ["read"]);
    expect((await api.request("GET", "/api/v1/timelines/home", { token })).status).toBe(200);
    const row = await api.running.deps.db.selectFrom("access_tokens").select("id").orderBy("id", "desc").executeTakeFirstOrThrow();
    await revokeToken(api.running.deps.db, row.id);
    const res = await api.request("GET", "/api/v1/timelines/home", { token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID);
  });
});

describe("scopes", () => {
  it("a read token cannot post: 403", async () => {
    const token = await api.token(alice, ["read"]);
    const res = await api.request("POST", "/api/v1/statuses", { token, json: { status: "nope" } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(OUTSIDE);
  });

  it("write covers write:statuses, and write:statuses alone is enough", async () => {
    for (const scopes of [["write"], ["write:statuses"]]) {
      const token = await api.token(alice, scopes);
      const res = await api.request("POST", "/api/v1/statuses", { token, json: { status: `with ${scopes[0]}` } });
      expect(res.status, scopes.join(" ")).toBe(200);
    }
  });

  it("another write sub-scope does not cover posting", async () => {
    const token = await api.token(alice, ["write:favourites"]);
    expect((await api.request("POST", "/api/v1/statuses", { token, json: { status: "x" } })).status).toBe(403);
    expect((await api.request("POST", `/api/v1/statuses/${publicPost.id}/favourite`, { token })).status).toBe(200);
  });

  it("follow endpoints take follow or write:follows, not read", async () => {
    for (const [scopes, status] of [[["read"], 403], [["write:statuses"], 403], [["follow"], 200], [["write:follows"], 200]] as const) {
      const token = await api.token(bob, [...scopes]);
      const res = await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token });
      expect(res.status, scopes.join(" ")).toBe(status);
      if (status === 403) expect(res.body).toEqual(OUTSIDE);
    }
    const readFollows = await api.token(bob, ["read:follows"]);
    expect((await api.request("GET", `/api/v1/accounts/relationships?id[]=${alice.id}`, { token: readFollows })).status).toBe(200);
    const followOnly = await api.token(bob, ["follow"]);
    expect((await api.request("GET", "/api/v1/follow_requests", { token: followOnly })).status).toBe(200);
  });

  it("a token without read scope is refused on public endpoints too (authorize if got token)", async () => {
    const token = await api.token(alice, ["write"]);
    const res = await api.request("GET", `/api/v1/statuses/${publicPost.id}`, { token });
    expect(res.status).toBe(403);
    expect((await api.request("GET", `/api/v1/statuses/${publicPost.id}`)).status).toBe(200);
  });

  it("verify_credentials needs read:accounts", async () => {
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: await api.token(alice, ["read:statuses"]) })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: await api.token(alice, ["read:accounts"]) })).status).toBe(200);
  });
});
