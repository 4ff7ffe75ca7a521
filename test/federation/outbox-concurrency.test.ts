/**
 * Deliveries have a queue of their own (`fedify-outbox`), with more messages
 * in flight than the inbox's queue: a delivery waits on the remote server,
 * an inbox message on the database. Here the inbox queue may handle 2
 * messages at once and the outbox 8, and a post goes to 12 followers, each on
 * a server of its own (one sender's deliveries to one server go one at a
 * time, in order: Fedify's ordering key) that holds every request without
 * answering.
 */
import type { ServerResponse } from "node:http";
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FEDIFY_OUTBOX_QUEUE, FEDIFY_QUEUE } from "../../src/db/queue-rows.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
import { policyOf } from "../support/policy.ts";
import { insertFollowers, type Sink, startSink } from "../support/processes.ts";

const OUTBOX_CONCURRENCY = 8;
const FOLLOWERS = 12;

describe("deliveries in flight", () => {
  let plein: TestInstance;
  let slow: Sink[];
  let remote: FakeRemote;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    [[plein], remote, ...slow] = await Promise.all([
      startInstances(1, { env: { PLEIN_QUEUE_CONCURRENCY: "2", PLEIN_OUTBOX_CONCURRENCY: String(OUTBOX_CONCURRENCY) } }),
      startFakeRemote(),
      ...Array.from({ length: FOLLOWERS }, () => startSink("127.0.0.1", (_req, res) => void held.push(res))),
    ]) as [[TestInstance], FakeRemote, ...Sink[]];
  });

  afterAll(async () => {
    for (const res of held) res.writeHead(202).end();
    await Promise.all([...(slow ?? []).map((s) => s.close()), remote?.close()]);
    await closeInstances(plein ? [plein] : undefined);
  });

  test("up to PLEIN_OUTBOX_CONCURRENCY wait on a slow server at once, and the inbox is handled meanwhile", async () => {
    const alice = await plein.createUser("alice");
    for (const [i, sink] of slow.entries()) await insertFollowers(plein.db, "alice", sink, [`f${i}`]);
    expect((await alice.api.post("/api/v1/statuses", { status: "to a slow server" })).status).toBe(200);
    // More than the inbox queue's 2: the outbox has slots of its own.
    await waitFor(() => held.length === OUTBOX_CONCURRENCY, { message: `${OUTBOX_CONCURRENCY} deliveries held by the slow server` });
    const waiting = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", FEDIFY_OUTBOX_QUEUE).execute();
    expect(waiting).toHaveLength(FOLLOWERS);
    expect(waiting.every((m) => (m.payload as { type?: string }).type === "outbox")).toBe(true);

    // Every outbox slot is taken, yet an inbound Follow is handled: it is in the other queue.
    const carol = await remote.actor("carol");
    const follow = { "@context": AS_CONTEXT, id: newId(carol), type: "Follow", actor: carol.iri, object: alice.actor.iri };
    expect((await deliverOverNetwork(`${plein.origin}/users/alice/inbox`, follow, carol)).status).toBe(202);
    await waitFor(async () => (await plein.db.selectFrom("follows").select("state").where("activity_iri", "=", follow.id).executeTakeFirst())?.state === "accepted",
      { message: "carol's Follow handled while the deliveries wait" });
    expect(held).toHaveLength(OUTBOX_CONCURRENCY);

    // Answered, the slots take the remaining deliveries.
    for (const res of held.splice(0)) res.writeHead(202).end();
    await waitFor(() => {
      for (const res of held.splice(0)) res.writeHead(202).end();
      return slow.every((sink) => sink.received.length === 1);
    }, { message: "every follower's delivery" });
  });
});

describe("an outbox message an earlier version left in the fedify queue", () => {
  let plein: TestInstance;
  let kept: Sink;
  let blocked: Sink;
  let status = 503;

  beforeAll(async () => {
    [[plein], kept, blocked] = await Promise.all([
      // A failed delivery is tried again an hour later: it waits in the queue for the test to move it.
      startInstances(1, {
        start: {
          federation: {
            outboxRetryPolicy: createExponentialBackoffPolicy({ initialDelay: { hours: 1 }, maxAttempts: 5, jitter: false }),
            circuitBreaker: false,
          },
        },
      }),
      startSink("127.0.0.61", (_req, res) => void res.writeHead(status).end()),
      startSink("127.0.0.62", (_req, res) => void res.writeHead(status).end()),
    ]) as [[TestInstance], Sink, Sink];
  });

  afterAll(async () => {
    await Promise.all([kept?.close(), blocked?.close()]);
    await closeInstances(plein ? [plein] : undefined);
  });

  test("is delivered from there, or dropped there when its server has been blocked since", async () => {
    const alice = await plein.createUser("alice");
    await insertFollowers(plein.db, "alice", kept, ["k"]);
    await insertFollowers(plein.db, "alice", blocked, ["b"]);
    expect((await alice.api.post("/api/v1/statuses", { status: "queued by an earlier version" })).status).toBe(200);
    const retries = () => plein.db.selectFrom("queue_messages").select(["queue", "payload"]).where("queue", "in", [FEDIFY_QUEUE, FEDIFY_OUTBOX_QUEUE]).execute();
    await waitFor(async () => (await retries()).filter((m) => (m.payload as { attempt?: number }).attempt === 1).length === 2,
      { message: "both deliveries failed once and wait for their retry" });

    // As an earlier version queued them: in `fedify`, due now.
    const [keptBefore, blockedBefore] = [kept.received.length, blocked.received.length];
    status = 202;
    await policyOf(plein.db, plein.origin).rule("127.0.0.62", "block");
    await sql`update queue_messages set queue = ${FEDIFY_QUEUE}, available_at = now() where queue = ${FEDIFY_OUTBOX_QUEUE}`.execute(plein.db);

    await waitFor(async () => (await retries()).length === 0, { message: "the moved messages handled" });
    expect(kept.received.length).toBeGreaterThan(keptBefore);
    expect(kept.received.at(-1)!.body).toContain("queued by an earlier version");
    expect(blocked.received).toHaveLength(blockedBefore);
  });
});
