/**
 * Mastodon's rate limits on the client API, over real HTTP (the address is
 * the peer's): per token, per address without one, and stricter for app
 * registrations; every answer carries X-RateLimit-* and a 429 says when to
 * come back. The count is per caller: one caller over the limit does not
 * stop another.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

let instances: TestInstance[];
let A: TestInstance;
let alice: TestUser;
let bob: TestUser;
const LIMIT = 8;

beforeAll(async () => {
  instances = await startInstances(1, { env: { PLEIN_RATE_LIMIT: String(LIMIT) } });
  A = instances[0]!;
  [alice, bob] = await Promise.all([A.createUser("alice"), A.createUser("bob")]);
});

afterAll(async () => {
  await closeInstances(instances);
});

const get = (path: string, token?: string) => fetch(new URL(path, A.origin), token ? { headers: { authorization: `Bearer ${token}` } } : {});

it("counts a token's requests, says so in X-RateLimit-*, then answers 429 with Retry-After; another token goes on", async () => {
  const remaining: number[] = [];
  for (let i = 0; i < LIMIT; i++) {
    const res = await get("/api/v1/accounts/verify_credentials", alice.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBe(String(LIMIT));
    remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
    expect(Date.parse(res.headers.get("x-ratelimit-reset")!)).toBeGreaterThan(Date.now());
  }
  expect(remaining).toEqual([...Array(LIMIT).keys()].map((i) => LIMIT - 1 - i));
  const over = await get("/api/v1/accounts/verify_credentials", alice.token);
  expect(over.status).toBe(429);
  expect(await over.json()).toEqual({ error: "Too many requests" });
  expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
  // Another token is counted on its own; a browser app can read the answer.
  const other = await get("/api/v1/accounts/verify_credentials", bob.token);
  expect(other.status).toBe(200);
});

it("counts anonymous callers by address", async () => {
  let last = 0;
  for (let i = 0; i <= LIMIT; i++) last = (await get("/api/v1/timelines/public")).status;
  expect(last).toBe(429);
  // The same address with a token of its own still gets through.
  const token = await A.createUser("carol");
  expect((await get("/api/v1/timelines/public", token.token)).status).toBe(200);
});

it("allows five app registrations per address in ten minutes", async () => {
  const register = () => fetch(new URL("/api/v1/apps", A.origin), {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "Probe", redirect_uris: "urn:ietf:wg:oauth:2.0:oob" }),
  });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await register()).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
});
