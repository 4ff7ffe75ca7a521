/**
 * The attacks of /work/shared/SECURITY.md ("Who is speaking", "Signatures",
 * the inbound size and list bombs) against a real instance, delivered over
 * its real HTTP handling by hostile remote servers on loopback. Each test
 * checks the answer and what the database holds afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";
import {
  AS_CONTEXT,
  deliver,
  type DeliverOptions,
  type FakeActor,
  type FakeRemote,
  ldSign,
  newId,
  PUBLIC,
  publicNote,
  startFakeRemote,
} from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let evil: FakeRemote; // mallory's server
let good: FakeRemote; // victor's server, another origin
let alice: Actor;
let mallory: FakeActor;
let bob: FakeActor; // an honest user on mallory's server
let victor: FakeActor;

beforeAll(async () => {
  [plein, evil, good] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote()]);
  alice = await plein.user("alice");
  [mallory, bob, victor] = await Promise.all([evil.actor("mallory"), evil.actor("bob"), good.actor("victor")]);
});

afterAll(async () => {
  await Promise.all([evil?.close(), good?.close()]);
  await plein?.close();
});

async function post(activity: Record<string, unknown>, signer: FakeActor | null, options: DeliverOptions = {}, inbox = "/inbox") {
  const res = await deliver(plein.running.app, plein.origin, inbox, { "@context": AS_CONTEXT, ...activity }, signer, options);
  const queued = await plein.queued();
  await plein.drain();
  return { status: res.status, queued, text: await res.text() };
}

const note = (by: FakeActor, fields: Record<string, unknown> = {}) => publicNote(by, fields, "<p>original</p>");

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const actorRow = (iri: string) => plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();
const processed = async (iri: string) =>
  (await plein.db.selectFrom("processed_activities").select("activity_iri").where("activity_iri", "=", iri).executeTakeFirst()) !== undefined;

/** Publishes `object` on its own origin (the canonical copy) and creates it on Plein through its author. */
async function created(by: FakeActor, on: FakeRemote, fields: Record<string, unknown> = {}) {
  const object = note(by, fields);
  on.serve(new URL(object.id as string).pathname, { body: { "@context": AS_CONTEXT, ...object } });
  const r = await post({ id: newId(by), type: "Create", actor: by.iri, object }, by);
  expect(r.status).toBe(202);
  const stored = await postByIri(object.id as string);
  expect(stored).toBeDefined();
  return { object, stored: stored! };
}

const b64 = (bytes: ArrayBuffer) => Buffer.from(bytes).toString("base64");

/** A draft-cavage signature over exactly `names`, for requests Fedify's signer would not make. */
async function signCavage(request: Request, key: CryptoKey, keyId: string, names: string[]): Promise<Request> {
  const url = new URL(request.url);
  const body = await request.clone().arrayBuffer();
  const headers = new Headers(request.headers);
  headers.set("host", url.host);
  if (!headers.has("date")) headers.set("date", new Date().toUTCString());
  headers.set("digest", `SHA-256=${b64(await crypto.subtle.digest("SHA-256", body))}`);
  const lines = names.map((n) => `${n}: ${n === "(request-target)" ? `post ${url.pathname}` : headers.get(n)}`);
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(lines.join("\n")));
  headers.set("signature", `keyId="${keyId}",algorithm="rsa-sha256",headers="${names.join(" ")}",signature="${b64(signature)}"`);
  return new Request(url, { method: "POST", headers, body });
}

