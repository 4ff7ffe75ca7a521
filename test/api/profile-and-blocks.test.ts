import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;

beforeAll(async () => {
  api = await startApi();
  [alice, bob] = await Promise.all([api.user("alice"), api.user("bob")]);
});

afterAll(async () => {
  await api?.close();
});

const queuedJobs = async (type: string) => {
  const rows = await api.running.deps.db.selectFrom("queue_messages").select("payload")
    .where("queue", "=", DELIVERY_QUEUE).execute();
  return rows.filter((r) => (r.payload as { type?: string }).type === type).length;
};

describe("PATCH /api/v1/accounts/update_credentials", () => {
  it("changes name, bio, lock and fields, and queues an Update of the actor", async () => {
    const before = await queuedJobs("actor.update");
    const res = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: alice.token,
      json: { display_name: "Alice <b>A</b>", note: "Beleid bij #gemeente, zie https://example.nl", locked: true,
        fields_attributes: [{ name: "Team", value: "Dienstverlening" }, { name: "", value: "" }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe("Alice <b>A</b>");
    expect(res.body.locked).toBe(true);
    expect(res.body.note).toContain('href="https://example.nl"');
    expect(res.body.note).toContain("#<span>gemeente</span>");
    expect(res.body.note).not.toContain("<b>");
    expect(res.body.fields.map((f) => f.name)).toEqual(["Team"]);
    expect(await queuedJobs("actor.update")).toBe(before + 1);

    const shown = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
    expect(shown.body.display_name).toBe("Alice <b>A</b>");
  });

  it("takes Mastodon's form encoding of fields", async () => {
    const res = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: alice.token,
      form: { "fields_attributes[0][name]": "Locatie", "fields_attributes[0][value]": "Den Haag", locked: "false" },
    });
    expect(res.status).toBe(200);
    expect(res.body.fields.map((f) => [f.name, f.value.includes("Den Haag")])).toEqual([["Locatie", true]]);
    expect(res.body.locked).toBe(false);
  });

  it("refuses hostile input with 4xx and changes nothing", async () => {
    const before = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
    const cases: Array<Record<string, unknown>> = [
      { display_name: "x".repeat(31) },
      { note: "y".repeat(501) },
      { fields_attributes: "nope" },
      { fields_attributes: [{ name: 5, value: "x" }] },
      { fields_attributes: [1, 2] },
      { fields_attributes: Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, value: "v" })) },
      { locked: "perhaps" },
      { display_name: ["a", "b"] },
    ];
    for (const json of cases) {
      const res = await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: alice.token, json });
      expect(res.status, JSON.stringify(json)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(json)).toBeLessThan(500);
      expect(res.body).toHaveProperty("error");
    }
    const malformed = await api.request("PATCH", "/api/v1/accounts/update_credentials", {
      token: alice.token, body: "{not json", contentType: "application/json",
    });
    expect(malformed.status).toBe(400);
    const after = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
    expect(after.body).toEqual(before.body);
  });

  it("needs a token with write:accounts", async () => {
    expect((await api.request("PATCH", "/api/v1/accounts/update_credentials", { json: { note: "x" } })).status).toBe(401);
    const readOnly = await api.token(alice, ["read"]);
    expect((await api.request("PATCH", "/api/v1/accounts/update_credentials", { token: readOnly, json: { note: "x" } })).status).toBe(403);
  });
});

describe("blocks", () => {
  it("a block ends follows both ways and hides the blocker's followers-only posts", async () => {
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token })).status).toBe(200);
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/follow`, { token: alice.token })).status).toBe(200);
    const post = await api.post(alice, { status: "for followers", visibility: "private" });
    expect((await api.request("GET", `/api/v1/statuses/${post.id}`, { token: bob.token })).status).toBe(200);

    const res = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${bob.id}/block`, { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ blocking: true, following: false, followed_by: false });
    const seen = await api.request("GET", `/api/v1/statuses/${post.id}`, { token: bob.token });
    expect(seen.status).toBe(404);
    const publicPost = await api.post(alice, { status: "for everyone", visibility: "public" });
    expect((await api.request<MastodonStatus>("GET", `/api/v1/statuses/${publicPost.id}`, { token: bob.token })).status).toBe(404);

    // Blocking again changes nothing; unblocking restores public visibility only.
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/block`, { token: alice.token })).status).toBe(200);
    const undone = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${bob.id}/unblock`, { token: alice.token });
    expect(undone.body).toMatchObject({ blocking: false, following: false });
    expect((await api.request("GET", `/api/v1/statuses/${publicPost.id}`, { token: bob.token })).status).toBe(200);
    expect((await api.request("GET", `/api/v1/statuses/${post.id}`, { token: bob.token })).status).toBe(404);
  });

  it("refuses blocking yourself, unknown ids and missing scopes", async () => {
    expect((await api.request("POST", `/api/v1/accounts/${alice.id}/block`, { token: alice.token })).status).toBe(422);
    expect((await api.request("POST", "/api/v1/accounts/99999999/block", { token: alice.token })).status).toBe(404);
    expect((await api.request("POST", "/api/v1/accounts/abc/block", { token: alice.token })).status).toBe(404);
    const readOnly = await api.token(alice, ["read"]);
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/block`, { token: readOnly })).status).toBe(403);
  });
});
