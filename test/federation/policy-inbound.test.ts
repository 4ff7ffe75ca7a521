/**
 * The federation policy at the door: what a blocked server's inbox POSTs and
 * signed GETs get from a Plein instance, and what they cost it. The blocked
 * server is a real HTTP server on its own loopback address that counts every
 * request it receives, so "no key fetched" is what it saw, not what we hope.
 */
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import {
  type DomainAction,
  type FederationMode,
  parseDomainPattern,
  removeDomainRule,
  setDomainRule,
  updateFederationSettings,
} from "../../src/domain/policy.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let evil: FakeRemote; // 127.0.0.7: blocked in these tests
let good: FakeRemote; // 127.0.0.8: allowed
let alice: Actor;
let mallory: FakeActor;
let carl: FakeActor;

beforeAll(async () => {
  [plein, evil, good] = await Promise.all([
    startInboxInstance(),
    startFakeRemote({ host: "127.0.0.7" }),
    startFakeRemote({ host: "127.0.0.8" }),
  ]);
  alice = await plein.user("alice");
  mallory = await evil.actor("mallory");
  carl = await good.actor("carl");
});

afterAll(async () => {
  await Promise.all([evil?.close(), good?.close()]);
  await plein?.close();
});

const rule = (domain: string, action: DomainAction) => setDomainRule(plein.db, plein.origin.hostname, parseDomainPattern(domain), { action });
const unrule = (domain: string) => removeDomainRule(plein.db, parseDomainPattern(domain));
const mode = (m: FederationMode) => updateFederationSettings(plein.db, { mode: m });

beforeEach(async () => {
  await mode("blocklist");
  for (const d of ["127.0.0.7", "127.0.0.8", "*.example.nl", "bad.example.nl", "evil.example"]) await unrule(d);
  await rule("127.0.0.7", "block");
});

/** Rows of every table an inbox POST could write to, and what both remotes were asked. */
async function footprint() {
  const count = async (table: "queue_messages" | "actors" | "kv_entries" | "processed_activities" | "follows" | "posts") => {
    const row = await plein.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    queue: await count("queue_messages"), actors: await count("actors"), kv: await count("kv_entries"),
    processed: await count("processed_activities"), follows: await count("follows"), posts: await count("posts"),
    evilRequests: evil.received.length, goodRequests: good.received.length,
  };
}

async function errorOf(res: Response): Promise<string> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return ((await res.json()) as { error: string }).error;
}

const follow = (by: FakeActor) => ({ "@context": AS_CONTEXT, id: newId(by), type: "Follow", actor: by.iri, object: alice.iri });

