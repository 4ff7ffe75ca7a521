/**
 * Work before authentication (issue 6): what an unauthenticated inbox POST
 * can make a running Plein do. Fedify expands an activity's JSON-LD, and
 * fetches the signer's key, before it knows who sent it; each of those
 * fetches is a request to a server the sender chose. A real instance
 * (startInstances, HTTPS on loopback) gets the hostile requests over the
 * network from a hostile loopback server (fake-remote) that serves the
 * contexts and keys and counts what it is asked for and what it sends.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { housekeep } from "../../federation/housekeeping.ts";
import { FETCH_LIMITS } from "../../federation/loader.ts";
import { AS_CONTEXT, deliverOverNetwork, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

let plein: TestInstance;
let remote: FakeRemote;
let alice: TestUser;
let bob: FakeActor;

beforeAll(async () => {
  let instances: TestInstance[];
  [instances, remote] = await Promise.all([startInstances(1), startFakeRemote()]);
  plein = instances[0]!;
  alice = await plein.createUser("alice");
  bob = await remote.actor("bob");
});

afterAll(async () => {
  await remote?.close();
  await closeInstances(plein ? [plein] : undefined);
});

const inbox = () => `${plein.origin}/inbox`;

async function kvRows() {
  return plein.db.selectFrom("kv_entries").select(["key", "expires_at", sql<number>`octet_length(value::text)`.as("size")]).orderBy("key").execute();
}

const requestsTo = (prefix: string) => remote.received.filter((r) => r.path.startsWith(prefix)).length;

async function jsonError(res: Response): Promise<string> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json() as { error?: unknown };
  expect(typeof body.error).toBe("string");
  return body.error as string;
}

/** Serves a JSON-LD context that defines one harmless term. */
function serveContext(path: string): void {
  remote.serve(path, { contentType: "application/ld+json", body: { "@context": { plein: "https://example.org/ns#plein" } } });
}

const HUGE = 30 * 1024 * 1024;

/**
 * Streams one JSON document of about `HUGE` bytes, chunked (no
 * Content-Length, so the reader has to stop on its own), writing only as
 * fast as the client reads. `flushed` counts the bytes handed to the kernel:
 * what Plein read, plus at most what the socket buffers hold.
 */
function streamHuge(contentType: string, open: string, close: string): { handler: (req: IncomingMessage, res: ServerResponse) => void; flushed: () => number } {
  let flushed = 0;
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-type": contentType });
    const chunk = Buffer.alloc(64 * 1024, "x");
    let queued = 0;
    const write = (data: string | Buffer) => res.write(data, (error) => {
      if (!error) flushed += Buffer.byteLength(data);
    });
    write(open);
    const pump = () => {
      while (queued < HUGE) {
        if (res.destroyed) return;
        queued += chunk.length;
        if (!write(chunk)) return void res.once("drain", pump);
      }
      res.end(close);
    };
    res.on("close", () => res.removeAllListeners("drain"));
    pump();
  };
  return { handler, flushed: () => flushed };
}

/**
 * What may pass the socket beyond what Plein reads: the loopback socket's
 * send buffer (tcp_wmem, 4 MiB at most here) and receive buffer. Far below
 * the 30 MB a reader without a cap takes.
 */
const SOCKET_SLACK = 8 * 1024 * 1024;

