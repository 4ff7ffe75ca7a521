/**
 * A person's own domain block across servers: bob on B blocks A. A's posts
 * (here one that mentions bob, which reaches his home without a follow)
 * leave his home and public timelines, new mentions from A no longer notify
 * him, his follow of alice on A ends (A hears an Undo), carol on A no longer
 * follows him (A hears a Reject), and the relationship says domain_blocking.
 * After the unblock the post is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { followAndWait, homeTimeline, postStatus, relationship, resolveAccount, waitForHome } from "../support/mastodon.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let alice: TestUser;
let carol: TestUser;
let bob: TestUser;

beforeAll(async () => {
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
  alice = await A.createUser("alice");
  carol = await A.createUser("carol");
  bob = await B.createUser("bob");
});

afterAll(async () => {
  await closeInstances(instances);
});

const publicUris = async () => (await bob.api.get<Array<{ uri: string }>>("/api/v1/timelines/public", { limit: 40 })).body.map((s) => s.uri);
const mentionsFrom = async (acct: string) =>
  (await bob.api.get<MastodonNotification[]>("/api/v1/notifications", { "types[]": "mention" })).body.filter((n) => n.account.acct === acct);

describe("blocking a server for oneself", () => {
  it("hides its posts and notifications, ends follows both ways, and undoes on unblock", async () => {
    const aliceOnB = await followAndWait(bob, alice.handle);
    await followAndWait(carol, bob.handle);
    const mention = await postStatus(alice, { status: `@${bob.handle} hello from A`, visibility: "public" });
    await waitForHome(bob, mention.uri);
    await waitFor(async () => (await mentionsFrom(alice.handle)).length === 1, { message: "mention notification" });
    expect(await publicUris()).toContain(mention.uri);

    const blocked = await bob.api.post("/api/v1/domain_blocks", { domain: A.host.toUpperCase() });
    expect(blocked.status, blocked.text).toBe(200);
    expect((await bob.api.get<string[]>("/api/v1/domain_blocks")).body).toEqual([A.host]);
    await settle(instances);

    expect((await homeTimeline(bob)).map((s) => s.uri)).not.toContain(mention.uri);
    expect(await publicUris()).not.toContain(mention.uri);
    const rel = await relationship(bob, aliceOnB.id);
    expect(rel).toMatchObject({ following: false, domain_blocking: true });
    // A heard both: carol no longer follows bob, bob no longer follows alice.
    const bobOnA = await resolveAccount(carol, bob.handle);
    expect(await relationship(carol, bobOnA.id)).toMatchObject({ following: false });
    const bobFromAlice = await resolveAccount(alice, bob.handle);
    expect(await relationship(alice, bobFromAlice.id)).toMatchObject({ followed_by: false });

    const later = await postStatus(alice, { status: `@${bob.handle} are you there?`, visibility: "public" });
    await settle(instances);
    expect((await mentionsFrom(alice.handle)).length).toBe(1);
    expect((await homeTimeline(bob)).map((s) => s.uri)).not.toContain(later.uri);

    const unblocked = await bob.api.delete("/api/v1/domain_blocks", { domain: A.host });
    expect(unblocked.status, unblocked.text).toBe(200);
    expect((await bob.api.get<string[]>("/api/v1/domain_blocks")).body).toEqual([]);
    expect((await homeTimeline(bob)).map((s) => s.uri)).toContain(mention.uri);
    expect((await relationship(bob, aliceOnB.id)).domain_blocking).toBe(false);
  });
});
