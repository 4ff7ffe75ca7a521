/**
 * Size, time and work bombs (SECURITY.md): remote servers that answer slowly
 * or never finish, documents over the size cap or nested without end,
 * redirect loops and chains, activities with 10,000 tags, mentions or
 * attachments, a megabyte of content, and timestamps far in the future.
 * Every one is a real server on loopback or a real inbox POST; none may hang
 * a fetch past its deadline, store more than the caps, or answer 500.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { exportSpki, FetchError, generateCryptoKeyPair } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createSafeDocumentLoader,
  DocumentRejectedError,
  FETCH_LIMITS,
  jsonNestsDeeperThan,
  valueNestsDeeperThan,
} from "../../federation/loader.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { follow, markFollowAccepted } from "../../src/domain/follows.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let bob: FakeActor;
/** A server whose handler each test sets. */
let hostile: Server;
let hostileUrl: (path: string) => string;
let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  alice = await plein.user("alice");
  bob = await remote.actor("bob");
  hostile = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
  const port = (hostile.address() as AddressInfo).port;
  hostileUrl = (path) => `http://127.0.0.1:${port}${path}`;
});

afterAll(async () => {
  hostile?.closeAllConnections();
  await new Promise<void>((resolve) => (hostile ? hostile.close(() => resolve()) : resolve()));
  await remote?.close();
  await plein?.close();
});

const AP = { "content-type": "application/activity+json" };

async function send(activity: Record<string, unknown>, by: FakeActor = bob, options: { rawBody?: string } = {}) {
  const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS_CONTEXT, ...activity }, by, options);
  const queued = await plein.queued();
  await plein.drain();
  return { status: res.status, queued, text: await res.text() };
}

function note(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: newId(bob, "notes"), type: "Note", attributedTo: bob.iri, to: [PUBLIC], cc: [bob.followers],
    content: "<p>Hello</p>", published: "2024-01-01T00:00:00Z", ...fields,
  };
}

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