describe("remote JSON-LD contexts named by an unauthenticated activity", () => {
  test("200 embedded objects, each with its own remote @context: at most the per-request cap is fetched, nothing stored, 400", async () => {
    for (let i = 0; i < 200; i++) serveContext(`/contexts/many/${i}`);
    const before = await kvRows();
    const object = {
      id: newId(bob, "notes"), type: "Note", attributedTo: bob.iri, to: [PUBLIC], content: "<p>hi</p>",
      tag: Array.from({ length: 200 }, (_, i) => ({
        "@context": remote.url(`/contexts/many/${i}`), type: "Mention", href: remote.url(`/users/m${i}`),
      })),
    };
    const res = await deliverOverNetwork(inbox(), { "@context": AS_CONTEXT, id: newId(bob), type: "Create", actor: bob.iri, object }, null, { unsigned: true });
    // Fedify 2.3.8 fetched all 200 (jsonld's limit of 10 is per resolution) and cached each in kv_entries, then answered 401.
    expect(requestsTo("/contexts/many/")).toBeLessThanOrEqual(FETCH_LIMITS.maxFetchesPerRequest);
    expect(res.status).toBe(400);
    await jsonError(res);
    expect(await kvRows()).toEqual(before);
    await settle([plein]);
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", object.id).executeTakeFirst()).toBeUndefined();
  });

  test("a 30 MB context is refused once the size cap is read, and not stored", async () => {
    const huge = streamHuge("application/ld+json", '{"@context":{"plein":"https://example.org/ns#plein","x":"', '"}}');
    remote.serveRaw("/contexts/huge", huge.handler);
    const before = await kvRows();
    const res = await deliverOverNetwork(inbox(), {
      "@context": [...AS_CONTEXT, remote.url("/contexts/huge")],
      id: newId(bob), type: "Follow", actor: bob.iri, object: alice.actor.iri,
    }, null, { unsigned: true });
    // Fedify 2.3.8 read all 30 MB, kept it in kv_entries for five minutes, then answered 401.
    expect(res.status).toBe(400);
    await jsonError(res);
    expect(requestsTo("/contexts/huge")).toBe(1);
    expect(huge.flushed()).toBeLessThan(FETCH_LIMITS.maxBytes + SOCKET_SLACK);
    expect(await kvRows()).toEqual(before);
  });

  test("a top-level @context with more than 10 URLs: 400 with a JSON error, not a 500", async () => {
    const urls = Array.from({ length: 12 }, (_, i) => remote.url(`/contexts/overflow/${i}`));
    urls.forEach((url) => serveContext(new URL(url).pathname));
    const before = await kvRows();
    const res = await deliverOverNetwork(inbox(), {
      "@context": [...AS_CONTEXT, ...urls],
      id: newId(bob), type: "Follow", actor: bob.iri, object: alice.actor.iri,
    }, bob);
    expect(res.status).toBe(400);
    expect(await jsonError(res)).toMatch(/context/i);
    expect(requestsTo("/contexts/overflow/")).toBeLessThanOrEqual(FETCH_LIMITS.maxFetchesPerRequest);
    expect(await kvRows()).toEqual(before);
  });
});

