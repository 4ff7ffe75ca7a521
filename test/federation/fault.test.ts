/**
 * A follower's instance is down while a post is made: the delivery fails,
 * Fedify retries it with backoff from the durable queue, and once the instance
 * is back the post arrives, exactly once.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { findInHome, followAndWait, homeTimeline, marker, postStatus, waitForHome } from "../support/mastodon.ts";

/** Fedify outbox messages on `instance` that already failed at least once and wait for a retry. */
async function failedDeliveries(instance: TestInstance, inboxOrigin: string): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::integer as n from queue_messages
    where payload->>'type' = 'outbox'
      and (payload->>'attempt')::integer >= 1
      and payload->>'inbox' like ${`${inboxOrigin}/%`}`.execute(instance.db);
  return result.rows[0]?.n ?? 0;
}

describe("delivery to an instance that is down", () => {
  let instances: TestInstance[];
  let A: TestInstance;
  let B: TestInstance;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    instances = await startInstances(2);
    [A, B] = instances as [TestInstance, TestInstance];
    alice = await A.createUser("alice");
    bob = await B.createUser("bob");
    await followAndWait(bob, alice.handle);
  });

  afterAll(async () => {
    await closeInstances(instances);
  });

  it("retries until the follower's instance is back, and delivers exactly once", async () => {
    await settle(instances);
    await B.stop();

    const word = marker("while-down");
    const post = await postStatus(alice, { status: `Posted while B is down ${word}`, visibility: "public" });

    // The first attempt failed (connection refused) and a retry is scheduled.
    await waitFor(async () => (await failedDeliveries(A, B.origin)) > 0, { message: "a failed delivery to B queued for retry" });
    expect(await B.db.selectFrom("posts").select("id").where("iri", "=", post.uri).executeTakeFirst()).toBeUndefined();

    await B.restart();
    // Fedify's default backoff: the next attempts come after about 1-2 s, 2-4 s, 4-8 s...
    const onB = await waitForHome(bob, post.uri, { timeoutMs: 60_000, intervalMs: 100 });
    expect(onB.content).toContain(word);

    await settle(instances, { timeoutMs: 60_000 });
    expect(await failedDeliveries(A, B.origin)).toBe(0);
    expect((await homeTimeline(bob)).filter((s) => s.uri === post.uri)).toHaveLength(1);
    const stored = await B.db.selectFrom("posts").select("id").where("iri", "=", post.uri).execute();
    expect(stored).toHaveLength(1);
  }, 120_000);

  it("delivers normally again after the restart", async () => {
    const post = await postStatus(alice, { status: `After the restart ${marker("after")}`, visibility: "public" });
    await waitForHome(bob, post.uri);
    await settle(instances);
    expect((await homeTimeline(bob)).filter((s) => s.uri === post.uri)).toHaveLength(1);
    expect(await findInHome(bob, post.uri)).toBeDefined();
  });
});