describe("slow remotes: no fetch outlives its deadline", () => {
  const loader = createSafeDocumentLoader({ allowPrivateAddress: true, timeoutMs: 300 });

  test("headers sent, body never finished: the loader gives up with an error", async () => {
    handle = (_req, res) => {
      res.writeHead(200, AP);
      res.write('{"id": "');
    };
    const error = await errorOf(loader(hostileUrl("/stalled")));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toMatch(/TimeoutError|AbortError/);
  });

  test("a body dripped one byte at a time (every read succeeds) is cut off by the total deadline", async () => {
    const timers: NodeJS.Timeout[] = [];
    handle = (_req, res) => {
      res.writeHead(200, AP);
      res.write("[");
      timers.push(setInterval(() => res.write(" "), 20));
    };
    const error = await errorOf(loader(hostileUrl("/drip")));
    timers.forEach(clearInterval);
    expect((error as Error | null)?.name).toMatch(/TimeoutError|AbortError/);
  });

  test("an inbox POST whose key server stalls answers 401 once Fedify's key fetch hits the deadline (ours)", async () => {
    const requests: string[] = [];
    handle = (req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(200, AP);
      res.write("{");
    };
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const actor = hostileUrl("/users/slow");
    // Fedify 2.3.8's loaders have no timeout: this request used to hang for minutes.
    const res = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: hostileUrl("/a/1"), type: "Follow", actor, object: alice.iri },
      { keyId: `${actor}#main-key`, privateKey });
    expect(res.status).toBe(401);
    expect(requests).toEqual(["/users/slow"]);
    expect(await plein.queued()).toBe(0);
  }, FETCH_LIMITS.timeoutMs + 20_000);

  test("a WebFinger server that stalls: the handle lookup gives up and finds nothing (ours)", async () => {
    // WebFinger is https only: a stalling server with the test certificate (the fake remote makes Node trust its CA).
    const trust = await startFakeRemote({ https: true });
    await trust.close();
    const tls = join(import.meta.dirname, "..", "tls");
    const requests: string[] = [];
    const slow = createHttpsServer({ cert: readFileSync(join(tls, "server.pem")), key: readFileSync(join(tls, "server.key")) }, (req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/jrd+json" });
      res.write("{");
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    try {
      const host = `127.0.0.1:${(slow.address() as AddressInfo).port}`;
      // Fedify 2.3.8's WebFinger lookup has no timeout: this used to hang the search request.
      expect(await plein.running.deps.resolver.resolveActor(`@someone@${host}`)).toBeUndefined();
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatch(/^\/\.well-known\/webfinger\?resource=acct/);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  }, FETCH_LIMITS.timeoutMs + 20_000);
});

describe("size caps", () => {
  test("a document over the cap is refused, with or without Content-Length", async () => {
    const big = JSON.stringify({ id: hostileUrl("/big"), type: "Note", content: "x".repeat(FETCH_LIMITS.maxBytes) });
    const loader = createSafeDocumentLoader({ allowPrivateAddress: true });
    handle = (_req, res) => {
      res.writeHead(200, { ...AP, "content-length": String(Buffer.byteLength(big)) }).end(big);
    };
    expect(await errorOf(loader(hostileUrl("/declared")))).toBeInstanceOf(DocumentRejectedError);
    let sent = 0;
    handle = (_req, res) => {
      // Chunked, no Content-Length, and more than the cap: the reader must stop on its own.
      res.writeHead(200, AP);
      const chunk = "x".repeat(64 * 1024);
      const pump = () => {
        while (sent < 4 * FETCH_LIMITS.maxBytes) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
    };
    expect(await errorOf(loader(hostileUrl("/chunked")))).toBeInstanceOf(DocumentRejectedError);
  });

  test("an actor document over the cap is not stored, and the activity it signed is not processed", async () => {
    const fat = await remote.actor("fat", { document: { summary: "y".repeat(FETCH_LIMITS.maxBytes + 1) } });
    expect(await plein.running.deps.resolver.resolveActor(fat.iri)).toBeUndefined();
    const object = note({ id: newId(fat, "notes"), attributedTo: fat.iri });
    const r = await send({ id: newId(fat), type: "Create", actor: fat.iri, object }, fat);
    expect(r.status).toBeLessThan(500);
    expect(await postByIri(object.id as string)).toBeUndefined();
    expect(await plein.db.selectFrom("actors").select("id").where("iri", "=", fat.iri).executeTakeFirst()).toBeUndefined();
  });

  test("Fedify's own key fetch of a 10 MB actor document is cut off at the cap: 401, the body never read whole", async () => {
    const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const actor = hostileUrl("/users/huge");
    // A valid actor and key first, then 10 MB of summary: read whole, the signature would verify.
    const head = JSON.stringify({
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id: actor, type: "Person", preferredUsername: "huge", inbox: `${actor}/inbox`,
      publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: await exportSpki(publicKey) },
    }).slice(0, -1) + ',"summary":"';
    const documentBytes = 10 * 1024 * 1024;
    const served = { requests: 0, bytes: 0, finished: false, closedEarly: false };
    handle = (_req, res) => {
      served.requests++;
      res.writeHead(200, AP);
      const chunk = "y".repeat(64 * 1024);
      served.bytes += Buffer.byteLength(head);
      res.write(head);
      const pump = () => {
        while (served.bytes < documentBytes) {
          served.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end('"}', () => (served.finished = true));
      };
      res.on("close", () => {
        res.removeAllListeners("drain");
        if (!res.writableFinished) served.closedEarly = true;
      });
      pump();
    };
    const res = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: hostileUrl("/a/huge"), type: "Follow", actor, object: alice.iri },
      { keyId: `${actor}#main-key`, privateKey });
    expect(res.status).toBe(401);
    expect(served.requests).toBeGreaterThan(0);
    await expect.poll(() => served.closedEarly).toBe(true);
    expect(served.finished).toBe(false);
    expect(await plein.queued()).toBe(0);
  });

  test("an inbox body over 1 MiB: 413", async () => {
    const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object: note({ content: "z".repeat(1024 * 1024) }) });
    expect(r.status).toBe(413);
    expect(r.queued).toBe(0);
  });
});