describe("keys fetched to check a signature", () => {
  test("a 30 MB key document is refused once the size cap is read, fetched once, and nothing is stored", async () => {
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const actor = remote.url("/users/huge");
    const huge = streamHuge("application/activity+json",
      `{"@context":"https://www.w3.org/ns/activitystreams","id":"${actor}","type":"Person","inbox":"${actor}/inbox","summary":"`, '"}');
    remote.serveRaw("/users/huge", huge.handler);
    const before = await kvRows();
    const res = await deliverOverNetwork(inbox(), {
      "@context": AS_CONTEXT, id: remote.url("/activities/huge"), type: "Follow", actor, object: alice.actor.iri,
    }, { keyId: `${actor}#main-key`, privateKey });
    // Fedify 2.3.8 read the 30 MB twice (the key, then its owner) and kept it in kv_entries.
    expect(res.status).toBe(401);
    expect(requestsTo("/users/huge")).toBe(1);
    expect(huge.flushed()).toBeLessThan(FETCH_LIMITS.maxBytes + SOCKET_SLACK);
    expect(await kvRows()).toEqual(before);
  });

  test("a forged request that spends the fetch budget before the key fetch cannot make an honest key \"unavailable\"", async () => {
    const dave = await remote.actor("dave");
    const budget = FETCH_LIMITS.maxFetchesPerRequest;
    for (let i = 0; i < budget; i++) serveContext(`/contexts/spend/${i}`);
    const { privateKey: forgery } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const object = {
      id: newId(dave, "notes"), type: "Note", attributedTo: dave.iri, to: [PUBLIC], content: "<p>forged</p>",
      tag: Array.from({ length: budget }, (_, i) => ({ "@context": remote.url(`/contexts/spend/${i}`), type: "Mention", href: remote.url(`/users/s${i}`) })),
    };
    const before = await kvRows();
    const forged = await deliverOverNetwork(inbox(), { "@context": AS_CONTEXT, id: newId(dave), type: "Create", actor: dave.iri, object },
      { keyId: dave.keyId, privateKey: forgery });
    expect(forged.status).toBe(401);
    expect(requestsTo("/contexts/spend/")).toBe(budget);
    // Fedify cached dave's key as unavailable for ten minutes when the fetch over budget failed.
    expect(await kvRows()).toEqual(before);
    const honest = { id: newId(dave, "notes"), type: "Note", attributedTo: dave.iri, to: [PUBLIC], content: "<p>real</p>" };
    const res = await deliverOverNetwork(inbox(), { "@context": AS_CONTEXT, id: newId(dave), type: "Create", actor: dave.iri, object: honest }, dave);
    expect(res.status).toBe(202);
    await settle([plein]);
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", honest.id).executeTakeFirst()).toBeDefined();
  });

  test("a cached public key expires, and housekeeping removes it once it has", async () => {
    const carol = await remote.actor("carol");
    const note = { id: newId(carol, "notes"), type: "Note", attributedTo: carol.iri, to: [PUBLIC], content: "<p>hello</p>" };
    const send = (object: Record<string, unknown>) => deliverOverNetwork(inbox(),
      { "@context": AS_CONTEXT, id: newId(carol), type: "Create", actor: carol.iri, object }, carol);
    expect((await send(note)).status).toBe(202);
    await settle([plein]);
    const fedifyRows = (await kvRows()).filter((row) => /^\["_fedify","(publicKey|remoteDocument)"/.test(row.key));
    const carolKey = fedifyRows.filter((row) => row.key.includes(carol.keyId));
    expect(carolKey).toHaveLength(1);
    // Fedify 2.3.8 cached keys without an expiry: fresh keys grew the table without end.
    for (const row of fedifyRows) expect(row.expires_at, row.key).not.toBeNull();

    await plein.db.updateTable("kv_entries").set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where("key", "=", carolKey[0]!.key).execute();
    const removed = await housekeep(plein.db, plein.running.federation.kv);
    expect(removed.kv).toBeGreaterThanOrEqual(1);
    expect((await kvRows()).map((row) => row.key)).not.toContain(carolKey[0]!.key);

    // The key is fetched again when it is needed next.
    const fetchedBefore = requestsTo("/users/carol");
    const again = { ...note, id: newId(carol, "notes") };
    expect((await send(again)).status).toBe(202);
    expect(requestsTo("/users/carol")).toBeGreaterThan(fetchedBefore);
    await settle([plein]);
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", again.id).executeTakeFirst()).toBeDefined();
  });
});

describe("honest senders", () => {
  test("an activity and actor naming a context outside Fedify's preloaded set: accepted, the context fetched once", async () => {
    // Like Pleroma and Akkoma, whose every document names the server's own litepub context.
    const litepubPath = "/schemas/litepub-0.1.jsonld";
    const litepub = remote.url(litepubPath);
    remote.serve(litepubPath, { contentType: "application/json", body: { "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", { litepub: "http://litepub.social/ns#", Emoji: "toot:Emoji", toot: "http://joinmastodon.org/ns#" }] } });
    const erin = await remote.actor("erin", { document: { "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", litepub] } });
    const before = remote.received.length;
    const note = { id: newId(erin, "notes"), type: "Note", attributedTo: erin.iri, to: [PUBLIC], content: "<p>hello</p>" };
    const res = await deliverOverNetwork(inbox(),
      { "@context": ["https://www.w3.org/ns/activitystreams", litepub], id: newId(erin), type: "Create", actor: erin.iri, object: note }, erin);
    expect(res.status).toBe(202);
    expect(remote.received.length - before).toBeLessThanOrEqual(FETCH_LIMITS.maxFetchesPerRequest / 2);
    await settle([plein]);
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", note.id).executeTakeFirst()).toBeDefined();
    // Uncached, one such activity fetched the context eight times before it was answered, and more while handled.
    expect(remote.received.slice(before).filter((r) => r.path === litepubPath)).toHaveLength(1);
  });
});