describe("inbox POSTs from a blocked server", () => {
  test("are 403, before any key fetch, with nothing stored or queued (both signature formats, both inboxes)", async () => {
    const before = await footprint();
    for (const spec of ["draft-cavage-http-signatures-12", "rfc9421"] as const) {
      for (const inbox of ["/inbox", "/users/alice/inbox"]) {
        const res = await deliver(plein.running.app, plein.origin, inbox, follow(mallory), mallory, { spec });
        expect(res.status, `${spec} ${inbox}`).toBe(403);
        expect(await errorOf(res)).toMatch(/does not federate with 127\.0\.0\.7/);
      }
    }
    await plein.drain();
    expect(await footprint()).toEqual(before);
  });

  test("are 403 when an allowed server signs an activity whose actor is on a blocked one (forwarding), in any JSON-LD form", async () => {
    await rule("evil.example", "block");
    const before = await footprint();
    const forwarded = [
      follow(mallory),
      { ...follow(carl), actor: "https://evil.example./users/x" },
      { ...follow(carl), actor: { id: "https://EVIL.example:8443/users/x", type: "Person" } },
      { ...follow(carl), actor: undefined, "https://www.w3.org/ns/activitystreams#actor": [{ "@id": "https://evil.example/users/x" }] },
    ];
    for (const activity of forwarded) {
      const res = await deliver(plein.running.app, plein.origin, "/inbox", activity, carl);
      expect(res.status, JSON.stringify(activity)).toBe(403);
    }
    // Unsigned, vouched for only by a Linked Data Signature or an Object Integrity Proof of a blocked key.
    for (const proof of [
      { signature: { type: "RsaSignature2017", creator: mallory.keyId, signatureValue: "x" } },
      { proof: { type: "DataIntegrityProof", verificationMethod: mallory.keyId, proofValue: "x" } },
    ]) {
      const res = await deliver(plein.running.app, plein.origin, "/inbox", { ...follow(carl), ...proof }, null, { unsigned: true });
      expect(res.status, JSON.stringify(proof)).toBe(403);
    }
    await plein.drain();
    expect(await footprint()).toEqual(before);
  });

  test("in allowlist mode an unlisted server is refused the same way; an explicit block beats a wildcard allow", async () => {
    await unrule("127.0.0.7");
    await mode("allowlist");
    await rule("127.0.0.8", "allow");
    await rule("*.example.nl", "allow");
    await rule("bad.example.nl", "block");
    const before = await footprint();
    expect((await deliver(plein.running.app, plein.origin, "/inbox", follow(mallory), mallory)).status).toBe(403);
    expect((await deliver(plein.running.app, plein.origin, "/inbox", { ...follow(carl), actor: "https://bad.example.nl/users/x" }, carl)).status).toBe(403);
    expect(await footprint()).toEqual(before);
    // The allowed server gets in (its key is fetched from it), and so does a host the wildcard allows (Fedify then judges the signature).
    expect((await deliver(plein.running.app, plein.origin, "/inbox", follow(carl), carl)).status).toBe(202);
    expect(good.received.length).toBeGreaterThan(before.goodRequests);
    const other = await deliver(plein.running.app, plein.origin, "/inbox", { ...follow(carl), actor: "https://ok.example.nl/users/x" }, carl);
    expect(other.status).not.toBe(403);
    await plein.drain();
  });

  test("a change takes effect at once: unblocked, the same server's Follow is taken; blocked again, refused", async () => {
    await unrule("127.0.0.7");
    const res = await deliver(plein.running.app, plein.origin, "/users/alice/inbox", follow(mallory), mallory);
    expect(res.status).toBe(202);
    await plein.drain();
    const stored = await plein.db.selectFrom("actors").select("id").where("iri", "=", mallory.iri).executeTakeFirstOrThrow();
    expect(await plein.db.selectFrom("follows").select("state").where("follower_id", "=", stored.id).executeTakeFirst())
      .toEqual({ state: "accepted" });
    await rule("127.0.0.7", "block");
    expect((await deliver(plein.running.app, plein.origin, "/inbox", follow(mallory), mallory)).status).toBe(403);
  });

  test("an activity queued before its server was blocked is dropped when its turn comes", async () => {
    await unrule("127.0.0.7");
    const note = publicNote(mallory, {}, "<p>queued before the block</p>");
    const create = { "@context": AS_CONTEXT, id: newId(mallory), type: "Create", actor: mallory.iri, to: [PUBLIC], object: note };
    expect((await deliver(plein.running.app, plein.origin, "/inbox", create, mallory)).status).toBe(202);
    expect(await plein.queued()).toBeGreaterThan(0);
    await rule("127.0.0.7", "block");
    await plein.drain();
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", note.id as string).executeTakeFirst()).toBeUndefined();
    expect(await plein.db.selectFrom("processed_activities").select("activity_iri").where("activity_iri", "=", create.id).executeTakeFirst())
      .toBeUndefined();
  });
});

describe("GETs signed by a blocked server", () => {
  const AP = "application/activity+json";

  test("get the one 404, with no key fetched; the same GET unsigned, or signed by an allowed server, gets the post", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>public</p>", visibility: "public" });
    const get = async (signer: FakeActor | null, path = new URL(post.iri).pathname) => {
      const request = new Request(new URL(path, plein.origin), { headers: { accept: AP } });
      return plein.running.app.request(signer ? await signRequest(request, signer.privateKey, new URL(signer.keyId)) : request);
    };
    const missing = await get(null, "/notes/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    const missingBody = await missing.text();
    const before = await footprint();
    for (const path of [new URL(post.iri).pathname, "/users/alice", "/users/alice/outbox", "/.well-known/nodeinfo"]) {
      const res = await get(mallory, path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe(missingBody);
    }
    expect(await footprint()).toEqual(before);
    expect((await get(null)).status).toBe(200);
    expect((await get(carl)).status).toBe(200);
    expect(good.received.length).toBeGreaterThan(before.goodRequests); // an allowed signer's key is fetched
  });
});

describe("an allowed server pointing at a blocked one", () => {
  test("an Announce of a blocked server's post makes no request to it and stores nothing of it", async () => {
    const boosted = publicNote(mallory, {}, "<p>from a blocked server</p>");
    evil.serve(new URL(boosted.id as string).pathname, { body: { "@context": AS_CONTEXT, ...boosted } });
    const before = await footprint();
    const announce = { "@context": AS_CONTEXT, id: newId(carl), type: "Announce", actor: carl.iri, to: [PUBLIC], object: boosted.id };
    expect((await deliver(plein.running.app, plein.origin, "/inbox", announce, carl)).status).toBe(202);
    await plein.drain();
    expect(evil.received.length).toBe(before.evilRequests);
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", boosted.id as string).executeTakeFirst()).toBeUndefined();
  });
});
