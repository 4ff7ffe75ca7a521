/**
 * Issue 9: other servers' avatars, headers and attachments come through this
 * server's origin (src/api/media-proxy.ts, src/media/remote-cache.ts), so that
 * a member's app never contacts another server. A real remote (a loopback
 * HTTP server) serves honest and hostile files; the instance fetches them
 * once, within the caps and types of their kind, keeps them in its media
 * storage (a directory of the test's own, listed to prove nothing was kept),
 * and opens them only at URLs it rendered, for content anyone may read.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertPublicUrl } from "../../federation/loader.ts";
import { createMediaFetcher } from "../../federation/media-fetch.ts";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor, RemoteMediaKind } from "../../src/db/schema.ts";
import { follow, markFollowAccepted } from "../../src/domain/follows.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { removeDomainRule, setDomainRule } from "../../src/domain/policy.ts";
import type { Resolver } from "../../src/domain/resolver.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { mediaStorage } from "../../src/media/index.ts";
import { mediaProxyUrls } from "../../src/media/proxy-urls.ts";
import { evictUnusedRemoteMedia, remoteMediaCache } from "../../src/media/remote-cache.ts";
import { REMOTE_MEDIA_LIMITS } from "../../src/media/remote-rules.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let mediaDir: string;
let alice: Actor;
let aliceToken: string;
let trap: Server;
let trapPort = 0;
let trapConnections = 0;

/** A PNG signature and some bytes: what the remote declares is all that is checked, and it is served under nosniff. */
const picture = (seed: number, size = 4096) => {
  const bytes = new Uint8Array(size).map((_, i) => (i * 31 + seed) % 256);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return bytes;
};
const AVATAR = picture(1);
const HEADER = picture(2);
const PHOTO = picture(3, 9000);

function serveFile(path: string, bytes: Uint8Array, contentType: string): void {
  remote.serveRaw(path, (_req, res) => {
    res.writeHead(200, { "content-type": contentType, "content-length": String(bytes.byteLength) }).end(bytes);
  });
}

const requestsFor = (path: string) => remote.received.filter((r) => r.path === path);

async function request(url: string, options: { token?: string; method?: string } = {}): Promise<Response> {
  return await plein.running.app.request(new URL(url, plein.origin).href, {
    method: options.method ?? "GET",
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
}

/** The URL must be ours: the app would otherwise contact the other server. */
function ours(url: string): string {
  expect(url.startsWith(`${plein.origin.origin}/media_proxy/`), url).toBe(true);
  return url;
}

async function account(actor: { id: string }): Promise<MastodonAccount> {
  const res = await request(`/api/v1/accounts/${actor.id}`, { token: aliceToken });
  expect(res.status).toBe(200);
  return await res.json() as MastodonAccount;
}

let accounts = 0;

/** A remote person whose avatar (and header) are at `avatar` (`header`) on the remote. */
async function remotePerson(files: { avatar: string; header?: string }): Promise<{ fake: FakeActor; row: Actor }> {
  const image = (path: string) => ({ type: "Image", mediaType: "image/png", url: remote.url(path) });
  const fake = await remote.actor(`person${++accounts}`, {
    document: { icon: image(files.avatar), ...files.header ? { image: image(files.header) } : {} },
  });
  const row = await plein.running.deps.resolver.resolveActor(fake.iri);
  expect(row).toBeDefined();
  return { fake, row: row! };
}

/** Every file in the media storage's directory, partial ones included. */
async function storedFiles(dir = mediaDir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? storedFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat();
}

const cachedRow = (kind: RemoteMediaKind, url: string) =>
  plein.db.selectFrom("remote_media").selectAll().where("kind", "=", kind).where("url", "=", url).executeTakeFirst();

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function deliverNote(by: FakeActor, fields: Record<string, unknown>, inbox = "/inbox"): Promise<string> {
  const object: Record<string, unknown> = {
    id: newId(by, "notes"), type: "Note", attributedTo: by.iri, content: "<p>Kijk</p>", published: "2026-01-01T00:00:00Z", ...fields,
  };
  const res = await deliver(plein.running.app, plein.origin, inbox,
    { "@context": AS_CONTEXT, id: newId(by), type: "Create", actor: by.iri, to: object.to, cc: object.cc, object }, by);
  expect(res.status).toBe(202);
  await plein.drain();
  return object.id as string;
}

const image = (path: string, mediaType = "image/png") => [{ type: "Document", mediaType, url: remote.url(path), name: "foto" }];

async function postRow(iri: string) {
  return plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirstOrThrow();
}

async function attachmentOf(iri: string) {
  const post = await postRow(iri);
  return plein.db.selectFrom("post_attachments").selectAll().where("post_id", "=", post.id).executeTakeFirstOrThrow();
}

async function status(iri: string): Promise<MastodonStatus> {
  const res = await request(`/api/v1/statuses/${(await postRow(iri)).id}`, { token: aliceToken });
  expect(res.status).toBe(200);
  return await res.json() as MastodonStatus;
}

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), "plein-remote-media-"));
  [plein, remote] = await Promise.all([startInboxInstance({ env: { PLEIN_MEDIA_DIR: mediaDir } }), startFakeRemote()]);
  alice = await plein.user("alice");
  aliceToken = await issueToken(plein.db, alice, ["read"]);
  trap = createServer((socket) => {
    trapConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  trapPort = (trap.address() as { port: number }).port;
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
  await new Promise<void>((resolve) => (trap ? trap.close(() => resolve()) : resolve()));
  if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
});

