/**
 * U+0000 in any part of a request: the URL (path or query, every route) and
 * the parameters of the Mastodon API (JSON, form and multipart bodies, nested
 * values, names). PostgreSQL cannot store it in text; Plein refuses it with a
 * 4xx `{ "error" }`, never a 500, and stores nothing. On a real instance
 * over HTTPS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount, MastodonCredentialAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type ApiResponse, closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

let instances: TestInstance[];
let instance: TestInstance;
let alice: TestUser;
let existing: MastodonStatus;

beforeAll(async () => {
  instances = await startInstances(1);
  instance = instances[0]!;
  alice = await instance.createUser("alice");
  const res = await alice.api.patch<MastodonAccount>("/api/v1/accounts/update_credentials", {
    display_name: "Alice", note: "Bio", fields_attributes: [{ name: "Team", value: "Beleid" }],
  });
  expect(res.status, res.text).toBe(200);
  const posted = await alice.api.post<MastodonStatus>("/api/v1/statuses", { status: "first" });
  expect(posted.status, posted.text).toBe(200);
  existing = posted.body;
});

afterAll(async () => {
  await closeInstances(instances);
});

function expectRefused(res: ApiResponse<unknown>, status: number, what: string) {
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(status);
  expect(res.headers.get("content-type") ?? "", what).toMatch(/application\/json/);
  expect(typeof (res.body as { error?: unknown } | undefined)?.error, what).toBe("string");
}

const formBody = (fields: string) => ({ body: fields, headers: { "content-type": "application/x-www-form-urlencoded" } });

function multipart(fields: Record<string, string>) {
  const boundary = "----plein-nul-test";
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: `${parts.join("")}--${boundary}--\r\n`, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

describe("a NUL in the URL is a 400 on every route", () => {
  const cases: Array<[string, string, boolean]> = [
    ["account lookup without a token", "/api/v1/accounts/lookup?acct=a%00b", false],
    ["account lookup with a token", "/api/v1/accounts/lookup?acct=alice%00", true],
    ["search without a token", "/api/v2/search?q=a%00b", false],
    ["search with a remote lookup", "/api/v2/search?q=a%00b@example.com&resolve=true", true],
    ["search by URL", "/api/v2/search?q=https://example.com/%00", true],
    ["a query parameter's name", "/api/v1/timelines/public?lo%00cal=true", false],
    ["a path parameter", "/api/v1/accounts/1%00", false],
    ["a status id", "/api/v1/statuses/%00/context", false],
    ["an ActivityPub actor", "/users/a%00b", false],
    ["an ActivityPub collection", "/users/a%00b/followers", false],
    ["WebFinger", "/.well-known/webfinger?resource=acct:a%00b@HOST", false],
    ["a web page", "/@a%00b/1", false],
  ];
  it.each(cases)("%s", async (what, path, signedIn) => {
    const client = signedIn ? alice.api : instance.api();
    const res = await client.request("GET", path.replace("HOST", instance.host), {
      headers: { accept: path.startsWith("/users/") ? "application/activity+json" : "application/json" },
    });
    expectRefused(res, 400, what);
  });

  it("a POST with a NUL only in its query string is refused and stores nothing", async () => {
    const res = await alice.api.post("/api/v1/statuses?spoiler_text=cw%00", { status: "query cw" });
    expectRefused(res, 400, "query spoiler_text");
  });
});

describe("a NUL in an API parameter is a 422 and changes nothing", () => {
  const statusCases: Array<[string, () => Promise<ApiResponse<unknown>>]> = [
    ["status text (JSON)", () => alice.api.post("/api/v1/statuses", { status: "a\u0000b" })],
    ["content warning (JSON)", () => alice.api.post("/api/v1/statuses", { status: "ok", spoiler_text: "cw\u0000" })],
    ["language (JSON)", () => alice.api.post("/api/v1/statuses", { status: "ok", language: "nl\u0000" })],
    ["status text (form)", () => alice.api.request("POST", "/api/v1/statuses", formBody("status=a%00b"))],
    ["content warning (form)", () => alice.api.request("POST", "/api/v1/statuses", formBody("status=ok&spoiler_text=%00"))],
    ["status text (multipart)", () => alice.api.request("POST", "/api/v1/statuses", multipart({ status: "a\u0000b" }))],
    ["a parameter's name (JSON)", () => alice.api.post("/api/v1/statuses", { status: "ok", "x\u0000": 1 })],
    ["a parameter's name (form)", () => alice.api.request("POST", "/api/v1/statuses", formBody("status=ok&x%00=1"))],
    ["a value nested in a parameter Plein ignores", () => alice.api.post("/api/v1/statuses", { status: "ok", extra: { deep: [["\u0000"]] } })],
    ["an edit", () => alice.api.put(`/api/v1/statuses/${existing.id}`, { status: "edited\u0000" })],
    ["an edit's content warning (form)", () => alice.api.request("PUT", `/api/v1/statuses/${existing.id}`, formBody("status=edited&spoiler_text=%00"))],
    ["a boost's visibility", () => alice.api.post(`/api/v1/statuses/${existing.id}/reblog`, { visibility: "public\u0000" })],
  ];
  it.each(statusCases)("%s", async (what, send) => {
    expectRefused(await send(), 422, what);
  });

  const profileCases: Array<[string, () => Promise<ApiResponse<unknown>>]> = [
    ["display name (JSON)", () => alice.api.patch("/api/v1/accounts/update_credentials", { display_name: "A\u0000" })],
    ["display name (form)", () => alice.api.request("PATCH", "/api/v1/accounts/update_credentials", formBody("display_name=A%00"))],
    ["bio", () => alice.api.patch("/api/v1/accounts/update_credentials", { note: "\u0000" })],
    ["profile field name (JSON list)", () => alice.api.patch("/api/v1/accounts/update_credentials", { fields_attributes: [{ name: "T\u0000", value: "v" }] })],
    ["profile field value (JSON object)", () => alice.api.patch("/api/v1/accounts/update_credentials", { fields_attributes: { 0: { name: "T", value: "\u0000" } } })],
    ["profile field value (form)", () => alice.api.request("PATCH", "/api/v1/accounts/update_credentials", formBody("fields_attributes%5B0%5D%5Bname%5D=T&fields_attributes%5B0%5D%5Bvalue%5D=v%00"))],
    ["a boolean", () => alice.api.patch("/api/v1/accounts/update_credentials", { locked: "true\u0000" })],
  ];
  it.each(profileCases)("%s", async (what, send) => {
    expectRefused(await send(), 422, what);
  });

  it("nothing was stored: the profile and the one status are as they were", async () => {
    const me = await alice.api.get<MastodonCredentialAccount>("/api/v1/accounts/verify_credentials");
    expect(me.status).toBe(200);
    expect([me.body.display_name, me.body.source.note.includes("Bio"), me.body.fields.map((f) => f.name), me.body.locked])
      .toEqual(["Alice", true, ["Team"], false]);
    const statuses = await alice.api.get<MastodonStatus[]>(`/api/v1/accounts/${alice.actor.id}/statuses`);
    expect(statuses.body.map((s) => [s.id, s.content, s.spoiler_text])).toEqual([[existing.id, existing.content, ""]]);
  });
});

describe("what looks like a NUL but is not one is accepted", () => {
  it("the text %00 (sent as %2500) and a JSON escaped backslash", async () => {
    const form = await alice.api.request<MastodonStatus>("POST", "/api/v1/statuses", formBody("status=100%2500%20sure"));
    expect(form.status, form.text).toBe(200);
    expect(form.body.content).toContain("100%00 sure");
    const json = await alice.api.post<MastodonStatus>("/api/v1/statuses", { status: "a backslash-u: \\u0000" });
    expect(json.status, json.text).toBe(200);
    expect(json.body.content).toContain("\\u0000");
    const search = await instance.api().get("/api/v2/search?q=%2500");
    expect(search.status, search.text).toBe(200);
  });
});