describe("redirects", () => {
  const loader = createSafeDocumentLoader({ allowPrivateAddress: true });
  const doc = (path: string) => JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: hostileUrl(path), type: "Note" });

  test("a redirect loop is refused", async () => {
    let hits = 0;
    handle = (req, res) => {
      hits++;
      res.writeHead(302, { location: req.url === "/loop/a" ? "/loop/b" : "/loop/a" }).end();
    };
    expect(await errorOf(loader(hostileUrl("/loop/a")))).toBeInstanceOf(FetchError);
    handle = (_req, res) => {
      hits++;
      res.writeHead(301, { location: "/self" }).end();
    };
    expect(await errorOf(loader(hostileUrl("/self")))).toBeInstanceOf(FetchError);
    expect(hits).toBeLessThanOrEqual(3);
  });

  test("five redirects are followed; a sixth is refused", async () => {
    const hits: string[] = [];
    handle = (req, res) => {
      hits.push(req.url ?? "");
      const n = Number(/^\/hop\/(\d+)$/.exec(req.url ?? "")?.[1] ?? "0");
      if (n === 0) return void res.writeHead(200, AP).end(doc(req.url ?? "/"));
      res.writeHead(302, { location: `/hop/${n - 1}` }).end();
    };
    const ok = await loader(hostileUrl(`/hop/${FETCH_LIMITS.maxRedirects}`));
    expect(ok.documentUrl).toBe(hostileUrl("/hop/0"));
    hits.length = 0;
    const error = await errorOf(loader(hostileUrl(`/hop/${FETCH_LIMITS.maxRedirects + 1}`)));
    expect(error).toBeInstanceOf(FetchError);
    expect(hits).toHaveLength(FETCH_LIMITS.maxRedirects + 1);
    expect(hits).not.toContain("/hop/0");
  });

  test("a resolver lookup through an endless chain of fresh URLs gives nothing and stops", async () => {
    const hits: string[] = [];
    handle = (req, res) => {
      hits.push(req.url ?? "");
      res.writeHead(302, { location: `/chain/${hits.length}` }).end();
    };
    expect(await plein.running.deps.resolver.resolveActor(hostileUrl("/chain/0"))).toBeUndefined();
    expect(await plein.running.deps.resolver.resolvePost(hostileUrl("/chain/x"))).toBeUndefined();
    expect(hits.length).toBeLessThanOrEqual(2 * (FETCH_LIMITS.maxRedirects + 1));
  });
});

describe("nesting", () => {
  test("the depth scan counts brackets, not brackets inside strings", () => {
    expect(jsonNestsDeeperThan("[".repeat(65) + "]".repeat(65))).toBe(true);
    expect(jsonNestsDeeperThan("[".repeat(64) + "]".repeat(64))).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ a: "[".repeat(1000), b: '\\"{{{{' }))).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\\\"${",[".repeat(100)}`)).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(valueNestsDeeperThan(deep)).toBe(true);
    expect(valueNestsDeeperThan({ a: [{ b: [1, 2, { c: "d" }] }] })).toBe(false);
  });

  test("deeply nested JSON in an inbox body: 400 before parsing, never a 500, nothing queued (ours)", async () => {
    for (const depth of [100, 1_000, 100_000]) {
      const arrays = `{"@context":"https://www.w3.org/ns/activitystreams","id":"${newId(bob)}","type":"Create","actor":"${bob.iri}",`
        + `"object":{"type":"Note","content":${"[".repeat(depth)}"x"${"]".repeat(depth)}}}`;
      const objects = `{"@context":"https://www.w3.org/ns/activitystreams","id":"${newId(bob)}","type":"Create","actor":"${bob.iri}",`
        + `"object":${'{"type":"Note","inReplyTo":'.repeat(Math.min(depth, 30_000))}"x"${"}".repeat(Math.min(depth, 30_000))}}`;
      for (const rawBody of [arrays, objects]) {
        const r = await send({}, bob, { rawBody });
        expect(r.status, `${depth}`).toBe(400);
        expect(r.queued).toBe(0);
      }
    }
    // Unsigned, too: refused the same way (Fedify would expand JSON-LD before checking any signature).
    const res = await deliver(plein.running.app, plein.origin, "/inbox", null, null, { rawBody: `{"@context":${"[".repeat(5000)}${"]".repeat(5000)}}` });
    expect(res.status).toBe(400);
  });

  test("a deeply nested key document or JSON-LD context fetched by Fedify: 401 / 400, not a 500 (ours)", async () => {
    const deep = `{"@context":"https://www.w3.org/ns/activitystreams","id":"${hostileUrl("/users/deep")}","type":"Person","name":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`;
    handle = (_req, res) => void res.writeHead(200, { "content-type": "application/ld+json" }).end(deep);
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const actor = hostileUrl("/users/deep");
    const viaKey = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: hostileUrl("/a/2"), type: "Follow", actor, object: alice.iri }, { keyId: `${actor}#main-key`, privateKey });
    expect(viaKey.status).toBe(401);
    const viaContext = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": [...AS_CONTEXT, hostileUrl("/context/deep")], id: newId(bob), type: "Follow", actor: bob.iri, object: alice.iri }, bob);
    expect(viaContext.status).toBe(400);
    expect(await plein.running.deps.resolver.resolveActor(actor)).toBeUndefined();
    expect(await plein.queued()).toBe(0);
  });
});