describe("a remote account's avatar and header", () => {
  let person: { fake: FakeActor; row: Actor };
  let shown: MastodonAccount;

  beforeAll(async () => {
    person = await remotePerson({ avatar: "/pictures/avatar.png", header: "/pictures/header.png" });
    shown = await account(person.row);
  });

  test("are shown at this server's URLs", () => {
    ours(shown.avatar);
    ours(shown.header);
    expect(shown.avatar_static).toBe(shown.avatar);
    expect(shown.header_static).toBe(shown.header);
    expect(shown.avatar).not.toBe(shown.header);
  });

  test("two requests at once cause one fetch, by this server; both get the picture with safe headers", async () => {
    // The remote holds its answer until both requests wait for the one fetch.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    remote.serveRaw("/pictures/avatar.png", (_req: IncomingMessage, res: ServerResponse) => {
      void released.then(() => res.writeHead(200, { "content-type": "image/png", "content-length": String(AVATAR.byteLength) }).end(AVATAR));
    });
    const source = { kind: "avatar" as const, url: remote.url("/pictures/avatar.png"), declaredType: null };
    const both = Promise.all([request(shown.avatar), request(shown.avatar_static)]);
    await until(() => remoteMediaCache(plein.running.deps).waitingFor(source) === 2, "both requests to wait for the fetch");
    release();
    for (const res of await both) {
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(AVATAR);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toContain("sandbox");
      expect(res.headers.get("content-disposition")).toBe("inline");
    }
    const fetches = requestsFor("/pictures/avatar.png");
    expect(fetches).toHaveLength(1);
    // The remote sees this server, not the app: its user agent, none of the app's credentials.
    expect(fetches[0]!.headers["user-agent"]).toContain(plein.origin.host);
    expect(fetches[0]!.headers.authorization).toBeUndefined();
  });

  test("a kept picture is served again without asking the remote", async () => {
    serveFile("/pictures/header.png", HEADER, "image/png");
    for (let i = 0; i < 2; i++) {
      const res = await request(shown.header);
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(HEADER);
    }
    expect(requestsFor("/pictures/header.png")).toHaveLength(1);
    expect((await cachedRow("header", remote.url("/pictures/header.png")))?.storage_key).toBeTruthy();
  });
});

