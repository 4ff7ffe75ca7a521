/**
 * The federation policy for what we send: a blocked server's followers and
 * members get nothing, and nothing is queued for them; a delivery queued
 * before the block (waiting for a retry) is dropped when its turn comes.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deliver as runDeliveryJob } from "../../federation/send.ts";
import { FEDIFY_OUTBOX_QUEUE } from "../../src/db/queue-rows.ts";
import type { Actor } from "../../src/db/schema.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";
import { closeInstances, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
import { policyOf, storeRemoteActor } from "../support/policy.ts";

const posts = (remote: FakeRemote) => remote.received.filter((r) => r.method === "POST");

describe("deliveries to a blocked server", () => {
  let plein: InboxInstance;
  let evil: FakeRemote;
  let good: FakeRemote;
  let alice: Actor;
  let bob: FakeActor;
  let carl: FakeActor;

  beforeAll(async () => {
    [plein, evil, good] = await Promise.all([
      startInboxInstance(), startFakeRemote({ host: "127.0.0.7" }), startFakeRemote({ host: "127.0.0.8" }),
    ]);
    alice = await plein.user("alice");
    bob = await evil.actor("bob");
    carl = await good.actor("carl");
    // Both follow alice while their servers are allowed.
    for (const by of [bob, carl]) {
      const res = await deliver(plein.running.app, plein.origin, "/users/alice/inbox",
        { "@context": AS_CONTEXT, id: newId(by), type: "Follow", actor: by.iri, object: alice.iri }, by);
      expect(res.status).toBe(202);
    }
    await plein.drain();
    await plein.deliverQueued();
  });

  afterAll(async () => {
    await Promise.all([evil?.close(), good?.close()]);
    await plein?.close();
  });

  test("a post reaches the allowed follower; for the blocked one no Fedify message is even made", async () => {
    await policyOf(plein.db, plein.origin).rule("127.0.0.7", "block");
    const [evilBefore, goodBefore] = [posts(evil).length, posts(good).length];
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>news</p>", visibility: "public" });
    const jobs = await plein.db.deleteFrom("queue_messages").where("queue", "=", DELIVERY_QUEUE).returning("payload").execute();
    expect(jobs.map((j) => j.payload)).toContainEqual({ type: "post.create", postId: post.id });
    for (const job of jobs) await runDeliveryJob(plein.running.federation.federation, plein.running.deps, job.payload);
    const outbox = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", FEDIFY_OUTBOX_QUEUE).execute();
    const inboxes = outbox.map((m) => (m.payload as { inbox?: string }).inbox);
    expect(inboxes.some((i) => i?.startsWith(good.origin))).toBe(true);
    expect(inboxes.filter((i) => i?.startsWith(evil.origin))).toEqual([]);
    await plein.drain();
    expect(posts(good).length).toBe(goodBefore + 1);
    expect(posts(good).at(-1)!.body).toContain(post.iri);
    expect(posts(evil).length).toBe(evilBefore);
  });
});

describe("a delivery queued before the block", () => {
  let a: TestInstance;
  let evil: FakeRemote;

  beforeAll(async () => {
    [[a], evil] = await Promise.all([
      startInstances(1, {
        start: {
          federation: {
            outboxRetryPolicy: createExponentialBackoffPolicy({ initialDelay: { milliseconds: 300 }, maxDelay: { milliseconds: 300 }, maxAttempts: 20, jitter: false }),
            circuitBreaker: false,
          },
        },
      }),
      startFakeRemote({ host: "127.0.0.7" }),
    ]) as [[TestInstance], FakeRemote];
  });

  afterAll(async () => {
    await evil?.close();
    await closeInstances(a ? [a] : undefined);
  });

  test("is dropped at its next attempt: the server, failing until then, hears no more", async () => {
    const alice = await a.createUser("alice");
    const bob = await evil.actor("bob");
    evil.serve(new URL(bob.inbox).pathname, { status: 503, body: "" });
    evil.serve("/inbox", { status: 503, body: "" });
    const bobRow = await storeRemoteActor(a.db, a.host, bob.iri);
    await a.db.insertInto("follows").values({ follower_id: bobRow.id, followee_id: alice.actor.id, state: "accepted", activity_iri: newId(bob) }).execute();
    expect((await alice.api.post("/api/v1/statuses", { status: "queued before the block" })).status).toBe(200);
    await waitFor(() => posts(evil).length >= 2, { message: "the delivery to be tried and retried" });
    await policyOf(a.db, a.origin).rule("127.0.0.7", "block");
    const tried = posts(evil).length;
    await waitFor(async () => (await a.db.selectFrom("queue_messages").select("id").execute()).length === 0, { message: "the queued delivery to be dropped" });
    // At most one attempt was already under way when the rule was set.
    expect(posts(evil).length).toBeLessThanOrEqual(tried + 1);
  });
});
