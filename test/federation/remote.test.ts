/**
 * Remote resolution (federation/remote.ts) against real servers on loopback:
 * handles, actor and post URLs, the cache, and the checks on every fetched
 * document (media type, id, size, redirects, origin of the attribution).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { ContextCache } from "../../federation/context-cache.ts";
import { createSafeDocumentLoader, isActivityPubMediaType } from "../../federation/loader.ts";
import { parseHandle } from "../../federation/remote.ts";
import { AS_CONTEXT, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let other: FakeRemote;
let secure: FakeRemote;
let alice: Actor;
let bob: FakeActor;

beforeAll(async () => {
  [plein, remote, other, secure] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote(), startFakeRemote({ https: true })]);
  alice = await plein.user("alice");
  bob = await remote.actor("bob");
});

afterAll(async () => {
  await Promise.all([remote?.close(), other?.close(), secure?.close()]);
  await plein?.close();
});

const resolver = () => plein.running.deps.resolver;
const actorRow = (iri: string) => plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();
const gets = (on: FakeRemote, path: string) => on.received.filter((r) => r.method === "GET" && r.path === path).length;

describe("resolveActor", () => {
  test("local handles in every spelling, and local URLs, come from the database", async () => {
    for (const q of ["alice@plein.test", "@alice@plein.test", "acct:alice@plein.test", "ALICE@PLEIN.TEST", alice.iri]) {
      expect((await resolver().resolveActor(q))?.id).toBe(alice.id);
    }
    expect(await resolver().resolveActor("nobody@plein.test")).toBeUndefined();
    expect(await resolver().resolveActor("not a handle")).toBeUndefined();
    expect(await resolver().resolveActor("a@b@c")).toBeUndefined();
  });

  test("a remote actor URL is fetched once, signed by the instance actor, and then served from the database", async () => {
    const before = gets(remote, "/users/bob");
    const actor = await resolver().resolveActor(bob.iri);
    expect(actor).toMatchObject({ iri: bob.iri, username: "bob", local: false, domain: new URL(remote.origin).host });
    expect(actor!.summary_html).toBe("<p>Hello world</p>");
    expect(actor!.inbox_url).toBe(bob.inbox);
    expect(gets(remote, "/users/bob")).toBe(before + 1);
    const fetch = remote.received.filter((r) => r.path === "/users/bob").at(-1)!;
    expect(String(fetch.headers.signature)).toContain(`keyId="${plein.origin.href}users/plein.test#`);
    expect(String(fetch.headers.accept)).toContain("application/activity+json");
    expect((await resolver().resolveActor(bob.iri))?.id).toBe(actor!.id);
    expect(gets(remote, "/users/bob")).toBe(before + 1);
  });

  test("a stale actor is refetched; a 410 marks it gone", async () => {
    const zoe = await remote.actor("zoe");
    const first = (await resolver().resolveActor(zoe.iri))!;
    await plein.db.updateTable("actors").set({ fetched_at: new Date(Date.now() - 2 * 86_400_000) }).where("id", "=", first.id).execute();
    zoe.document.name = "Zoe Two";
    zoe.publish();
    expect((await resolver().resolveActor(zoe.iri))?.display_name).toBe("Zoe Two");
    await plein.db.updateTable("actors").set({ fetched_at: new Date(Date.now() - 2 * 86_400_000) }).where("id", "=", first.id).execute();
    remote.serve("/users/zoe", { status: 410, body: "" });
    expect(await resolver().resolveActor(zoe.iri)).toBeUndefined();
    expect((await actorRow(zoe.iri))?.gone_at).not.toBeNull();
  });

  test("the follower, following and post counts an actor publishes are stored, refreshed with it, and shown by the API", async () => {
    const kim = await remote.actor("kim");
    const collection = (path: string, totalItems: number) =>
      ({ body: { "@context": AS_CONTEXT, id: remote.url(path), type: "OrderedCollection", totalItems } });
    remote.serve("/users/kim/followers", collection("/users/kim/followers", 12));
    remote.serve("/users/kim/following", collection("/users/kim/following", 3));
    // Some servers embed the collection (with its size) in the actor document.
    kim.document.outbox = { id: remote.url("/users/kim/outbox"), type: "OrderedCollection", totalItems: 40 };
    kim.publish();
    const first = (await resolver().resolveActor(kim.iri))!;
    expect(first).toMatchObject({ followers_count: 12, following_count: 3, posts_count: 40 });

    // Refreshed: new numbers are taken; a collection that fails this time keeps its count.
    remote.serve("/users/kim/followers", collection("/users/kim/followers", 13));
    remote.serve("/users/kim/following", { status: 500, body: "" });
    await plein.db.updateTable("actors").set({ fetched_at: new Date(Date.now() - 2 * 86_400_000) }).where("id", "=", first.id).execute();
    expect(await resolver().resolveActor(kim.iri)).toMatchObject({ followers_count: 13, following_count: 3, posts_count: 40 });

    const res = await plein.running.app.request(`https://plein.test/api/v1/accounts/${first.id}`);
    expect(await res.json()).toMatchObject({ followers_count: 13, following_count: 3, statuses_count: 40 });
  });

  test("a remote handle is found through WebFinger over https and checked against the actor document", async () => {
    const carol = await secure.actor("carol");
    const host = new URL(secure.origin).host;
    secure.serve("/.well-known/webfinger", {
      contentType: "application/jrd+json",
      body: { subject: `acct:carol@${host}`, links: [{ rel: "self", type: "application/activity+json", href: carol.iri }] },
    });
    const actor = await resolver().resolveActor(`@carol@${host}`);
    expect(actor?.iri).toBe(carol.iri);
    expect(actor?.username).toBe("carol");
    // Now stored: found by handle without the network.
    const before = secure.received.length;
    expect((await resolver().resolveActor(`carol@${host}`))?.id).toBe(actor!.id);
    expect(secure.received.length).toBe(before);
  });

  test("documents that are not ActivityPub, or not what was asked for, are refused", async () => {
    const html = await remote.actor("htmlpage", { contentType: "text/html" });
    expect(await resolver().resolveActor(html.iri)).toBeUndefined();
    const json = await remote.actor("plainjson", { contentType: "application/json" });
    expect(await resolver().resolveActor(json.iri)).toBeUndefined();
    // A document on another origin's URL claiming to be bob.
    other.serve("/users/fakebob", { body: { ...bob.document } });
    expect(await resolver().resolveActor(other.url("/users/fakebob"))).toBeUndefined();
    // A redirect to another origin.
    remote.serve("/users/moved", { status: 301, headers: { location: other.url("/users/fakebob") } });
    expect(await resolver().resolveActor(remote.url("/users/moved"))).toBeUndefined();
    for (const iri of [html.iri, json.iri, other.url("/users/fakebob"), remote.url("/users/moved")]) {
      expect(await actorRow(iri)).toBeUndefined();
    }
    expect((await actorRow(bob.iri))?.inbox_url).toBe(bob.inbox);
  });

  test("parseHandle accepts handles and refuses junk", () => {
    expect(parseHandle("@a@b.example")).toEqual({ username: "a", domain: "b.example" });
    expect(parseHandle("acct:a@B.example:8443")).toEqual({ username: "a", domain: "b.example:8443" });
    for (const bad of ["a", "@a", "a@", "a@b@c", "a b@c", "a@b/c", `${"x".repeat(101)}@b.example`]) {
      expect(parseHandle(bad)).toBeNull();
    }
  });
});

describe("resolvePost", () => {
  const serveNote = (on: FakeRemote, by: FakeActor, fields: Record<string, unknown> = {}) => {
    const note = {
      "@context": AS_CONTEXT, id: newId(by, "notes"), type: "Note", attributedTo: by.iri,
      to: [PUBLIC], content: "<p>fetched <script>x</script></p>", published: "2024-01-01T00:00:00Z", ...fields,
    };
    on.serve(new URL(note.id).pathname, { body: note });
    return note;
  };

  test("a remote post URL is fetched, its author resolved, and it is stored once", async () => {
    const note = serveNote(remote, bob);
    const post = await resolver().resolvePost(note.id);
    expect(post).toMatchObject({ iri: note.id, local: false, visibility: "public", content_html: "<p>fetched </p>" });
    expect(post!.actor_id).toBe((await actorRow(bob.iri))?.id);
    const again = await resolver().resolvePost(note.id);
    expect(again?.id).toBe(post!.id);
  });

  test("a web address of a post leads to its canonical id on the same origin", async () => {
    const note = serveNote(remote, bob, { content: "<p>canonical</p>" });
    remote.serve("/@bob/12345", { body: { "@context": AS_CONTEXT, id: note.id, type: "Note", attributedTo: bob.iri, content: "<p>not this copy</p>" } });
    const post = await resolver().resolvePost(remote.url("/@bob/12345"));
    expect(post?.iri).toBe(note.id);
    expect(post?.content_html).toBe("<p>canonical</p>");
  });

  test("a post attributed to an actor of another origin is refused", async () => {
    const foreign = await other.actor("foreign");
    const note = serveNote(remote, bob, { attributedTo: foreign.iri });
    expect(await resolver().resolvePost(note.id)).toBeUndefined();
    expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", note.id).executeTakeFirst()).toBeUndefined();
  });

  test("oversized documents, wrong media types, redirect loops and unknown local URLs give nothing", async () => {
    const big = serveNote(remote, bob, { content: "x".repeat(1_100_000) });
    expect(await resolver().resolvePost(big.id)).toBeUndefined();
    const html = serveNote(remote, bob);
    remote.serve(new URL(html.id).pathname, { contentType: "text/html", body: html });
    expect(await resolver().resolvePost(html.id)).toBeUndefined();
    remote.serve("/loop/a", { status: 302, headers: { location: remote.url("/loop/b") } });
    remote.serve("/loop/b", { status: 302, headers: { location: remote.url("/loop/a") } });
    expect(await resolver().resolvePost(remote.url("/loop/a"))).toBeUndefined();
    expect(await resolver().resolvePost(new URL("/notes/unknown", plein.origin).href)).toBeUndefined();
    expect(await resolver().resolvePost("javascript:alert(1)")).toBeUndefined();
    for (const iri of [big.id, html.id]) {
      expect(await plein.db.selectFrom("posts").select("id").where("iri", "=", iri).executeTakeFirst()).toBeUndefined();
    }
  });
});

describe("the checked loader", () => {
  test("ActivityPub media types only", () => {
    expect(isActivityPubMediaType("application/activity+json")).toBe(true);
    expect(isActivityPubMediaType("application/activity+json; charset=utf-8")).toBe(true);
    expect(isActivityPubMediaType('application/ld+json; profile="https://www.w3.org/ns/activitystreams"')).toBe(true);
    expect(isActivityPubMediaType('application/ld+json;profile="https://example.org/x https://www.w3.org/ns/activitystreams"')).toBe(true);
    for (const bad of [null, "", "application/json", "application/ld+json", "text/html", "image/png", "application/activity+jsonx"]) {
      expect(isActivityPubMediaType(bad)).toBe(false);
    }
  });

  test("a server that never answers is given up on", async () => {
    const hanging: Server = createServer(() => { /* never answers */ });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const port = (hanging.address() as AddressInfo).port;
    const load = createSafeDocumentLoader({ allowPrivateAddress: true, timeoutMs: 300 });
    await expect(load(`http://127.0.0.1:${port}/x`)).rejects.toThrow();
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  test("an actor fetched lately is answered from memory to Fedify's loaders, after the same checks as a fetch", async () => {
    const ivy = await remote.actor("ivy");
    const path = "/users/ivy";
    let blocked = false;
    const policy = async (url: URL) => {
      if (blocked) throw new Error(`${url.host} is blocked`);
    };
    const fedifys = createSafeDocumentLoader({ allowPrivateAddress: true, recentActors: true, policy });
    const ours = createSafeDocumentLoader({ allowPrivateAddress: true, policy });
    const before = gets(remote, path);
    for (let i = 0; i < 3; i++) expect((await fedifys(ivy.iri)).document).toMatchObject({ id: ivy.iri, type: "Person" });
    expect(gets(remote, path)).toBe(before + 1);
    // Our own loader always fetches, and what it fetched replaces what was kept.
    ivy.document.name = "Ivy Two";
    ivy.publish();
    await ours(ivy.iri);
    expect((await fedifys(ivy.iri)).document).toMatchObject({ name: "Ivy Two" });
    expect(gets(remote, path)).toBe(before + 2);
    // The address rule and the federation policy still apply to what is kept.
    await expect(createSafeDocumentLoader({ allowPrivateAddress: false, recentActors: true })(ivy.iri)).rejects.toThrow();
    blocked = true;
    await expect(fedifys(ivy.iri)).rejects.toThrow(/is blocked/);
    blocked = false;
    // Gone at its origin: the failed fetch leaves nothing kept behind.
    remote.serve(path, { status: 410, body: "" });
    await expect(ours(ivy.iri)).rejects.toThrow(/410/);
    await expect(fedifys(ivy.iri)).rejects.toThrow(/410/);
    expect(gets(remote, path)).toBe(before + 4);
  });

  test("a context kept in memory is refused like a fetch once its server is blocked", async () => {
    const path = "/contexts/kept.jsonld";
    remote.serve(path, { contentType: "application/ld+json", body: { "@context": { kept: "https://example.org/ns#kept" } } });
    let blocked = false;
    const policy = async (url: URL) => {
      if (blocked) throw new Error(`${url.host} is blocked`);
    };
    const load = createSafeDocumentLoader({ allowPrivateAddress: true, contexts: true, cache: new ContextCache(), policy });
    const before = gets(remote, path);
    await load(remote.url(path));
    expect((await load(remote.url(path))).document).toMatchObject({ "@context": { kept: "https://example.org/ns#kept" } });
    expect(gets(remote, path)).toBe(before + 1);
    blocked = true;
    await expect(load(remote.url(path))).rejects.toThrow(/is blocked/);
  });

  test("private addresses and other schemes are refused unless allowed", async () => {
    const load = createSafeDocumentLoader({ allowPrivateAddress: false });
    await expect(load(remote.url("/users/bob"))).rejects.toThrow();
    await expect(load("http://[::ffff:7f00:1]/x")).rejects.toThrow();
    await expect(load("file:///etc/passwd")).rejects.toThrow();
    await expect(load("data:application/activity+json,{}")).rejects.toThrow();
  });
});
