/**
 * Signatures both ways: inbound HTTP Signatures in both specs (draft-cavage
 * and RFC 9421), Object Integrity Proofs on what Plein sends (verified with
 * Fedify's own verifier against the Ed25519 key the actor document lists),
 * key rotation by a remote actor (same key id or a new one) and an actor
 * whose document now answers 410.
 */
import {
  type DocumentLoader,
  exportSpki,
  generateCryptoKeyPair,
  type RemoteDocument,
  verifyJsonLd,
  verifyObject,
  verifyProof,
} from "@fedify/fedify";
import { Create, DataIntegrityProof, Multikey } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deliver as deliverJob } from "../../federation/send.ts";
import type { Actor } from "../../src/db/schema.ts";
import { follow, markFollowAccepted } from "../../src/domain/follows.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, type ReceivedRequest, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

type Json = Record<string, unknown>;

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let bob: FakeActor;

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  alice = await plein.user("alice");
  bob = await remote.actor("bob");
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

function note(by: { iri: string; followers?: string }, fields: Json = {}): Json {
  return {
    id: newId(by, "notes"), type: "Note", attributedTo: by.iri, to: [PUBLIC],
    content: "<p>signed</p>", published: "2024-01-01T00:00:00Z", ...fields,
  };
}

async function send(activity: Json, signer: { keyId: string; privateKey: CryptoKey }, spec?: "draft-cavage-http-signatures-12" | "rfc9421") {
  const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS_CONTEXT, ...activity }, signer, { spec });
  const queued = await plein.queued();
  await plein.drain();
  return { status: res.status, queued };
}

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const actorRow = (iri: string) => plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();

/** Runs the delivery jobs the domain queued, then Fedify's outbox: real HTTP POSTs to the fake remote. */
async function deliverQueued(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const jobs = await plein.db.selectFrom("queue_messages").select(["id", "payload"])
      .where("queue", "=", DELIVERY_QUEUE).orderBy("id").execute();
    if (jobs.length === 0) break;
    for (const job of jobs) {
      await plein.db.deleteFrom("queue_messages").where("id", "=", job.id).execute();
      await deliverJob(plein.running.federation.federation, plein.running.deps, job.payload);
    }
    await plein.drain();
  }
}

/** Plein's own documents, fetched through its app (its origin is not on the network). */
const pleinLoader: DocumentLoader = async (url): Promise<RemoteDocument> => {
  const res = await plein.running.app.request(url, { headers: { accept: "application/activity+json" } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return { contextUrl: null, document: await res.json(), documentUrl: url };
};

describe("inbound HTTP Signatures", () => {
  for (const spec of ["draft-cavage-http-signatures-12", "rfc9421"] as const) {
    test(`${spec}: accepted and processed`, async () => {
      const object = note(bob);
      const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object }, bob, spec);
      expect(r.status).toBe(202);
      expect(r.queued).toBe(1);
      expect(await postByIri(object.id as string)).toBeDefined();
    });

    test(`${spec}: a signature by another key for the same key id is refused`, async () => {
      const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      const object = note(bob);
      const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object }, { keyId: bob.keyId, privateKey }, spec);
      expect(r.status).toBe(401);
      expect(r.queued).toBe(0);
      expect(await postByIri(object.id as string)).toBeUndefined();
    });
  }
});

