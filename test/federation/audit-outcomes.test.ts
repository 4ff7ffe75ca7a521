/**
 * What the delivery audit records when an inbox does not simply accept: a
 * real instance (fast retries, no circuit breaker) delivers a closed group's
 * post to members on three plain HTTP servers: one answers 410 (given up at
 * once), one 503 and then 202 (retried, then delivered), one always 500
 * (retried until Fedify gives up). Each outcome is a new record, appended
 * after the "queued" one.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createGroup } from "../../src/domain/groups.ts";
import { closeInstances, settle, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
import { type FakeRemote, startFakeRemote } from "../support/fake-remote.ts";
import { policyOf, storeRemoteActor } from "../support/policy.ts";
import { postInGroup } from "../support/plein.ts";

let a: TestInstance;
let gone: FakeRemote, flaky: FakeRemote, down: FakeRemote, blocked: FakeRemote;

beforeAll(async () => {
  [[a], gone, flaky, down, blocked] = await Promise.all([
    startInstances(1, {
      start: {
        federation: {
          outboxRetryPolicy: createExponentialBackoffPolicy({ initialDelay: { milliseconds: 100 }, maxDelay: { milliseconds: 100 }, maxAttempts: 3, jitter: false }),
          circuitBreaker: false,
        },
      },
    }),
    startFakeRemote({ host: "127.0.0.21" }),
    startFakeRemote({ host: "127.0.0.22" }),
    startFakeRemote({ host: "127.0.0.23" }),
    startFakeRemote({ host: "127.0.0.24" }),
  ]) as [[TestInstance], FakeRemote, FakeRemote, FakeRemote, FakeRemote];
});

afterAll(async () => {
  await Promise.all([gone?.close(), flaky?.close(), down?.close(), blocked?.close()]);
  await closeInstances(a ? [a] : undefined);
});

test("each attempt's outcome is a new record: failed (410), retrying then delivered, retrying until failed", async () => {
  gone.serve("/inbox", { status: 410, body: "" });
  // Fedify knocks twice per attempt when the first signature style is refused (RFC 9421, then draft-cavage).
  let flakyCalls = 0;
  flaky.serve("/inbox", () => (++flakyCalls <= 2 ? { status: 503, body: "" } : { status: 202, body: "" }));
  down.serve("/inbox", { status: 500, body: "" });

  const olga = await a.createUser("olga");
  const group = await createGroup(a.db, new URL(a.origin), olga.actor, { name: "raad", visibility: "closed", joinMode: "invite", modules: [] });
  for (const server of [gone, flaky, down]) {
    const member = await storeRemoteActor(a.db, a.host, server.url("/users/member"));
    await a.db.insertInto("memberships").values({ group_id: group.actor.id, member_id: member.id, state: "member" }).execute();
  }
  const post = await postInGroup(olga, group.actor.id, { text: "Vertrouwelijk" });
  const records = () => a.db.selectFrom("delivery_audit").selectAll().where("object_iri", "=", post.uri).orderBy("id").execute();
  const final = new Set(["delivered", "failed"]);
  await waitFor(async () => {
    const rows = await records();
    return ["127.0.0.21", "127.0.0.22", "127.0.0.23"].every((s) => rows.some((r) => r.server === s && final.has(r.result)));
  }, { message: "every server's delivery to end", timeoutMs: 60_000 });
  await settle([a]);

  const rows = await records();
  const of = (server: string) => rows.filter((r) => r.server === server).map((r) => [r.result, r.status_code, r.attempt]);
  expect(of("127.0.0.21")).toEqual([["queued", null, null], ["failed", 410, 1]]);
  expect(of("127.0.0.22")).toEqual([["queued", null, null], ["retrying", 503, 1], ["delivered", null, 2]]);
  const downRows = of("127.0.0.23");
  expect(downRows[0]).toEqual(["queued", null, null]);
  expect(downRows.at(-1)).toEqual(["failed", 500, downRows.length - 1]);
  expect(downRows.slice(1, -1).every(([result, status]) => result === "retrying" && status === 500)).toBe(true);
  expect(downRows.length).toBeGreaterThan(2);
  expect(rows.every((r) => r.activity_type === "Announce" && r.group_id === group.actor.id)).toBe(true);
  // Ids follow time: nothing was rewritten, everything was appended.
  expect(rows.filter((r) => r.server === "127.0.0.22").map((r) => r.created_at.getTime())).toEqual(
    rows.filter((r) => r.server === "127.0.0.22").map((r) => r.created_at.getTime()).sort((x, y) => x - y),
  );
});

test("a delivery queued before its server was blocked is recorded as refused when its turn comes", async () => {
  // The server fails the first attempt; while it answers, A's admin blocks it.
  blocked.serveRaw("/inbox", async (_req, res) => {
    await policyOf(a.db, a.origin).rule("127.0.0.24", "block");
    res.writeHead(503).end();
  });
  const piet = await a.createUser("piet");
  const group = await createGroup(a.db, new URL(a.origin), piet.actor, { name: "college", visibility: "closed", joinMode: "invite", modules: [] });
  const member = await storeRemoteActor(a.db, a.host, blocked.url("/users/member"));
  await a.db.insertInto("memberships").values({ group_id: group.actor.id, member_id: member.id, state: "member" }).execute();
  const post = await postInGroup(piet, group.actor.id, { text: "Na de blokkade" });
  await waitFor(async () => (await a.db.selectFrom("delivery_audit").select("result").where("object_iri", "=", post.uri)
    .where("result", "=", "refused").execute()).length > 0, { message: "the queued delivery to be refused" });
  await settle([a]);
  const rows = await a.db.selectFrom("delivery_audit").selectAll().where("object_iri", "=", post.uri).orderBy("id").execute();
  expect(rows.map((r) => [r.server, r.result, r.status_code, r.attempt])).toEqual([
    ["127.0.0.24", "queued", null, null], ["127.0.0.24", "retrying", 503, 1], ["127.0.0.24", "refused", null, 2],
  ]);
});

test("while a server's circuit breaker is open, deliveries are held, and given up once held too long", async () => {
  const [b] = await startInstances(1, {
    start: {
      federation: {
        outboxRetryPolicy: createExponentialBackoffPolicy({ initialDelay: { milliseconds: 100 }, maxDelay: { milliseconds: 100 }, maxAttempts: 50, jitter: false }),
        // One failure opens the circuit for ten minutes; what it holds is given up after a second.
        circuitBreaker: { failureThreshold: 1, recoveryDelay: { minutes: 10 }, heldActivityTtl: { seconds: 1 } },
      },
    },
  }) as [TestInstance];
  const unreachable = await startFakeRemote({ host: "127.0.0.25" });
  try {
    unreachable.serve("/inbox", { status: 500, body: "" });
    const kees = await b.createUser("kees");
    const group = await createGroup(b.db, new URL(b.origin), kees.actor, { name: "raad", visibility: "closed", joinMode: "invite", modules: [] });
    const member = await storeRemoteActor(b.db, b.host, unreachable.url("/users/member"));
    await b.db.insertInto("memberships").values({ group_id: group.actor.id, member_id: member.id, state: "member" }).execute();
    const results = async (uri: string) => (await b.db.selectFrom("delivery_audit").select(["result", "status_code", "detail"])
      .where("object_iri", "=", uri).orderBy("id").execute());
    const first = await postInGroup(kees, group.actor.id, { text: "Tijdens de storing" });
    await waitFor(async () => (await results(first.uri)).some((r) => r.result === "retrying"), { message: "the first delivery to fail" });
    // The circuit is open now: the next post is not sent at all.
    const second = await postInGroup(kees, group.actor.id, { text: "Nog tijdens de storing" });
    await waitFor(async () => (await Promise.all([results(first.uri), results(second.uri)])).every((rows) => rows.some((r) => r.result === "failed")),
      { message: "both held deliveries to be given up", timeoutMs: 30_000 });
    await settle([b]);
    const heldTooLong = { result: "failed", status_code: null, detail: "held while the server was unreachable, for too long" };
    expect(await results(first.uri)).toEqual([
      { result: "queued", status_code: null, detail: null }, { result: "retrying", status_code: 500, detail: "HTTP 500" }, heldTooLong,
    ]);
    expect(await results(second.uri)).toEqual([
      { result: "queued", status_code: null, detail: null }, { result: "held", status_code: null, detail: "not sent: the server's circuit breaker is open" }, heldTooLong,
    ]);
    expect(unreachable.received.filter((r) => r.method === "POST")).toHaveLength(2); // the first attempt, knocked twice
  } finally {
    await unreachable.close();
    await closeInstances([b]);
  }
});
