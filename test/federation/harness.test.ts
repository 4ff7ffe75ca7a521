import { Application, Person } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";

const ACTIVITY_JSON = "application/activity+json";

interface ActorDocument {
  id?: string;
  type?: string;
  preferredUsername?: string;
  inbox?: string;
  publicKey?: { id?: string; owner?: string; publicKeyPem?: string };
}

interface WebFingerDocument {
  subject?: string;
  links?: Array<{ rel?: string; type?: string; href?: string }>;
}

async function getJson<T>(url: string, accept = ACTIVITY_JSON): Promise<{ status: number; body: T; type: string | null }> {
  const response = await fetch(url, { headers: { accept } });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body: body as T, type: response.headers.get("content-type") };
}

/** A Fedify context of `instance`: what that instance's own code uses to reach others. */
function contextOf(instance: TestInstance) {
  const { federation, deps } = instance.running;
  return federation.federation.createContext(new URL(instance.origin), deps);
}

describe("multi-instance test harness", () => {
  let instances: TestInstance[];
  let one: TestInstance;
  let two: TestInstance;
  let three: TestInstance;
  let alice: TestUser;

  beforeAll(async () => {
    instances = await startInstances(3);
    [one, two, three] = instances as [TestInstance, TestInstance, TestInstance];
    alice = await one.createUser("alice", { displayName: "Alice One" });
  });

  afterAll(async () => {
    await closeInstances(instances);
  });

  it("gives each instance its own loopback address and a port-less https origin", async () => {
    // One block 127.0.P.x per test process (VITEST_POOL_ID, or a free one if another run holds it).
    const pool = Number(one.host.split(".")[2]);
    expect(pool).toBeGreaterThanOrEqual(1);
    expect(pool).toBeLessThanOrEqual(8);
    expect(instances.map((i) => i.host)).toEqual([`127.0.${pool}.1`, `127.0.${pool}.2`, `127.0.${pool}.3`]);
    for (const instance of instances) {
      expect(instance.origin).toBe(`https://${instance.host}`);
      expect(instance.running.config.origin.href).toBe(`${instance.origin}/`);
      expect(instance.running.config.allowPrivateAddress).toBe(true);
      const health = await instance.api().get<{ status: string }>("/healthz");
      expect(health.status).toBe(200);
      expect(health.body.status).toBe("ok");
    }
  });

  it("keeps the databases apart", async () => {
    const here = await one.db.selectFrom("actors").select("username").where("local", "=", true).execute();
    const there = await two.db.selectFrom("actors").select("username").where("local", "=", true).execute();
    expect(here.map((r) => r.username).sort()).toEqual(["alice", one.host].sort());
    expect(there.map((r) => r.username)).toEqual([two.host]);
  });

  it("serves each instance actor over HTTPS", async () => {
    for (const instance of instances) {
      const url = `${instance.origin}/users/${instance.host}`;
      const { status, body, type } = await getJson<ActorDocument>(url);
      expect(status).toBe(200);
      expect(type).toMatch(/^application\/(activity\+json|ld\+json)/);
      expect(body.id).toBe(url);
      expect(body.type).toBe("Application");
      expect(body.inbox).toBe(`${url}/inbox`);
      expect(body.publicKey?.owner).toBe(url);
      expect(body.publicKey?.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    }
  });

  it("serves NodeInfo 2.1 at its origin", async () => {
    for (const instance of instances) {
      const index = await getJson<{ links?: Array<{ rel?: string; href?: string }> }>(
        `${instance.origin}/.well-known/nodeinfo`, "application/json");
      expect(index.status).toBe(200);
      const link = index.body.links?.find((l) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1");
      expect(link?.href).toBe(`${instance.origin}/nodeinfo/2.1`);
      const info = await getJson<{ software?: { name?: string }; protocols?: string[]; usage?: { users?: { total?: number } } }>(
        link!.href!, "application/json");
      expect(info.status).toBe(200);
      expect(info.body.software?.name).toBe("plein");
      expect(info.body.protocols).toEqual(["activitypub"]);
      expect(info.body.usage?.users?.total).toBe(instance === one ? 1 : 0);
    }
  });

  it("answers WebFinger for its own users only", async () => {
    const own = await getJson<WebFingerDocument>(
      `${one.origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:alice@${one.host}`)}`, "application/jrd+json");
    expect(own.status).toBe(200);
    expect(own.body.subject).toBe(`acct:alice@${one.host}`);
    expect(own.body.links?.find((l) => l.rel === "self")?.href).toBe(`${one.origin}/users/alice`);

    // Instance 2 must not claim a user of instance 1, nor know a user that does not exist.
    const foreign = await getJson<WebFingerDocument>(
      `${two.origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:alice@${one.host}`)}`, "application/jrd+json");
    expect(foreign.status).toBe(404);
    const missing = await getJson<WebFingerDocument>(
      `${one.origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:nobody@${one.host}`)}`, "application/jrd+json");
    expect(missing.status).toBe(404);
  });

  it("lets one instance find a user of another by WebFinger and fetch the actor", async () => {
    const ctx = contextOf(two);
    const webfinger = await ctx.lookupWebFinger(`acct:${alice.handle}`);
    expect(webfinger?.subject).toBe(`acct:${alice.handle}`);
    expect(webfinger?.links?.find((l) => l.rel === "self")?.href).toBe(`${one.origin}/users/alice`);

    const actor = await ctx.lookupObject(`@${alice.handle}`);
    expect(actor).toBeInstanceOf(Person);
    expect(actor?.id?.href).toBe(`${one.origin}/users/alice`);
    expect((actor as Person).preferredUsername?.toString()).toBe("alice");

    expect(await ctx.lookupWebFinger(`acct:nobody@${one.host}`)).toBeNull();
    expect(await ctx.lookupObject(`@nobody@${one.host}`)).toBeNull();
  });

  it("resolves a remote handle through the instance's resolver and stores the actor", async () => {
    const stored = await two.running.deps.resolver.resolveActor(alice.handle);
    expect(stored).toBeDefined();
    expect(stored!.local).toBe(false);
    expect(stored!.iri).toBe(`${one.origin}/users/alice`);
    expect(stored!.domain).toBe(one.host);
    expect(stored!.username).toBe("alice");
    const row = await two.db.selectFrom("actors").select("iri").where("iri", "=", `${one.origin}/users/alice`).executeTakeFirst();
    expect(row).toBeDefined();
    // Instance 3 has never heard of alice.
    const none = await three.db.selectFrom("actors").select("iri").where("iri", "=", `${one.origin}/users/alice`).executeTakeFirst();
    expect(none).toBeUndefined();
  });

  it("stop() keeps the database and restart() serves it again at the same address", async () => {
    const carol = await three.createUser("carol");
    const url = `${three.origin}/users/carol`;
    const before = await getJson<ActorDocument>(url);
    expect(before.status).toBe(200);

    await three.stop();
    expect(three.isRunning).toBe(false);
    expect(() => three.running).toThrow(/not running/);
    await expect(fetch(url, { headers: { accept: ACTIVITY_JSON } })).rejects.toThrow();
    // The database outlives the stop.
    const kept = await three.db.selectFrom("actors").select("id").where("username", "=", "carol").executeTakeFirst();
    expect(kept?.id).toBe(carol.actor.id);

    await three.restart();
    expect(three.isRunning).toBe(true);
    const after = await waitFor(async () => {
      const r = await getJson<ActorDocument>(url);
      return r.status === 200 ? r : undefined;
    });
    expect(after.body.id).toBe(url);
    expect(after.body.publicKey?.publicKeyPem).toBe(before.body.publicKey?.publicKeyPem);
    // Other instances reach it again too.
    const found = await contextOf(one).lookupObject(`@carol@${three.host}`);
    expect(found?.id?.href).toBe(url);
    const app = await contextOf(one).lookupObject(`${three.origin}/users/${three.host}`);
    expect(app).toBeInstanceOf(Application);
  });

  it("api() sends the bearer token and parses JSON errors", async () => {
    const anonymous = await one.api().get<{ error?: string }>("/no/such/path");
    expect(anonymous.status).toBe(404);
    expect(typeof anonymous.body.error).toBe("string");
    expect(alice.token.length).toBeGreaterThanOrEqual(16);
  });

  it("waitFor returns the first truthy value and reports the last failure on timeout", async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).toBe(3);
    await expect(waitFor(() => {
      throw new Error("still wrong");
    }, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/timed out.*\n?.*still wrong/s);
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 5, message: "never" })).rejects.toThrow(/never/);
  });
});
