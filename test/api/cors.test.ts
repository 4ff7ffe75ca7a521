/**
 * Browser apps (Elk, Phanpy) run on their own origin: the client API answers
 * their preflights and responses with CORS headers, for any origin and
 * without credentials; web pages and the sign-in pages do not.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
});

afterAll(async () => {
  await api?.close();
});

const raw = (path: string, init: RequestInit = {}) => api.running.app.request(new URL(path, ORIGIN).href, init);

it("answers a preflight for an authorized POST from another origin", async () => {
  const res = await raw("/api/v1/statuses", {
    method: "OPTIONS",
    headers: { origin: "https://elk.zone", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  expect(res.headers.get("access-control-allow-credentials")).toBeNull();
});

it("lets a browser app read the answer and its Link header", async () => {
  for (let i = 0; i < 3; i++) await api.post(alice, { status: `post ${i}` });
  const res = await raw("/api/v1/timelines/public?limit=1", { headers: { origin: "https://phanpy.social" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  expect(res.headers.get("access-control-expose-headers")).toContain("Link");
  expect(res.headers.get("link")).toContain("max_id");
  // Errors too: an app must be able to read why it failed.
  const denied = await raw("/api/v1/timelines/home", { headers: { origin: "https://phanpy.social" } });
  expect(denied.status).toBe(401);
  expect(denied.headers.get("access-control-allow-origin")).toBe("*");
});

it("leaves web pages without CORS headers", async () => {
  const res = await raw("/oauth/authorize?client_id=x&redirect_uri=y&response_type=code", { headers: { origin: "https://evil.example" } });
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
});

it("lets a browser app read the discovery documents (nodeinfo, WebFinger, host-meta answers), as Mastodon", async () => {
  for (const path of ["/.well-known/nodeinfo", "/nodeinfo/2.1", "/.well-known/webfinger?resource=acct:alice@plein.test", "/.well-known/host-meta"]) {
    const res = await raw(path, { headers: { origin: "https://phanpy.social" } });
    expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
    expect(res.headers.get("access-control-allow-credentials"), path).toBeNull();
  }
  const preflight = await raw("/.well-known/nodeinfo", {
    method: "OPTIONS", headers: { origin: "https://phanpy.social", "access-control-request-method": "GET" },
  });
  expect(preflight.status).toBe(204);
  const oauth = await raw("/.well-known/oauth-authorization-server", { headers: { origin: "https://phanpy.social" } });
  expect(oauth.headers.get("access-control-allow-origin")).toBe("*");
});
