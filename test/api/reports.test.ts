/**
 * Mastodon's POST /api/v1/reports: a report of an account and some of its
 * statuses, as Plein files reports (admins are told), answered as
 * Mastodon's Report entity; what is wrong is a 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { type Api, startApi, type User } from "./support.ts";

interface Report {
  id: string;
  action_taken: boolean;
  action_taken_at: string | null;
  category: string;
  comment: string;
  forwarded: boolean;
  created_at: string;
  status_ids: string[] | null;
  rule_ids: string[] | null;
  target_account: MastodonAccount;
}

let api: Api;
let admin: User;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  api = await startApi();
  const adminActor = await createUser(api.running.deps.db, api.running.config.origin, {
    username: "moderator", email: "moderator@mail.example", password: "correct horse battery", admin: true,
  });
  admin = { actor: adminActor, id: adminActor.id, token: await api.token(adminActor, ["read", "write"]) };
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => api.user(n))) as [User, User, User];
});

afterAll(async () => {
  await api?.close();
});

const report = (u: User | undefined, json: Record<string, unknown>, token = u?.token) =>
  api.request<Report>("POST", "/api/v1/reports", { token, json });

describe("POST /api/v1/reports", () => {
  it("files a report of an account and its statuses, answered as a Report, and tells the admins", async () => {
    const spam = await api.post(bob, { status: "buy now" });
    const r = await report(alice, { account_id: bob.id, status_ids: [spam.id], comment: "spam", category: "spam", forward: true });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      action_taken: false, action_taken_at: null, category: "spam", comment: "spam",
      forwarded: false, status_ids: [spam.id], rule_ids: null,
    });
    expect(r.body.target_account.id).toBe(bob.id);
    expect(typeof r.body.id).toBe("string");
    expect(Number.isNaN(Date.parse(r.body.created_at))).toBe(false);
    const notes = await api.request<MastodonNotification[]>("GET", "/api/v1/notifications", { token: admin.token });
    expect(notes.body.some((n) => n.account.id === alice.id), notes.text).toBe(true);
    const plain = await report(alice, { account_id: bob.id });
    expect(plain.status, plain.text).toBe(200);
    expect(plain.body).toMatchObject({ category: "other", comment: "", status_ids: null });
  });

  it("asks for a token with write:reports", async () => {
    expect((await report(undefined, { account_id: bob.id })).status).toBe(401);
    const readOnly = await api.token(alice, ["read"]);
    expect((await report(undefined, { account_id: bob.id }, readOnly)).status).toBe(403);
  });

  it("refuses what is wrong with 422, and an unknown account or a status the reporter cannot see with 404", async () => {
    const carols = await api.post(carol, { status: "carol's" });
    const hidden = await api.post(bob, { status: "for @carol only", visibility: "direct" });
    expect((await report(alice, { comment: "no account" })).status).toBe(422);
    expect((await report(alice, { account_id: bob.id, status_ids: [carols.id] })).status).toBe(422);
    expect((await report(alice, { account_id: bob.id, comment: "x".repeat(1001) })).status).toBe(422);
    expect((await report(alice, { account_id: bob.id, category: "annoying" })).status).toBe(422);
    expect((await report(alice, { account_id: bob.id, category: "violation", rule_ids: ["1"] })).status).toBe(422);
    expect((await report(alice, { account_id: "99999999999" })).status).toBe(404);
    expect((await report(alice, { account_id: bob.id, status_ids: [hidden.id] })).status).toBe(404);
    expect((await report(alice, { account_id: bob.id, comment: "x".repeat(1000) })).status).toBe(200);
  });
});
