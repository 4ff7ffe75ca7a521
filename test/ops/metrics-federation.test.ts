/**
 * The federation metrics on real instances: inbox activities by type and
 * result, deliveries by result, and a remote host whose circuit breaker
 * opened (Fedify's breaker, one failure opens it here).
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createGroup } from "../../src/domain/groups.ts";
import { type FakeRemote, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, settle, startInstances, type TestInstance, waitFor } from "../support/instances.ts";
import { followAndWait } from "../support/mastodon.ts";
import { sample } from "../support/metrics.ts";
import { storeRemoteActor } from "../support/policy.ts";
import { postInGroup } from "../support/plein.ts";

const TOKEN = "federation-metrics-token-0123456789";
let a: TestInstance, b: TestInstance;
let down: FakeRemote;

beforeAll(async () => {
  [[a, b], down] = await Promise.all([
    startInstances(2, {
      env: { PLEIN_METRICS_TOKEN: TOKEN },
      start: {
        federation: {
          outboxRetryPolicy: createExponentialBackoffPolicy({ initialDelay: { milliseconds: 100 }, maxDelay: { milliseconds: 100 }, maxAttempts: 50, jitter: false }),
          circuitBreaker: { failureThreshold: 1, recoveryDelay: { minutes: 10 } },
        },
      },
    }),
    startFakeRemote({ host: "127.0.0.26" }),
  ]) as [[TestInstance, TestInstance], FakeRemote];
});

afterAll(async () => {
  await down?.close();
  await closeInstances(a && b ? [a, b] : undefined);
});

async function scrape(instance: TestInstance): Promise<string> {
  const res = await fetch(`${instance.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

test("a follow across instances counts the Follow and the Accept taken in, and the deliveries made", async () => {
  // Counters are per process, and both instances run in this one: compare before and after.
  const count = (text: string, name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;
  const before = await scrape(a);
  const anna = await a.createUser("anna");
  const bert = await b.createUser("bert");
  await followAndWait(bert, anna.handle);
  await settle([a, b]);
  const after = await scrape(a);
  const inbox = (text: string, type: string) => count(text, "plein_inbox_activities_total", { type, result: "accepted" });
  expect(inbox(after, "Follow")).toBeGreaterThanOrEqual(inbox(before, "Follow") + 1);
  expect(inbox(after, "Accept")).toBeGreaterThanOrEqual(inbox(before, "Accept") + 1);
  const delivered = (text: string) => count(text, "plein_deliveries_total", { result: "delivered" });
  expect(delivered(after)).toBeGreaterThanOrEqual(delivered(before) + 2);
  expect(sample(after, "plein_http_requests_total", { route: "fedify", method: "POST", status: "202" })).toBeGreaterThanOrEqual(2);
});

test("a server whose deliveries fail shows as circuit-broken, and its failed attempt as retrying", async () => {
  expect(sample(await scrape(a), "plein_remote_hosts_circuit_broken", { state: "open" })).toBe(0);
  down.serve("/inbox", { status: 500, body: "" });
  const olga = await a.createUser("olga");
  const group = await createGroup(a.db, new URL(a.origin), olga.actor, { name: "raad", visibility: "closed", joinMode: "invite", modules: [] });
  const member = await storeRemoteActor(a.db, a.host, down.url("/users/member"));
  await a.db.insertInto("memberships").values({ group_id: group.actor.id, member_id: member.id, state: "member" }).execute();
  await postInGroup(olga, group.actor.id, { text: "Tijdens de storing" });
  await waitFor(async () => sample(await scrape(a), "plein_remote_hosts_circuit_broken", { state: "open" }) === 1,
    { message: "the failing server's circuit to open" });
  // The circuit opens inside Fedify's send; the attempt is counted when the queue handler has failed, a moment later.
  await waitFor(async () => (sample(await scrape(a), "plein_deliveries_total", { result: "retrying" }) ?? 0) >= 1,
    { message: "the failed attempt to be counted as retrying" });
});
