/**
 * Concurrent transactional requests through the whole stack. On PGlite they all
 * share one connection: each transaction must run alone from BEGIN to COMMIT,
 * and plain reads in between must neither wait forever nor see half a change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
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

describe("concurrent requests", () => {
  it("replies, favourites and reads interleaved at HTTP level leave exact counts", async () => {
    const parent = await api.post(alice, { status: "parent", visibility: "public" });
    const N = 20;
    const writes = Array.from({ length: N }, (_, i) =>
      api.request<MastodonStatus>("POST", "/api/v1/statuses", {
        token: i % 2 ? alice.token : bob.token,
        json: { status: `reply ${i}`, in_reply_to_id: parent.id, visibility: "public" },
      }));
    const likes = [alice, bob].map((u) => api.request<MastodonStatus>("POST", `/api/v1/statuses/${parent.id}/favourite`, { token: u.token }));
    const reads = Array.from({ length: N }, () =>
      api.request<MastodonStatus>("GET", `/api/v1/statuses/${parent.id}`, { token: bob.token }));
    const [written, liked, read] = await Promise.all([Promise.all(writes), Promise.all(likes), Promise.all(reads)]);

    expect(written.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(new Set(written.map((r) => r.body.id)).size).toBe(N);
    expect(liked.map((r) => r.status)).toEqual([200, 200]);
    // Every read saw a whole state: a count between none and all, never an error.
    for (const r of read) {
      expect(r.status).toBe(200);
      expect(r.body.replies_count).toBeGreaterThanOrEqual(0);
      expect(r.body.replies_count).toBeLessThanOrEqual(N);
    }
    const final = await api.request<MastodonStatus>("GET", `/api/v1/statuses/${parent.id}`, { token: bob.token });
    expect(final.body.replies_count).toBe(N);
    expect(final.body.favourites_count).toBe(2);
    const context = await api.request<{ descendants: MastodonStatus[] }>("GET", `/api/v1/statuses/${parent.id}/context`, { token: alice.token });
    expect(context.body.descendants).toHaveLength(N);
  });
});
