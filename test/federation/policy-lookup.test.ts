/**
 * The federation policy for what our own people cause: looking up a blocked
 * server's accounts and posts (WebFinger, URLs, mentions), following its
 * people and joining its groups. Refused with a clear error; the blocked
 * server (a real HTTP server that counts requests) hears nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { FederationRefusedError } from "../../federation/policy.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { type FakeActor, type FakeRemote, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { policyOf, storeRemoteActor } from "../support/policy.ts";
import { type Api, ORIGIN, startApi, type User } from "../api/support.ts";

let api: Api;
let evil: FakeRemote;
let mallory: FakeActor;
let alice: User;
let policy: ReturnType<typeof policyOf>;

beforeAll(async () => {
  [api, evil] = await Promise.all([startApi({ env: { PLEIN_ALLOW_PRIVATE_ADDRESS: "true" } }), startFakeRemote({ host: "127.0.0.7" })]);
  api.setResolver(api.realResolver);
  mallory = await evil.actor("mallory");
  alice = await api.user("alice");
  policy = policyOf(api.running.deps.db, ORIGIN);
});

afterAll(async () => {
  await evil?.close();
  await api?.close();
});

beforeEach(async () => {
  await policy.rule("127.0.0.7", "block");
});

const evilHost = () => new URL(evil.origin).host;
const resolver = () => api.running.deps.resolver;

describe("lookups of a blocked server", () => {
  test("a handle (WebFinger), an actor URL and a post URL are refused with a clear error, and nothing reaches the server", async () => {
    const note = publicNote(mallory);
    const before = evil.received.length;
    for (const lookup of [
      () => resolver().resolveActor(`mallory@${evilHost()}`),
      () => resolver().resolveActor(`@mallory@${evilHost()}`),
      () => resolver().resolveActor(mallory.iri),
      () => resolver().resolvePost(note.id as string),
    ]) {
      const error = await lookup().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(FederationRefusedError);
      expect((error as Error).message).toMatch(/does not federate with 127\.0\.0\.7 \(federation policy\)/);
    }
    expect(evil.received.length).toBe(before);
  });

  test("an account stored before the block is refused too (no stale copy handed out)", async () => {
    await policy.unrule("127.0.0.7");
    expect((await resolver().resolveActor(mallory.iri))?.iri).toBe(mallory.iri);
    await policy.rule("127.0.0.7", "block");
    await expect(resolver().resolveActor(mallory.iri)).rejects.toBeInstanceOf(FederationRefusedError);
    await expect(resolver().resolveActor(`mallory@${evilHost()}`)).rejects.toBeInstanceOf(FederationRefusedError);
  });

  test("search with resolve=true finds nothing and asks nothing; a mention stays plain text", async () => {
    const before = evil.received.length;
    for (const q of [`@mallory@${evilHost()}`, mallory.iri, evil.url("/notes/1")]) {
      const res = await api.request<{ accounts: unknown[]; statuses: unknown[] }>("GET", `/api/v2/search?resolve=true&q=${encodeURIComponent(q)}`, { token: alice.token });
      expect(res.status).toBe(200);
      expect(res.body.statuses).toEqual([]);
    }
    const status = await api.post(alice, { status: `Hallo @mallory@${evilHost()}` });
    expect((status as MastodonStatus).mentions).toEqual([]);
    expect(evil.received.length).toBe(before);
  });

  test("with the block lifted, the same lookup reaches the server (the refusal above was the policy's)", async () => {
    const eve = await evil.actor("eve");
    await expect(resolver().resolveActor(eve.iri)).rejects.toBeInstanceOf(FederationRefusedError);
    await policy.unrule("127.0.0.7");
    const before = evil.received.length;
    expect((await resolver().resolveActor(eve.iri))?.iri).toBe(eve.iri);
    expect(evil.received.length).toBeGreaterThan(before);
  });
});

describe("follow and join requests of our people", () => {
  let person: Actor;
  let group: Actor;

  beforeAll(async () => {
    await policy.unrule("127.0.0.7");
    person = await storeRemoteActor(api.running.deps.db, "plein.test", "https://blocked.example/users/bob");
    group = await storeRemoteActor(api.running.deps.db, "plein.test", "https://blocked.example/groups/club", "Group");
  });

  const jobs = async () => (await api.running.deps.db.selectFrom("queue_messages").select("id").where("queue", "=", DELIVERY_QUEUE).execute()).length;

  test("following someone on a blocked server is 403 with the reason; nothing is stored or queued", async () => {
    await policy.rule("blocked.example", "block");
    const before = await jobs();
    const res = await api.request("POST", `/api/v1/accounts/${person.id}/follow`, { token: alice.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/does not federate with blocked\.example/);
    expect(await api.running.deps.db.selectFrom("follows").select("id").where("followee_id", "=", person.id).execute()).toEqual([]);
    expect(await jobs()).toBe(before);
  });

  test("joining a group on a blocked server is 403 with the reason; nothing is stored or queued", async () => {
    await policy.rule("*.blocked.example", "block");
    const before = await jobs();
    const res = await api.request("POST", `/api/plein/v1/groups/${group.id}/join`, { token: alice.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/does not federate with blocked\.example/);
    expect(await api.running.deps.db.selectFrom("memberships").select("id").where("group_id", "=", group.id).execute()).toEqual([]);
    expect(await jobs()).toBe(before);
  });

  test("once the rules are gone, the same follow is asked for (a request queued)", async () => {
    await policy.unrule("blocked.example");
    await policy.unrule("*.blocked.example");
    const before = await jobs();
    const res = await api.request("POST", `/api/v1/accounts/${person.id}/follow`, { token: alice.token });
    expect(res.status).toBe(200);
    expect(await jobs()).toBe(before + 1);
  });
});