describe("Object Integrity Proofs on outgoing activities", () => {
  let delivered: Json;
  let actorDocument: Json;

  beforeAll(async () => {
    // bob follows alice, so her public post is delivered to his server.
    expect((await send({ id: newId(bob), type: "Follow", actor: bob.iri, object: alice.iri }, bob)).status).toBe(202);
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>proof me</p>", visibility: "public" });
    await deliverQueued();
    const isCreate = (r: ReceivedRequest) => r.method === "POST" && r.body.includes(post.iri) && r.body.includes('"Create"');
    const received = remote.received.find(isCreate);
    expect(received, "the Create reached the fake remote").toBeDefined();
    delivered = JSON.parse(received!.body) as Json;
    actorDocument = (await pleinLoader(alice.iri)).document as Json;
  });

  test("the actor document lists an RSA publicKey and an Ed25519 Multikey in assertionMethod", () => {
    const methods = ([] as Json[]).concat(actorDocument.assertionMethod as Json | Json[]);
    const types = methods.map((m) => m.type);
    expect(types).toEqual(["Multikey", "Multikey"]);
    const ed = methods.find((m) => String(m.publicKeyMultibase).startsWith("z6Mk"));
    expect(ed, "an Ed25519 multikey (z6Mk…)").toBeDefined();
    expect(ed!.controller).toBe(alice.iri);
    expect((actorDocument.publicKey as Json).owner).toBe(alice.iri);
  });

  test("the delivered Create carries an eddsa-jcs-2022 proof by that Ed25519 key, and it verifies", async () => {
    const proof = delivered.proof as Json;
    expect(proof).toMatchObject({ type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022", proofPurpose: "assertionMethod" });
    const methods = ([] as Json[]).concat(actorDocument.assertionMethod as Json | Json[]);
    const ed = methods.find((m) => String(m.publicKeyMultibase).startsWith("z6Mk"))!;
    expect(proof.verificationMethod).toBe(ed.id);

    // Fedify's verifier: the proof's key is fetched from Plein and must match. The
    // Linked Data Signature (`signature`) was added after the proof, so it is not covered.
    const parsedProof = await DataIntegrityProof.fromJsonLd(proof);
    const { proof: _omit, signature: _ld, ...withoutProof } = delivered;
    const key = await verifyProof(withoutProof, parsedProof, { documentLoader: pleinLoader });
    expect(key).toBeInstanceOf(Multikey);
    expect(key!.id?.href).toBe(ed.id);
    expect(key!.controllerId?.href).toBe(alice.iri);
    expect((await key!.publicKey)?.algorithm.name).toBe("Ed25519");

    const { signature: _ldSignature, ...proved } = delivered;
    const verified = await verifyObject(Create, proved, { documentLoader: pleinLoader });
    expect(verified?.id?.href).toBe(delivered.id);
  });

  test("the Linked Data Signature (for Mastodon's forwarding) verifies with alice's RSA key", async () => {
    expect((delivered.signature as Json).type).toBe("RsaSignature2017");
    expect(String((delivered.signature as Json).creator)).toBe((actorDocument.publicKey as Json).id);
    expect(await verifyJsonLd(delivered, { documentLoader: pleinLoader })).toBe(true);
    expect(await verifyJsonLd({ ...delivered, to: ["https://evil.example/users/x"] }, { documentLoader: pleinLoader })).toBe(false);
  });

  test("the proof fails once the activity is changed", async () => {
    const { signature: _ld, ...proved } = delivered;
    const object = { ...(proved.object as Json), content: "<p>forged</p>" };
    expect(await verifyObject(Create, { ...proved, object }, { documentLoader: pleinLoader })).toBeNull();
    expect(await verifyObject(Create, { ...proved, to: ["https://evil.example/users/x"] }, { documentLoader: pleinLoader })).toBeNull();
  });

  test("the delivery itself is HTTP-signed by alice's RSA key", () => {
    const received = remote.received.find((r) => r.method === "POST" && r.body.includes('"Create"') && r.body.includes(delivered.id as string))!;
    const header = String(received.headers["signature-input"] ?? received.headers.signature ?? "");
    expect(header).toContain(`${alice.iri}#`);
  });
});

describe("a burst of activities from one actor", () => {
  test("its document is fetched for the first only: Fedify's key ownership checks reuse it", async () => {
    const erin = await remote.actor("erin");
    const gets = () => remote.received.filter((r) => r.method === "GET" && r.path === "/users/erin").length;
    const first = note(erin);
    expect((await send({ id: newId(erin), type: "Create", actor: erin.iri, object: first }, erin)).status).toBe(202);
    const afterFirst = gets();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const object = note(erin);
      expect((await send({ id: newId(erin), type: "Create", actor: erin.iri, object }, erin)).status).toBe(202);
      expect(await postByIri(object.id as string)).toBeDefined();
    }
    expect(gets()).toBe(afterFirst);
  });
});

describe("key rotation by a remote actor", () => {
  let carl: FakeActor;
  const keyPath = "/users/carl/main-key";
  const keyFetches = () => remote.received.filter((r) => r.method === "GET" && r.path === keyPath).length;

  /** Serves carl's key at its own URL (like GoToSocial), so Fedify's key fetches can be counted apart from actor fetches. */
  async function publishKey(keyId: string, publicKey: CryptoKey): Promise<void> {
    const publicKeyPem = await exportSpki(publicKey);
    carl.document.publicKey = { id: keyId, owner: carl.iri, publicKeyPem };
    carl.publish();
    remote.serve(new URL(keyId).pathname, {
      body: { "@context": AS_CONTEXT, id: keyId, type: "CryptographicKey", owner: carl.iri, publicKeyPem },
    });
  }

  beforeAll(async () => {
    carl = await remote.actor("carl");
    carl.keyId = remote.url(keyPath);
    await publishKey(carl.keyId, carl.publicKey);
  });

  test("the key is fetched once and then served from the cache", async () => {
    const before = keyFetches();
    for (let i = 0; i < 2; i++) {
      const object = note(carl);
      expect((await send({ id: newId(carl), type: "Create", actor: carl.iri, object }, carl)).status).toBe(202);
      expect(await postByIri(object.id as string)).toBeDefined();
    }
    expect(keyFetches()).toBe(before + 1);
  });

  test("a new key pair under the same key id: the stale cached key fails, Fedify refetches once, the activity is accepted", async () => {
    const old = { keyId: carl.keyId, privateKey: carl.privateKey };
    const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    await publishKey(carl.keyId, publicKey);
    carl.privateKey = privateKey;
    carl.publicKey = publicKey;

    const before = keyFetches();
    const object = note(carl, { content: "<p>after rotation</p>" });
    const r = await send({ id: newId(carl), type: "Create", actor: carl.iri, object }, carl);
    expect(r.status).toBe(202);
    expect(keyFetches()).toBe(before + 1);
    expect((await postByIri(object.id as string))?.content_html).toBe("<p>after rotation</p>");

    // The new key is cached now: no further fetch.
    const next = note(carl);
    expect((await send({ id: newId(carl), type: "Create", actor: carl.iri, object: next }, carl)).status).toBe(202);
    expect(keyFetches()).toBe(before + 1);

    // The retired key no longer works (after one more refetch to be sure).
    const stale = note(carl, { content: "<p>old key</p>" });
    const refused = await send({ id: newId(carl), type: "Create", actor: carl.iri, object: stale }, old);
    expect(refused.status).toBe(401);
    expect(refused.queued).toBe(0);
    expect(await postByIri(stale.id as string)).toBeUndefined();
  });

  test("a new key under a new key id is accepted; the old key id, no longer listed by the actor, is refused", async () => {
    const oldSigner = { keyId: carl.keyId, privateKey: carl.privateKey };
    const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const newKeyId = remote.url("/users/carl/key-2");
    await publishKey(newKeyId, publicKey);
    const object = note(carl, { content: "<p>new key id</p>" });
    expect((await send({ id: newId(carl), type: "Create", actor: carl.iri, object }, { keyId: newKeyId, privateKey })).status).toBe(202);
    expect(await postByIri(object.id as string)).toBeDefined();
    // The old key document is still served, but carl's actor no longer lists it.
    const stale = note(carl, { content: "<p>retired key id</p>" });
    const refused = await send({ id: newId(carl), type: "Create", actor: carl.iri, object: stale }, oldSigner);
    expect(refused.status).toBe(401);
    expect(await postByIri(stale.id as string)).toBeUndefined();
  });
});

describe("an actor whose document now answers 410", () => {
  test("is marked gone, its follows both ways are dropped, and its activities are refused", async () => {
    const dora = await remote.actor("dora");
    expect((await send({ id: newId(dora), type: "Follow", actor: dora.iri, object: alice.iri }, dora)).status).toBe(202);
    const doraRow = (await actorRow(dora.iri))!;
    await follow(plein.db, plein.origin, alice, doraRow);
    await markFollowAccepted(plein.db, alice, doraRow);
    const follows = () => plein.db.selectFrom("follows").select(["follower_id", "followee_id", "state"])
      .where((eb) => eb.or([eb("follower_id", "=", doraRow.id), eb("followee_id", "=", doraRow.id)])).execute();
    expect(await follows()).toHaveLength(2);

    remote.serve("/users/dora", { status: 410, body: "" });
    // A fresh copy is used without asking; once stale, the next lookup asks the origin.
    await plein.db.updateTable("actors").set({ fetched_at: new Date(Date.now() - 2 * 86_400_000) }).where("id", "=", doraRow.id).execute();
    expect(await plein.running.deps.resolver.resolveActor(dora.iri)).toBeUndefined();
    expect((await actorRow(dora.iri))?.gone_at).not.toBeNull();
    expect(await follows()).toEqual([]);

    // Its key is gone with it: a signed activity is refused and nothing is queued or stored.
    const object = note(dora);
    const r = await send({ id: newId(dora), type: "Create", actor: dora.iri, object }, dora);
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(object.id as string)).toBeUndefined();
    // Nothing more is delivered to it.
    await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>after dora left</p>", visibility: "public" });
    const jobs = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute();
    const before = remote.received.filter((q) => q.method === "POST" && q.path.startsWith("/users/dora")).length;
    await deliverQueued();
    expect(jobs.length).toBeGreaterThan(0);
    expect(remote.received.filter((q) => q.method === "POST" && q.path.startsWith("/users/dora")).length).toBe(before);
  });
});
