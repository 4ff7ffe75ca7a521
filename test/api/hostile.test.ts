/**
 * Malformed and hostile input to the Mastodon API: always a 4xx with a JSON
 * `{ "error": "..." }` (support.ts checks shape and "never 500" on every request).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let existing: MastodonStatus;

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
  existing = await api.post(alice, { status: "hello" });
});

afterAll(async () => {
  await api?.close();
});

const postJson = (json: unknown) => api.request("POST", "/api/v1/statuses", { token: alice.token, json });

describe("status text", () => {
  it("5000 characters fit, 5001 do not", async () => {
    expect((await postJson({ status: "a".repeat(5000) })).status).toBe(200);
    const res = await postJson({ status: "a".repeat(5001) });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/character limit of 5000/);
    // The content warning counts too.
    expect((await postJson({ status: "a".repeat(4990), spoiler_text: "b".repeat(11) })).status).toBe(422);
  });

  it("links count as 23 characters", async () => {
    const url = `https://example.com/${"x".repeat(6000)}`;
    expect((await postJson({ status: `${url} ok` })).status).toBe(200);
  });

  it("a huge status is refused, a body over 1 MiB with 413", async () => {
    expect((await postJson({ status: "a".repeat(200_000) })).status).toBe(422);
    const res = await api.request("POST", "/api/v1/statuses", {
      token: alice.token, body: JSON.stringify({ status: "a".repeat(2 * 1024 * 1024) }), contentType: "application/json",
    });
    expect(res.status).toBe(413);
  });

  it("blank text is refused", async () => {
    for (const body of [{}, { status: "" }, { status: "   \n " }, { status: null }]) {
      expect((await postJson(body)).status, JSON.stringify(body)).toBe(422);
    }
  });

  it("a pathological text is formatted without trouble", async () => {
    for (const status of ["@".repeat(4000), `#${"a".repeat(4000)}`, `@a@${"b-".repeat(2000)}`, "http://".repeat(700)]) {
      const res = await postJson({ status });
      expect([200, 422]).toContain(res.status);
    }
  });

  it("HTML in the text comes back escaped, in the CW as given", async () => {
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: `<img src=x onerror=alert(1)>`, spoiler_text: "<b>cw</b>" },
    });
    expect(res.body.content).toBe("<p>&lt;img src=x onerror=alert(1)&gt;</p>");
    expect(res.body.spoiler_text).toBe("<b>cw</b>");
  });
});

describe("parameters", () => {
  it("a bad visibility is 422", async () => {
    for (const visibility of ["secret", "followers", "instance", "PUBLIC", 1, ["public"], { v: "public" }]) {
      const res = await postJson({ status: "x", visibility });
      expect(res.status, JSON.stringify(visibility)).toBe(422);
    }
  });

  it("an array or object where a string is expected is 422", async () => {
    for (const body of [
      { status: ["a", "b"] }, { status: { text: "a" } }, { status: "x", spoiler_text: ["cw"] },
      { status: "x", in_reply_to_id: ["1"] }, { status: "x", in_reply_to_id: { id: 1 } }, { status: "x", language: ["en"] },
      { status: "x", sensitive: "perhaps" }, { status: "x", sensitive: ["true"] }, { status: "x", in_reply_to_id: "abc" },
      { status: "x", in_reply_to_id: 1.5 }, { status: "x", in_reply_to_id: -3 }, { status: "x", language: "english!" },
      { status: "x", media_ids: ["1"] }, { status: "x", poll: { options: ["a", "b"] } }, { status: "x", scheduled_at: "2030-01-01" },
    ]) {
      const res = await postJson(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const form = await api.request("POST", "/api/v1/statuses", { token: alice.token, form: { "status[]": ["a", "b"] } });
    expect(form.status).toBe(422);
    const twice = await api.request("POST", "/api/v1/statuses", { token: alice.token, form: { status: ["a", "b"] } });
    expect(twice.status).toBe(422);
  });

  it("a JSON body that is not an object is 422", async () => {
    for (const json of [[1, 2], "status", 42, null]) {
      const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, body: JSON.stringify(json), contentType: "application/json" });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
  });

  it("malformed JSON is 400", async () => {
    for (const body of ['{"status": "x"', "{status: x}", "\u0000", '{"status": "x"}}']) {
      const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, body, contentType: "application/json" });
      expect(res.status, body).toBe(400);
    }
    const edit = await api.request("PUT", `/api/v1/statuses/${existing.id}`, { token: alice.token, body: "{", contentType: "application/json" });
    expect(edit.status).toBe(400);
  });

  it("a body of another content type is 415; a broken multipart body 400", async () => {
    for (const contentType of ["text/plain", "application/xml", "image/png"]) {
      const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, body: "status=hi", contentType });
      expect(res.status, contentType).toBe(415);
    }
    const noType = await api.request("POST", "/api/v1/statuses", { token: alice.token, body: "status=hi" });
    expect([415, 422]).toContain(noType.status);
    const multipart = await api.request("POST", "/api/v1/statuses", {
      token: alice.token, body: "--x\r\ngarbage", contentType: "multipart/form-data; boundary=x",
    });
    expect(multipart.status).toBe(400);
  });

  it("a multipart form with a file where text is expected is 422", async () => {
    const form = new FormData();
    form.append("status", new Blob(["hi"], { type: "text/plain" }), "status.txt");
    const res = await api.request("POST", "/api/v1/statuses", { token: alice.token, body: form });
    expect(res.status).toBe(422);
    const good = new FormData();
    good.append("status", "from multipart");
    expect((await api.request("POST", "/api/v1/statuses", { token: alice.token, body: good })).status).toBe(200);
  });

  it("an over-long Idempotency-Key is 422", async () => {
    const res = await api.request("POST", "/api/v1/statuses", {
      token: alice.token, json: { status: "x" }, headers: { "idempotency-key": "k".repeat(300) },
    });
    expect(res.status).toBe(422);
  });
});

describe("ids", () => {
  const badIds = ["abc", "1e3", "-1", "0", "1.5", "%20", "9223372036854775808", "9999999999999999999",
    "99999999999999999999", "1".repeat(200), "%27%20or%201%3D1"];

  it("non-numeric and out-of-range ids are 404 Record not found on every resource", async () => {
    for (const id of badIds) {
      for (const [method, path] of [
        ["GET", `/api/v1/statuses/${id}`], ["GET", `/api/v1/statuses/${id}/context`],
        ["GET", `/api/v1/statuses/${id}/favourited_by`], ["GET", `/api/v1/statuses/${id}/reblogged_by`],
        ["POST", `/api/v1/statuses/${id}/favourite`], ["POST", `/api/v1/statuses/${id}/reblog`],
        ["POST", `/api/v1/statuses/${id}/unreblog`], ["DELETE", `/api/v1/statuses/${id}`],
        ["PUT", `/api/v1/statuses/${id}`], ["GET", `/api/v1/accounts/${id}`],
        ["GET", `/api/v1/accounts/${id}/statuses`], ["GET", `/api/v1/accounts/${id}/followers`],
        ["GET", `/api/v1/accounts/${id}/following`], ["POST", `/api/v1/accounts/${id}/follow`],
        ["POST", `/api/v1/accounts/${id}/unfollow`], ["POST", `/api/v1/follow_requests/${id}/authorize`],
      ] as const) {
        const res = await api.request(method, path, { token: alice.token, ...(method === "PUT" ? { json: { status: "x" } } : {}) });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body).toEqual({ error: "Record not found" });
      }
    }
  });

  it("the largest bigint is a valid id that is simply absent", async () => {
    const res = await api.request("GET", "/api/v1/statuses/9223372036854775807");
    expect(res.status).toBe(404);
  });

  it("bad paging ids and limits are 422", async () => {
    for (const q of ["max_id=abc", "since_id=-1", "min_id=9999999999999999999", "max_id=1.5", "limit=abc", "limit=1e3",
      "max_id[]=1", "local=maybe"]) {
      const res = await api.request("GET", `/api/v1/timelines/public?${q}`, { token: alice.token });
      expect(res.status, q).toBe(422);
    }
    expect((await api.request("GET", "/api/v1/timelines/home?max_id=zzz", { token: alice.token })).status).toBe(422);
    expect((await api.request("GET", `/api/v1/accounts/${alice.id}/followers?since_id=x`)).status).toBe(422);
  });

  it("unknown API paths are 404 JSON", async () => {
    const res = await api.request("GET", "/api/v1/statuses");
    expect(res.status).toBe(404);
    expect((await api.request("GET", "/api/v1/nothing-here")).status).toBe(404);
  });
});

describe("instance", () => {
  it("v1 and v2 describe the instance", async () => {
    const v1 = await api.request<{ uri: string; version: string; stats: { user_count: number; status_count: number }; configuration: { statuses: { max_characters: number } } }>("GET", "/api/v1/instance");
    expect(v1.status).toBe(200);
    expect(v1.body.uri).toBe("plein.test");
    expect(v1.body.version).toMatch(/^4\.\d+\.\d+ \(compatible; Plein /);
    expect(v1.body.stats.user_count).toBe(1);
    expect(v1.body.stats.status_count).toBeGreaterThan(0);
    expect(v1.body.configuration.statuses.max_characters).toBe(5000);
    const v2 = await api.request<{ domain: string; registrations: { enabled: boolean }; configuration: { urls: { streaming: string } } }>("GET", "/api/v2/instance");
    expect(v2.status).toBe(200);
    expect(v2.body.domain).toBe("plein.test");
    expect(v2.body.registrations.enabled).toBe(false);
    expect(v2.body.configuration.urls.streaming).toBe("wss://plein.test");
  });
});
