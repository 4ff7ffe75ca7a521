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
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FEDIFY_OUTBOX_QUEUE } from "../../src/db/queue-rows.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
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