describe("a remote post's image", () => {
  test("is shown and served at this server's URL; remote_url keeps the original", async () => {
    const bob = await remote.actor("photographer");
    serveFile("/media/photo.png", PHOTO, "image/png");
    const iri = await deliverNote(bob, { to: [PUBLIC], attachment: image("/media/photo.png") });
    const [attachment] = (await status(iri)).media_attachments;
    expect(attachment).toMatchObject({ type: "image", remote_url: remote.url("/media/photo.png") });
    ours(attachment!.url);
    expect(attachment!.preview_url).toBe(attachment!.url);
    const [first, second] = await Promise.all([request(attachment!.url), request(attachment!.preview_url)]);
    for (const res of [first!, second!]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(PHOTO);
    }
    expect(requestsFor("/media/photo.png")).toHaveLength(1);
    // The account that posted it shows its default picture from this server too (it has none).
    expect((await status(iri)).account.avatar.startsWith(plein.origin.origin)).toBe(true);
  });
});

describe("hostile files", () => {
  /** Returns our URL of the refused avatar. */
  async function refusedAvatar(path: string, serve: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    remote.serveRaw(path, serve);
    const person = await remotePerson({ avatar: path });
    const before = await storedFiles();
    const url = ours((await account(person.row)).avatar);
    const res = await request(url);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: expect.any(String) });
    expect(await storedFiles()).toEqual(before);
    const row = await cachedRow("avatar", remote.url(path));
    expect(row).toMatchObject({ storage_key: null, failures: 1 });
    return url;
  }

  test("a 50 MB avatar is refused at the cap, streamed or declared, and nothing is kept", async () => {
    const huge = 50 * 1024 * 1024;
    let streamed = 0;
    await refusedAvatar("/huge-streamed.png", (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      const chunk = new Uint8Array(64 * 1024);
      const more = () => {
        while (streamed < huge && !res.destroyed) {
          streamed += chunk.byteLength;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      res.on("close", () => res.destroy());
      more();
    });
    expect(REMOTE_MEDIA_LIMITS.avatarBytes).toBe(2 * 1024 * 1024);
    await refusedAvatar("/huge-declared.png", (_req, res) => {
      res.writeHead(200, { "content-type": "image/png", "content-length": String(huge) });
      res.write(new Uint8Array(1024));
    });
  });

  test("an avatar that is HTML or SVG is refused, never served as such", async () => {
    await refusedAvatar("/avatar.html", (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><script>alert(1)</script></html>"));
    await refusedAvatar("/avatar.svg", (_req, res) => res.writeHead(200, { "content-type": "image/svg+xml" })
      .end('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
  });

  test("an SVG attachment is served only as a download of application/octet-stream", async () => {
    const carol = await remote.actor("svgposter");
    remote.serveRaw("/media/drawing.svg", (_req, res) => res.writeHead(200, { "content-type": "image/svg+xml" })
      .end('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
    const iri = await deliverNote(carol, { to: [PUBLIC], attachment: image("/media/drawing.svg", "image/svg+xml") });
    const res = await request(ours((await status(iri)).media_attachments[0]!.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.arrayBuffer();
  });

  test("an avatar that redirects to a private address is refused, the address never contacted", async () => {
    // Loopback stands in for the public internet for the remote alone; every other hop gets the real check.
    const real = plein.running.deps.resolver;
    const strict: Resolver = {
      ...real,
      fetchMedia: createMediaFetcher({
        allowPrivateAddress: false,
        checkAddress: async (url) => {
          if (url.origin === remote.origin) return;
          await assertPublicUrl(url);
        },
      }),
    };
    plein.running.deps.resolver = strict;
    try {
      for (const [path, target] of [["/to-loopback.png", `http://127.0.0.1:${trapPort}/secret.png`], ["/to-metadata.png", "http://169.254.169.254/latest/meta-data/"]] as const) {
        await refusedAvatar(path, (_req, res) => res.writeHead(302, { location: target }).end());
        expect(requestsFor(path)).toHaveLength(1);
      }
      expect(trapConnections).toBe(0);
    } finally {
      plein.running.deps.resolver = real;
    }
  });

  test("a file on a server the federation policy blocks is never fetched, whoever names it", async () => {
    const blocked = await startFakeRemote({ host: "127.0.0.2" });
    const pattern = { domain: "127.0.0.2", subdomains: false };
    await setDomainRule(plein.db, plein.origin.host, pattern, { action: "block" });
    try {
      blocked.serveRaw("/avatar.png", (_req, res) => res.writeHead(200, { "content-type": "image/png" }).end(AVATAR));
      const fake = await remote.actor("namesblocked", { document: { icon: { type: "Image", mediaType: "image/png", url: blocked.url("/avatar.png") } } });
      const row = (await plein.running.deps.resolver.resolveActor(fake.iri))!;
      const res = await request(ours((await account(row)).avatar));
      expect(res.status).toBe(502);
      expect(blocked.received).toHaveLength(0);
      expect((await cachedRow("avatar", blocked.url("/avatar.png")))?.failure).toContain("federation policy");
    } finally {
      await removeDomainRule(plein.db, pattern);
      await blocked.close();
    }
  });

  test("a 404 is remembered: the next request does not ask the remote again", async () => {
    const url = await refusedAvatar("/missing.png", (_req, r) => r.writeHead(404, { "content-type": "text/plain" }).end("not found"));
    const again = await request(url);
    expect(again.status).toBe(502);
    expect(requestsFor("/missing.png")).toHaveLength(1);
    const row = await cachedRow("avatar", remote.url("/missing.png"));
    expect(row!.retry_at!.getTime()).toBeGreaterThan(Date.now());
    expect(row!.failure).toContain("404");
  });

  test("an avatar that never comes is given up on, and not asked for again at once", async () => {
    const url = await refusedAvatar("/stalled.png", () => {});
    expect((await request(url)).status).toBe(502);
    expect(requestsFor("/stalled.png")).toHaveLength(1);
  }, 25_000);
});

describe("who can open these URLs", () => {
  let bob: FakeActor;
  let bobRow: Actor;

  beforeAll(async () => {
    bob = await remote.actor("closedposter");
    bobRow = (await plein.running.deps.resolver.resolveActor(bob.iri))!;
    await follow(plein.db, plein.origin, alice, bobRow);
    await markFollowAccepted(plein.db, alice, bobRow);
    serveFile("/media/secret.png", PHOTO, "image/png");
  });

  test("a stranger without the URL learns nothing: a wrong mac, a local account, an absent id are the same 404", async () => {
    const person = await remotePerson({ avatar: "/pictures/stranger.png" });
    serveFile("/pictures/stranger.png", AVATAR, "image/png");
    const real = new URL(ours((await account(person.row)).avatar)).pathname;
    const [, , kind, id, mac] = real.split("/");
    const absent = await request(`/media_proxy/${kind}/999999999/${mac}`);
    const body = await absent.text();
    expect(absent.status).toBe(404);
    for (const path of [
      `/media_proxy/${kind}/${id}/${"A".repeat(mac!.length)}`,
      `/media_proxy/header/${id}/${mac}`,
      `/media_proxy/${kind}/${alice.id}/${mac}`,
      `/media_proxy/script/${id}/${mac}`,
      `/media_proxy/${kind}/not-an-id/${mac}`,
    ]) {
      const res = await request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe(body);
    }
    expect(requestsFor("/pictures/stranger.png")).toHaveLength(0);
    expect((await request(real)).status).toBe(200);
  });

  test("attachments of a followers-only post are never served here, even at a URL made with this server's key", async () => {
    const iri = await deliverNote(bob, { to: [bob.followers], cc: [], attachment: image("/media/secret.png") });
    const shown = (await status(iri)).media_attachments[0]!;
    // Shown to alice at the route that asks for her token (src/api/plein/attachments.ts), not here.
    expect(shown.url).toBe(`${plein.origin.origin}/api/plein/v1/attachments/${shown.id}`);
    const forged = (await mediaProxyUrls(plein.running.deps)).attachment(await attachmentOf(iri))!;
    for (const token of [undefined, aliceToken]) expect((await request(forged, { token })).status).toBe(404);
    expect(requestsFor("/media/secret.png")).toHaveLength(0);
  });

  test("attachments of a closed group's post do not reach non-members through this route", async () => {
    const group = await createGroup(plein.db, plein.origin, alice, { name: "raad", visibility: "closed", joinMode: "open", modules: [] });
    const joined = await deliver(plein.running.app, plein.origin, `/users/${group.actor.username}/inbox`,
      { "@context": AS_CONTEXT, id: newId(bob), type: "Follow", actor: bob.iri, object: group.actor.iri }, bob);
    expect(joined.status).toBe(202);
    await plein.drain();
    const iri = await deliverNote(bob, { to: [group.actor.iri], audience: group.actor.iri, attachment: image("/media/secret.png") },
      `/users/${group.actor.username}/inbox`);
    expect((await postRow(iri)).visibility).toBe("group");
    const forged = (await mediaProxyUrls(plein.running.deps)).attachment(await attachmentOf(iri))!;
    for (const token of [undefined, aliceToken]) expect((await request(forged, { token })).status).toBe(404);
    expect(requestsFor("/media/secret.png")).toHaveLength(0);
  });
});

describe("housekeeping", () => {
  test("a new avatar is fetched at its new URL; the old URL closes and its copy goes at the next eviction", async () => {
    serveFile("/pictures/old.png", AVATAR, "image/png");
    serveFile("/pictures/new.png", HEADER, "image/png");
    const person = await remotePerson({ avatar: "/pictures/old.png" });
    const before = await account(person.row);
    expect((await request(before.avatar)).status).toBe(200);
    const oldCopy = (await cachedRow("avatar", remote.url("/pictures/old.png")))!;

    person.fake.document.icon = { type: "Image", mediaType: "image/png", url: remote.url("/pictures/new.png") };
    person.fake.publish();
    const updated = await deliver(plein.running.app, plein.origin, "/inbox",
      { "@context": AS_CONTEXT, id: newId(person.fake), type: "Update", actor: person.fake.iri, object: person.fake.document, to: [PUBLIC] }, person.fake);
    expect(updated.status).toBe(202);
    await plein.drain();

    const after = await account(person.row);
    expect(after.avatar).not.toBe(before.avatar);
    expect((await request(before.avatar)).status).toBe(404);
    const res = await request(after.avatar);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(HEADER);

    expect(await evictUnusedRemoteMedia(plein.db, mediaStorage(plein.running.config))).toBeGreaterThanOrEqual(1);
    expect(await cachedRow("avatar", remote.url("/pictures/old.png"))).toBeUndefined();
    expect(await mediaStorage(plein.running.config).get(oldCopy.storage_key!)).toBeNull();
    expect((await cachedRow("avatar", remote.url("/pictures/new.png")))?.storage_key).toBeTruthy();
  });

  test("a copy unused for a week is dropped, and fetched again when next asked for", async () => {
    serveFile("/pictures/unused.png", AVATAR, "image/png");
    const person = await remotePerson({ avatar: "/pictures/unused.png" });
    const url = (await account(person.row)).avatar;
    expect((await request(url)).status).toBe(200);
    const copy = (await cachedRow("avatar", remote.url("/pictures/unused.png")))!;
    await plein.db.updateTable("remote_media").set({ last_used_at: new Date(Date.now() - 8 * 24 * 3600 * 1000) }).where("id", "=", copy.id).execute();
    expect(await evictUnusedRemoteMedia(plein.db, mediaStorage(plein.running.config))).toBeGreaterThanOrEqual(1);
    expect(await cachedRow("avatar", remote.url("/pictures/unused.png"))).toBeUndefined();
    expect(await storedFiles()).not.toContain(join(mediaDir, copy.storage_key!));
    const again = await request(url);
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(AVATAR);
    expect(requestsFor("/pictures/unused.png")).toHaveLength(2);
  });
});
