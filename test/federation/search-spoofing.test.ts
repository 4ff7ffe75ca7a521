/**
 * A remote object may claim any web address (`url`) for itself. Search by
 * URL must find the post that address belongs to, never an attacker's object
 * that names it: a `url` counts only on the object's own origin.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let attacker: FakeRemote;
let victim: FakeRemote;
let alice: Actor;
let token: string;
let mallory: FakeActor;
let vic: FakeActor;

beforeAll(async () => {
  [plein, attacker, victim] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote()]);
  alice = await plein.user("alice");
  token = await issueToken(plein.db, alice, ["read", "write"]);
  mallory = await attacker.actor("mallory");
  vic = await victim.actor("vic");
});

afterAll(async () => {
  await Promise.all([attacker?.close(), victim?.close()]);
  await plein?.close();
});

async function search(q: string): Promise<{ statuses: Array<{ uri: string; content: string }> }> {
  const url = new URL("/api/v2/search", plein.origin);
  url.searchParams.set("q", q);
  url.searchParams.set("resolve", "true");
  url.searchParams.set("type", "statuses");
  const res = await plein.running.app.request(url.href, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ statuses: Array<{ uri: string; content: string }> }>;
}

async function forge(url: string): Promise<string> {
  const object = publicNote(mallory, { url }, "<p>forged</p>");
  const res = await deliver(plein.running.app, plein.origin, "/inbox",
    { "@context": AS_CONTEXT, id: newId(mallory), type: "Create", actor: mallory.iri, to: [PUBLIC], object }, mallory);
  expect(res.status).toBe(202);
  await plein.drain();
  return object.id as string;
}

describe("search by URL with a forged url", () => {
  test("another server's post: its own document is fetched and shown, not the object that claims its address", async () => {
    const realId = victim.url("/notes/3");
    victim.serve("/notes/3", { body: { "@context": AS_CONTEXT, ...publicNote(vic, { id: realId, url: realId }, "<p>the real one</p>") } });
    const forgedId = await forge(realId);
    const stored = await plein.db.selectFrom("posts").select(["iri", "url"]).where("iri", "=", forgedId).executeTakeFirstOrThrow();
    expect(stored.url).toBeNull();

    const found = await search(realId);
    expect(found.statuses.map((s) => s.uri)).toEqual([realId]);
    expect(found.statuses[0]!.content).toContain("the real one");
  });

  test("a local post: the local post is found, not the forgery", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>mine</p>", visibility: "public" });
    await forge(post.url!);
    const found = await search(post.url!);
    expect(found.statuses.map((s) => s.uri)).toEqual([post.iri]);
  });

  test("a post stored earlier with a foreign url is not found by that url", async () => {
    const realId = victim.url("/notes/4");
    victim.serve("/notes/4", { body: { "@context": AS_CONTEXT, ...publicNote(vic, { id: realId }, "<p>four</p>") } });
    const forgedId = await forge(realId);
    // As an older version stored it: with the claimed url.
    await plein.db.updateTable("posts").set({ url: realId }).where("iri", "=", forgedId).execute();
    const found = await search(realId);
    expect(found.statuses.map((s) => s.uri)).toEqual([realId]);
  });
});
