/**
 * Blocks stand between follows both ways: through the Mastodon API, following
 * an account that blocks you, or one you block, is refused (403, as Mastodon
 * answers) and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import { receiveBlock } from "../../src/domain/blocks.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol] = await Promise.all([api.user("alice"), api.user("bob"), api.user("carol")]);
});

afterAll(async () => {
  await api?.close();
});

const follows = () => api.running.deps.db.selectFrom("follows").selectAll().execute();

describe("POST /api/v1/accounts/:id/follow with a block between the two", () => {
  it("refuses to follow an account that blocks you, with 403 and a clear error", async () => {
    const blocked = await api.request("POST", `/api/v1/accounts/${bob.id}/block`, { token: alice.token });
    expect(blocked.status).toBe(200);
    const res = await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/blocked you/);
    expect(await follows()).toEqual([]);
  });

  it("refuses to follow an account you block until you unblock it", async () => {
    const res = await api.request("POST", `/api/v1/accounts/${bob.id}/follow`, { token: alice.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/unblock/);
    expect(await follows()).toEqual([]);
    expect((await api.request("POST", `/api/v1/accounts/${bob.id}/unblock`, { token: alice.token })).status).toBe(200);
    const again = await api.request<MastodonRelationship>("POST", `/api/v1/accounts/${bob.id}/follow`, { token: alice.token });
    expect(again.status).toBe(200);
    expect(again.body.following).toBe(true);
  });

  it("refuses to follow a remote account that blocked you, and queues no Follow", async () => {
    const db = api.running.deps.db;
    const remote = await upsertRemoteActor(db, "plein.test", {
      iri: "https://remote.example/users/dora", type: "Person", username: "dora", displayName: "", summaryHtml: "",
      url: null, avatarUrl: null, headerUrl: null, inbox: "https://remote.example/users/dora/inbox", sharedInbox: null,
      outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false, bot: false,
      fields: [], followersCount: null, followingCount: null, postsCount: null,
    });
    await receiveBlock(db, remote, carol.actor, "https://remote.example/blocks/1");
    const before = await db.selectFrom("queue_messages").select("id").execute();
    const res = await api.request("POST", `/api/v1/accounts/${remote.id}/follow`, { token: carol.token });
    expect(res.status).toBe(403);
    expect(await db.selectFrom("follows").selectAll().where("follower_id", "=", carol.id).execute()).toEqual([]);
    expect(await db.selectFrom("queue_messages").select("id").execute()).toEqual(before);
  });
});
