/**
 * What a person on another instance does to a local person's posts arrives
 * as a notification, over real HTTPS between two instances: bob on B follows
 * alice on A, favourites and boosts her post, replies to it and mentions her
 * (publicly and in a direct message). Alice reads it all through A's Mastodon
 * notifications API, each with bob's account and the post as A stores it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { type Account, expectStatus, followAndWait, marker, postStatus, type Status, waitForHome } from "../support/mastodon.ts";

interface Notification {
  id: string;
  type: string;
  created_at: string;
  account: Account;
  status?: Status;
}

describe("notifications of what a remote person does", () => {
  let instances: TestInstance[];
  let A: TestInstance;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    instances = await startInstances(2);
    const [a, b] = instances as [TestInstance, TestInstance];
    A = a;
    alice = await a.createUser("alice");
    bob = await b.createUser("bob");
  });

  afterAll(async () => {
    await closeInstances(instances);
  });

  const notifications = async () =>
    expectStatus(await alice.api.get<Notification[]>("/api/v1/notifications"), 200, "alice's notifications");

  it("a follow, a favourite, a boost, a reply and mentions from B arrive on A", async () => {
    await followAndWait(bob, alice.handle);
    const post = await postStatus(alice, { status: `Something to react to ${marker("root")}` });
    const onB = await waitForHome(bob, post.uri);

    expectStatus(await bob.api.post(`/api/v1/statuses/${onB.id}/favourite`), 200, "favourite");
    expectStatus(await bob.api.post(`/api/v1/statuses/${onB.id}/reblog`), 200, "reblog");
    const reply = await postStatus(bob, { status: `@${alice.handle} a reply ${marker("reply")}`, in_reply_to_id: onB.id });
    const mention = await postStatus(bob, { status: `@${alice.handle} look at this ${marker("mention")}` });
    const direct = await postStatus(bob, { status: `@${alice.handle} between us ${marker("direct")}`, visibility: "direct" });

    const list = await waitFor(async () => {
      const current = await notifications();
      return current.length >= 6 ? current : undefined;
    }, { message: "six notifications for alice on A" });
    await settle(instances);
    const settled = await notifications();
    expect(settled).toEqual(list);

    expect(list.map((n) => [n.type, n.status?.uri ?? null])).toEqual([
      ["mention", direct.uri],
      ["mention", mention.uri],
      ["mention", reply.uri],
      ["reblog", post.uri],
      ["favourite", post.uri],
      ["follow", null],
    ]);
    for (const n of list) {
      expect(n.account.acct).toBe(bob.handle);
      // Statuses as A knows them: A's ids, and the direct message visible to alice.
      if (n.status) expect((await alice.api.get<Status>(`/api/v1/statuses/${n.status.id}`)).status).toBe(200);
    }
    expect(list[0]!.status!.visibility).toBe("direct");
    expect(list[3]!.status!.id).toBe(post.id);
    expect(list[2]!.status!.in_reply_to_id).toBe(post.id);

    const count = expectStatus(await alice.api.get<{ count: number }>("/api/v1/notifications/unread_count"), 200, "unread count");
    expect(count).toEqual({ count: 6 });
    // Nothing of A's own doing is notified on A; nothing here is bob's to read.
    expect(await A.db.selectFrom("notifications").select("recipient_id").distinct().execute())
      .toEqual([{ recipient_id: alice.actor.id }]);
  });
});