describe("who is speaking", () => {
  test("a signature by mallory's key on an activity claiming victor: 401, nothing queued or stored (Fedify)", async () => {
    const object = note(victor);
    const id = newId(victor);
    const r = await post({ id, type: "Create", actor: victor.iri, object }, victor, { signer: mallory });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(object.id as string)).toBeUndefined();
    expect(await processed(id)).toBe(false);
    expect(await actorRow(victor.iri)).toBeUndefined();
  });

  test("a key document that claims an owner who does not list it: 401 (Fedify 2.3.8)", async () => {
    evil.serve("/keys/stolen", {
      body: { "@context": AS_CONTEXT, id: evil.url("/keys/stolen"), type: "CryptographicKey", owner: bob.iri, publicKeyPem: mallory.publicKeyPem },
    });
    const object = note(bob);
    const r = await post({ id: newId(bob), type: "Create", actor: bob.iri, object }, bob,
      { signer: { keyId: evil.url("/keys/stolen"), privateKey: mallory.privateKey } });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  test("an actor id that redirects to a document with another id: not accepted as that actor (ours)", async () => {
    const target = await evil.actor("target");
    evil.serve("/users/redirected", { status: 302, headers: { location: target.iri }, body: "" });
    const actorIri = evil.url("/users/redirected");
    const object = note(target, { attributedTo: actorIri });
    const id = newId(target);
    const r = await post({ id, type: "Create", actor: actorIri, object }, target);
    // Fedify 2.3.8 follows the redirect and accepts the key (fixed in 2.3.14); our resolver refuses the document.
    expect(r.status).toBe(202);
    expect(await actorRow(actorIri)).toBeUndefined();
    expect(await postByIri(object.id as string)).toBeUndefined();
    expect(await processed(id)).toBe(false);
  });

  test("an actor document that names another id than the one it is served at is not stored (ours)", async () => {
    const liar = await evil.actor("liar");
    liar.document.id = bob.iri;
    liar.publish();
    const object = note(liar);
    const r = await post({ id: newId(liar), type: "Create", actor: liar.iri, object }, liar);
    // Fedify 2.3.8 accepts the key; our resolver refuses the document.
    expect(r.status).toBe(202);
    expect(await actorRow(liar.iri)).toBeUndefined();
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  for (const contentType of ["application/json", "text/plain", "image/png", "application/ld+json"]) {
    test(`an actor document served as ${contentType} (an uploaded file) is not an actor (ours)`, async () => {
      const upload = await evil.actor(`upload${contentType.replace(/\W/g, "")}`, { contentType });
      const object = note(upload);
      const id = newId(upload);
      const r = await post({ id, type: "Create", actor: upload.iri, object }, upload);
      // Fedify's key fetch goes through our loader too (federation/loader.ts): the key is not found.
      expect(r.status).toBe(401);
      expect(await actorRow(upload.iri)).toBeUndefined();
      expect(await postByIri(object.id as string)).toBeUndefined();
      expect(await processed(id)).toBe(false);
    });
  }

  test("an activity id of another origin than its actor is ignored and cannot claim the real activity's id (ours)", async () => {
    // Mallory predicts the id of victor's next activity and uses it first.
    const { object: victims, stored } = await created(victor, good);
    const deleteId = `${victims.id as string}#delete`;
    const forged = await post({ id: deleteId, type: "Delete", actor: mallory.iri, object: mallory.iri }, mallory);
    expect(forged.status).toBe(202);
    expect((await actorRow(mallory.iri))?.gone_at ?? null).toBeNull();
    expect(await processed(deleteId)).toBe(false);
    // The real Delete with that id still works.
    const real = await post({ id: deleteId, type: "Delete", actor: victor.iri, object: victims.id }, victor);
    expect(real.status).toBe(202);
    expect(real.queued).toBe(1);
    expect((await postByIri(stored.iri))?.deleted_at).not.toBeNull();
  });

  test("an embedded object without an id is refused (ours)", async () => {
    const id = newId(bob);
    const { id: _dropped, ...withoutId } = note(bob, { content: "<p>no id</p>" });
    const before = (await plein.db.selectFrom("posts").select("id").execute()).length;
    const r = await post({ id, type: "Create", actor: bob.iri, object: withoutId }, bob);
    expect(r.status).toBe(202);
    expect((await plein.db.selectFrom("posts").select("id").execute()).length).toBe(before);
  });

  test("a Create of an object of another origin, attributed to someone else there, is refused (ours)", async () => {
    const object = note(victor, { content: "<p>words put in victor's mouth</p>" });
    const r = await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object }, mallory);
    expect(r.status).toBe(202);
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  test("a Create attributed to another actor of the same origin is refused (ours)", async () => {
    const object = note(bob, { content: "<p>bob never said this</p>" });
    object.id = newId(mallory, "notes");
    const r = await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object }, mallory);
    expect(r.status).toBe(202);
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  test("an activity naming two actors is refused (Fedify checks the first only; ours)", async () => {
    const object = note(mallory, { attributedTo: [mallory.iri, bob.iri] });
    const r = await post({ id: newId(mallory), type: "Create", actor: [mallory.iri, bob.iri], object }, mallory);
    expect(r.status).toBe(202);
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  test("Update of an object of another origin, or of another actor of the same origin: nothing changes (ours + domain)", async () => {
    const { object: victorsNote } = await created(victor, good);
    const { object: bobsNote } = await created(bob, evil);
    const r1 = await post({ id: newId(mallory), type: "Update", actor: mallory.iri, object: { ...victorsNote, content: "<p>defaced</p>" } }, mallory);
    const r2 = await post({ id: newId(mallory), type: "Update", actor: mallory.iri, object: { ...bobsNote, content: "<p>defaced</p>" } }, mallory);
    const r3 = await post({ id: newId(mallory), type: "Update", actor: mallory.iri, object: { ...bobsNote, attributedTo: mallory.iri, content: "<p>defaced</p>" } }, mallory);
    expect([r1.status, r2.status, r3.status]).toEqual([202, 202, 202]);
    expect((await postByIri(victorsNote.id as string))?.content_html).toBe("<p>original</p>");
    expect((await postByIri(bobsNote.id as string))?.content_html).toBe("<p>original</p>");
    // Updating another actor's profile:
    const r4 = await post({ id: newId(mallory), type: "Update", actor: mallory.iri, object: { ...bob.document, name: "pwned" } }, mallory);
    expect(r4.status).toBe(202);
    expect((await actorRow(bob.iri))?.display_name).not.toBe("pwned");
  });

  test("Delete of an object of another origin or another actor: nothing changes (ours + domain)", async () => {
    const { object: victorsNote } = await created(victor, good);
    const { object: bobsNote } = await created(bob, evil);
    await post({ id: newId(mallory), type: "Delete", actor: mallory.iri, object: victorsNote.id }, mallory);
    await post({ id: newId(mallory), type: "Delete", actor: mallory.iri, object: bobsNote.id }, mallory);
    await post({ id: newId(mallory), type: "Delete", actor: mallory.iri, object: bob.iri }, mallory);
    expect((await postByIri(victorsNote.id as string))?.deleted_at).toBeNull();
    expect((await postByIri(bobsNote.id as string))?.deleted_at).toBeNull();
    expect((await actorRow(bob.iri))?.gone_at).toBeNull();
  });

  test("a Create reusing a known id never widens its audience (domain)", async () => {
    const { object, stored } = await created(victor, good, { to: [victor.followers], cc: [] });
    expect(stored.visibility).toBe("followers");
    // The owner re-sends it to the public and mentioning alice; mallory tries the same.
    const widened = { ...object, to: [PUBLIC], cc: [alice.iri], tag: [{ type: "Mention", href: alice.iri }], content: "<p>changed</p>" };
    expect((await post({ id: newId(victor), type: "Create", actor: victor.iri, object: widened }, victor)).status).toBe(202);
    expect((await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object: { ...widened, attributedTo: mallory.iri } }, mallory)).status).toBe(202);
    // An Update may edit the text but not the audience either.
    expect((await post({ id: newId(victor), type: "Update", actor: victor.iri, object: widened }, victor)).status).toBe(202);
    const after = (await postByIri(object.id as string))!;
    expect(after.visibility).toBe("followers");
    expect(after.actor_id).toBe(stored.actor_id);
    expect(after.content_html).toBe("<p>changed</p>");
    const mentions = await plein.db.selectFrom("post_mentions").select("actor_id").where("post_id", "=", after.id).execute();
    expect(mentions).toEqual([]);
  });

  test("Announce with a forged embedded object of another origin: the canonical copy is fetched (ours)", async () => {
    const canonical = note(victor, { content: "<p>what victor really said</p>" });
    good.serve(new URL(canonical.id as string).pathname, { body: { "@context": AS_CONTEXT, ...canonical } });
    const announceId = newId(mallory);
    const r = await post({
      id: announceId, type: "Announce", actor: mallory.iri, to: [PUBLIC],
      object: { ...canonical, content: "<p>forged words</p>", to: [PUBLIC] },
    }, mallory);
    expect(r.status).toBe(202);
    const original = await postByIri(canonical.id as string);
    expect(original?.content_html).toBe("<p>what victor really said</p>");
    expect(original?.actor_id).toBe((await actorRow(victor.iri))?.id);
    expect((await postByIri(announceId))?.reblog_of_id).toBe(original?.id);
  });

  test("Announce with a forged embedded object of the same origin but another author: canonical copy (ours)", async () => {
    const canonical = note(bob, { content: "<p>bob's real words</p>" });
    evil.serve(new URL(canonical.id as string).pathname, { body: { "@context": AS_CONTEXT, ...canonical } });
    const r = await post({
      id: newId(mallory), type: "Announce", actor: mallory.iri, to: [PUBLIC],
      object: { ...canonical, content: "<p>forged</p>" },
    }, mallory);
    expect(r.status).toBe(202);
    expect((await postByIri(canonical.id as string))?.content_html).toBe("<p>bob's real words</p>");
  });

  test("Announce whose canonical copy cannot be fetched, or has no id, is dropped (ours)", async () => {
    const missing = note(victor, { content: "<p>forged</p>" });
    const a1 = newId(mallory);
    const r1 = await post({ id: a1, type: "Announce", actor: mallory.iri, to: [PUBLIC], object: missing }, mallory);
    const { id: _none, ...noId } = note(victor, { content: "<p>forged</p>" });
    const a2 = newId(mallory);
    const r2 = await post({ id: a2, type: "Announce", actor: mallory.iri, to: [PUBLIC], object: noId }, mallory);
    expect([r1.status, r2.status]).toEqual([202, 202]);
    expect(await postByIri(missing.id as string)).toBeUndefined();
    expect(await postByIri(a1)).toBeUndefined();
    expect(await postByIri(a2)).toBeUndefined();
  });

  test("Announce whose canonical copy claims another id is dropped (ours)", async () => {
    const real = note(victor);
    const claimedId = newId(victor, "notes");
    good.serve(new URL(claimedId).pathname, { body: { "@context": AS_CONTEXT, ...real } });
    const announceId = newId(mallory);
    const r = await post({ id: announceId, type: "Announce", actor: mallory.iri, to: [PUBLIC], object: claimedId }, mallory);
    expect(r.status).toBe(202);
    expect(await postByIri(claimedId)).toBeUndefined();
    expect(await postByIri(real.id as string)).toBeUndefined();
    expect(await postByIri(announceId)).toBeUndefined();
  });

  test("a forwarded activity is trusted only if its Linked Data Signature verifies (Fedify)", async () => {
    // Victor's own signed Create, forwarded by mallory (HTTP-signed by mallory).
    const object = note(victor, { content: "<p>forwarded</p>" });
    const signed = await ldSign({ "@context": AS_CONTEXT, id: newId(victor), type: "Create", actor: victor.iri, to: [PUBLIC], object }, victor);
    const ok = await post(signed, mallory);
    expect(ok.status).toBe(202);
    expect((await postByIri(object.id as string))?.content_html).toBe("<p>forwarded</p>");
    // The same, rearranged after signing: the proof fails, mallory's HTTP signature is not victor's.
    const tamperedObject = note(victor, { content: "<p>original</p>" });
    const tampered = await ldSign({ "@context": AS_CONTEXT, id: newId(victor), type: "Create", actor: victor.iri, to: [PUBLIC], object: tamperedObject }, victor);
    (tampered.object as Record<string, unknown>).content = "<p>rewritten by mallory</p>";
    const bad = await post(tampered, mallory);
    expect(bad.status).toBe(401);
    expect(bad.queued).toBe(0);
    expect(await postByIri(tamperedObject.id as string)).toBeUndefined();
  });

  test("an unverifiable Delete of an actor is honoured only when that actor's own key answers 410 (ours)", async () => {
    const vera = await good.actor("vera");
    expect((await plein.running.deps.resolver.resolveActor(vera.iri))?.gone_at).toBeNull();
    // A key of mallory's server that answers 410, offered for vera's self-Delete:
    evil.serve("/keys/gone", { status: 410, body: "" });
    const r1 = await post({ id: newId(vera), type: "Delete", actor: vera.iri, object: vera.iri }, vera,
      { signer: { keyId: evil.url("/keys/gone"), privateKey: mallory.privateKey } });
    // Vera's real key, but mallory's signature:
    const r2 = await post({ id: newId(vera), type: "Delete", actor: vera.iri, object: vera.iri }, vera, { signer: { keyId: vera.keyId, privateKey: mallory.privateKey } });
    expect([r1.status, r2.status]).toEqual([401, 401]);
    expect((await actorRow(vera.iri))?.gone_at).toBeNull();
  });

  test("a remote document claiming a local id is never stored (ours)", async () => {
    const impostor = await evil.actor("impostor");
    impostor.document.id = alice.iri;
    impostor.publish();
    expect(await plein.running.deps.resolver.resolveActor(impostor.iri)).toBeUndefined();
    const aliceRow = await actorRow(alice.iri);
    expect(aliceRow?.local).toBe(true);
    expect(aliceRow?.inbox_url).not.toContain(evil.origin);
  });
});

describe("signatures", () => {
  const simple = () => {
    const object = note(bob);
    return { activity: { id: newId(bob), type: "Create", actor: bob.iri, object }, objectId: object.id as string };
  };

  test("an unsigned POST: 401, nothing queued (Fedify)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, null);
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("a body that does not match the signed digest: 401 (Fedify)", async () => {
    const { activity, objectId } = simple();
    const other = JSON.stringify({ "@context": AS_CONTEXT, ...activity, object: { ...activity.object, content: "<p>swapped</p>" } });
    const r = await post(activity, bob, {
      tamper: (req) => new Request(req.url, { method: "POST", headers: req.headers, body: other }),
    });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("a signature that does not cover the digest: 401 (Fedify and ours)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, {
      unsigned: true,
      tamper: (req) => signCavage(req, bob.privateKey, bob.keyId, ["(request-target)", "host", "date"]),
    });
    expect(r.status).toBe(401);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("a signature that does not cover host: 401 (ours; Fedify would accept it)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, {
      unsigned: true,
      tamper: (req) => signCavage(req, bob.privateKey, bob.keyId, ["(request-target)", "date", "digest"]),
    });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId)).toBeUndefined();
    // The control: the same hand-made signature with host covered is accepted.
    const control = simple();
    const ok = await post(control.activity, bob, {
      unsigned: true,
      tamper: (req) => signCavage(req, bob.privateKey, bob.keyId, ["(request-target)", "host", "date", "digest"]),
    });
    expect(ok.status).toBe(202);
    expect(await postByIri(control.objectId)).toBeDefined();
  });

  test("a signed request for another server replayed here (Host is not ours): 401 (ours)", async () => {
    const { activity, objectId } = simple();
    const body = JSON.stringify({ "@context": AS_CONTEXT, ...activity });
    const elsewhere = await signCavage(new Request("https://other.example/inbox", { method: "POST", headers: { "content-type": "application/activity+json" }, body }),
      bob.privateKey, bob.keyId, ["(request-target)", "host", "date", "digest"]);
    const res = await plein.running.app.request(new Request(new URL("/inbox", plein.origin), { method: "POST", headers: elsewhere.headers, body }));
    expect(res.status).toBe(401);
    await plein.drain();
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("a Date outside the one-hour window: 401 (Fedify)", async () => {
    for (const offsetMs of [-2 * 3600_000, 2 * 3600_000]) {
      const { activity, objectId } = simple();
      const r = await post(activity, bob, { headers: { date: new Date(Date.now() + offsetMs).toUTCString() } });
      expect(r.status).toBe(401);
      expect(r.queued).toBe(0);
      expect(await postByIri(objectId)).toBeUndefined();
    }
  });

  test("an unparsable Date: 401, not a server error (ours)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, { headers: { date: "not a date" } });
    expect(r.status).toBe(401);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("duplicate Signature parameters: 401 (ours; Fedify keeps the last one)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, {
      tamper: (req) => {
        const headers = new Headers(req.headers);
        headers.set("signature", `headers="(request-target) date",${headers.get("signature")}`);
        return new Request(req, { headers });
      },
    });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("RFC 9421 signatures are accepted when they cover method, target and content digest", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, { spec: "rfc9421" });
    expect(r.status).toBe(202);
    expect(await postByIri(objectId)).toBeDefined();
  });

  test("an RFC 9421 signature that does not cover the body: 401 (ours; Fedify would accept it)", async () => {
    const { activity, objectId } = simple();
    const body = JSON.stringify({ "@context": AS_CONTEXT, ...activity });
    const r = await post(activity, bob, {
      spec: "rfc9421",
      signOptions: { body: null },
      // The signer dropped the body; put it back, with no Content-Digest.
      tamper: (req) => new Request(req.url, { method: "POST", headers: req.headers, body }),
    });
    expect(r.status).toBe(401);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId)).toBeUndefined();
  });

  test("an RFC 9421 signature label given twice: 401 (ours)", async () => {
    const { activity, objectId } = simple();
    const r = await post(activity, bob, {
      spec: "rfc9421",
      tamper: (req) => {
        const headers = new Headers(req.headers);
        headers.set("signature-input", `sig1=("@method");created=1;keyid="${mallory.keyId}", ${headers.get("signature-input")}`);
        return new Request(req, { headers });
      },
    });
    expect(r.status).toBe(401);
    expect(await postByIri(objectId)).toBeUndefined();
  });
});

