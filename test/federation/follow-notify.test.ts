/**
 * Mastodon's follow option `notify` across servers: bob on B asks to be told
 * of alice's posts (alice is on A); her posts that reach B become `status`
 * notifications for bob, a post he may not see does not, and after he turns
 * the option off, nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonNotification } from "../../src/api/mastodon/entities/notification.ts";
import type { MastodonRelationship } from "../../src/api/mastodon/entities/relationship.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { followAndWait, postStatus } from "../support/mastodon.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

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

const statusNotifications = async () =>
  (await bob.api.get<MastodonNotification[]>("/api/v1/notifications", { "types[]": "status" })).body;

describe("notify on a remote account's posts", () => {
  it("tells the follower of each post received that it may see, until the option is turned off", async () => {
    const account = await followAndWait(bob, alice.handle);
    const rel = await bob.api.post<MastodonRelationship>(`/api/v1/accounts/${account.id}/follow`, { notify: true });
    expect([rel.status, rel.body.notifying, rel.body.following]).toEqual([200, true, true]);

    const open = await postStatus(alice, { status: "news from A", visibility: "public" });
    const seen = await waitFor(async () => (await statusNotifications()).find((n) => n.status?.uri === open.uri), { message: "status notification" });
    expect(seen.account.acct).toBe(alice.handle);
    expect((seen.status as MastodonStatus).content).toContain("news from A");

    // A direct post to carol reaches nobody on B: no notification, whatever bob asked for.
    const direct = await postStatus(alice, { status: `@${carol.handle} only for you`, visibility: "direct" });
    const off = await bob.api.post<MastodonRelationship>(`/api/v1/accounts/${account.id}/follow`, { notify: false });
    expect(off.body.notifying).toBe(false);
    const quiet = await postStatus(alice, { status: "quiet news", visibility: "public" });
    await settle(instances);
    const uris = (await statusNotifications()).map((n) => n.status?.uri);
    expect(uris).not.toContain(direct.uri);
    expect(uris).not.toContain(quiet.uri);
    // The quiet post did arrive: only the notification is left out.
    const home = await bob.api.get<MastodonStatus[]>("/api/v1/timelines/home");
    expect(home.body.map((s) => s.uri)).toContain(quiet.uri);
  });
});