describe("list and text bombs", () => {
  test("10,000 hashtags: 50 kept", async () => {
    const object = note({ tag: Array.from({ length: 10_000 }, (_, i) => ({ type: "Hashtag", name: `#t${i}` })) });
    const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object });
    expect(r.status).toBe(202);
    const post = (await postByIri(object.id as string))!;
    const tags = await plein.db.selectFrom("post_tags").select("tag").where("post_id", "=", post.id).execute();
    expect(tags).toHaveLength(50);
  });

  test("10,000 mentions of unknown actors: at most 10 fetched, at most 50 kept", async () => {
    const before = remote.received.length;
    const object = note({ tag: Array.from({ length: 10_000 }, (_, i) => ({ type: "Mention", href: remote.url(`/users/ghost${i}`) })) });
    const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object });
    expect(r.status).toBe(202);
    const post = (await postByIri(object.id as string))!;
    expect(post).toBeDefined();
    const fetched = remote.received.slice(before).filter((q) => q.path.startsWith("/users/ghost"));
    expect(fetched.length).toBeLessThanOrEqual(10);
    const mentions = await plein.db.selectFrom("post_mentions").select("actor_id").where("post_id", "=", post.id).execute();
    expect(mentions.length).toBeLessThanOrEqual(50);
  });

  test("10,000 attachments: 16 kept", async () => {
    const object = note({
      attachment: Array.from({ length: 10_000 }, (_, i) => ({ type: "Document", mediaType: "image/png", url: `https://cdn.example/${i}.png` })),
    });
    const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object });
    expect(r.status).toBe(202);
    const post = (await postByIri(object.id as string))!;
    const rows = await plein.db.selectFrom("post_attachments").select("url").where("post_id", "=", post.id).orderBy("position").execute();
    expect(rows).toHaveLength(16);
    expect(rows[0]!.url).toBe("https://cdn.example/0.png");
  });

  test("1 MB of content in a body under 1 MiB: stored cut to the cap, sanitised, no 500", async () => {
    const content = `<p>${"<b>bold</b><script>x</script>".repeat(34_600)}</p>`;
    expect(content.length).toBeGreaterThan(1_000_000);
    const object = note({ content, summary: "s".repeat(5_000), name: "n".repeat(5_000) });
    const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object });
    expect(r.status).toBe(202);
    const post = await postByIri(object.id as string);
    expect(post).toBeDefined();
    expect(post!.content_html.length).toBeLessThanOrEqual(100_000);
    expect(post!.content_html.length).toBeGreaterThan(1_000);
    expect(post!.content_html).not.toContain("<script");
    expect(post!.summary!.length).toBeLessThanOrEqual(2_000);
  });
});

describe("timestamps", () => {
  test("a post published far in the future is clamped to its arrival and does not sit above newer posts", async () => {
    const bobRow = (await plein.db.selectFrom("actors").selectAll().where("iri", "=", bob.iri).executeTakeFirst())!;
    await follow(plein.db, plein.origin, alice, bobRow);
    await markFollowAccepted(plein.db, alice, bobRow);
    const before = Date.now();
    const future = note({ content: "<p>from the future</p>", published: "2999-01-01T00:00:00Z", updated: "2999-01-02T00:00:00Z" });
    expect((await send({ id: newId(bob), type: "Create", actor: bob.iri, object: future })).status).toBe(202);
    const later = note({ content: "<p>later, but honest</p>", published: new Date().toISOString() });
    expect((await send({ id: newId(bob), type: "Create", actor: bob.iri, object: later })).status).toBe(202);
    const stored = (await postByIri(future.id as string))!;
    expect(stored.published_at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(stored.published_at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stored.edited_at!.getTime()).toBeLessThanOrEqual(Date.now());

    const token = await issueToken(plein.db, alice, ["read"]);
    const res = await plein.running.app.request(new URL("/api/v1/timelines/home?limit=5", plein.origin), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const timeline = await res.json() as MastodonStatus[];
    const uris = timeline.map((s) => s.uri);
    expect(uris.indexOf(later.id as string)).toBeGreaterThanOrEqual(0);
    expect(uris.indexOf(later.id as string)).toBeLessThan(uris.indexOf(future.id as string));
    expect(new Date(timeline.find((s) => s.uri === future.id)!.created_at).getTime()).toBeLessThanOrEqual(Date.now());
  });

  test("an unparsable or absurd date does not break the inbox", async () => {
    for (const published of ["not a date", "99999-01-01T00:00:00Z", "-000001-01-01T00:00:00Z", "2024-13-45T99:99:99Z"]) {
      const object = note({ published });
      const r = await send({ id: newId(bob), type: "Create", actor: bob.iri, object });
      expect(r.status, published).toBeLessThan(500);
      const post = await postByIri(object.id as string);
      if (post) expect(post.published_at.getTime(), published).toBeLessThanOrEqual(Date.now());
    }
  });
});