describe("size and list bombs", () => {
  test("a body over 1 MiB: 413 before parsing, nothing queued", async () => {
    const { id: objectId, ...rest } = note(bob);
    const object = { id: objectId, ...rest, content: "x".repeat(1024 * 1024 + 10) };
    const r = await post({ id: newId(bob), type: "Create", actor: bob.iri, object }, bob);
    expect(r.status).toBe(413);
    expect(r.queued).toBe(0);
    expect(await postByIri(objectId as string)).toBeUndefined();
  });

  test("malformed JSON: 400, nothing queued", async () => {
    const r = await post({}, bob, { rawBody: '{"@context": "https://www.w3.org/ns/activitystreams", "type": "Create", ' });
    expect(r.status).toBe(400);
    expect(r.queued).toBe(0);
  });

  test("huge tag, mention and attachment lists and long strings are capped", async () => {
    // 60 known actors to mention (resolved from the database, no fetches).
    const mentionable: string[] = [];
    for (let i = 0; i < 60; i++) {
      const iri = evil.url(`/users/m${i}`);
      await upsertRemoteActor(plein.db, plein.origin.host, {
        iri, type: "Person", username: `m${i}`, displayName: "", summaryHtml: "", url: null, avatarUrl: null, headerUrl: null,
        inbox: `${iri}/inbox`, sharedInbox: null, outbox: null, followers: null, following: null, featured: null,
        manuallyApprovesFollowers: false, bot: false, fields: [], followersCount: null, followingCount: null, postsCount: null,
      });
      mentionable.push(iri);
    }
    const object = note(bob, {
      content: `<p>${"long ".repeat(40_000)}</p>`,
      summary: "s".repeat(5_000),
      name: "n".repeat(3_000),
      tag: [
        ...Array.from({ length: 300 }, (_, i) => ({ type: "Hashtag", name: `#tag${i}`, href: `https://example.org/tags/tag${i}` })),
        ...mentionable.map((href) => ({ type: "Mention", href })),
        ...Array.from({ length: 200 }, (_, i) => ({ type: "Mention", href: evil.url(`/users/unknown${i}`) })),
      ],
      attachment: Array.from({ length: 100 }, (_, i) => ({ type: "Document", mediaType: "image/png", url: `https://example.org/${i}.png` })),
    });
    const r = await post({ id: newId(bob), type: "Create", actor: bob.iri, object }, bob);
    expect(r.status).toBe(202);
    const stored = await postByIri(object.id as string);
    expect(stored).toBeDefined();
    expect(stored!.content_html.length).toBeLessThanOrEqual(100_000);
    expect(stored!.summary!.length).toBeLessThanOrEqual(2_000);
    expect(stored!.name!.length).toBeLessThanOrEqual(1_000);
    const count = async (table: "post_tags" | "post_mentions" | "post_attachments") =>
      (await plein.db.selectFrom(table).select("post_id").where("post_id", "=", stored!.id).execute()).length;
    expect(await count("post_tags")).toBe(50);
    expect(await count("post_mentions")).toBe(50);
    expect(await count("post_attachments")).toBe(16);
    // Unknown mentioned actors beyond the cap were never fetched.
    expect(evil.received.filter((q) => q.path.startsWith("/users/unknown"))).toHaveLength(0);
  });
});
