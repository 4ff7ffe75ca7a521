/**
 * SSRF: with PLEIN_ALLOW_PRIVATE_ADDRESS unset (the production default), no
 * fetch a remote party or a user can cause reaches a private or special
 * address. A real listener on the loopback port (IPv4 and IPv6, every
 * spelling of "this machine") proves that nothing was fetched: it counts TCP
 * connections, so even a TLS attempt would show. Addresses that nothing
 * listens on are checked at the loader: the refusal must come from the
 * address check (UrlError / DocumentRejectedError), before any connection.
 */
import { createServer, type Server } from "node:http";
import { lookup } from "node:dns/promises";
import type { AddressInfo, Socket } from "node:net";
import { hostname } from "node:os";
import { exportSpki, generateCryptoKeyPair, UrlError } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertPublicUrl, createSafeDocumentLoader, DocumentRejectedError } from "../../federation/loader.ts";
import type { MastodonSearch } from "../../src/api/mastodon/entities/search.ts";
import { loadConfig } from "../../src/config.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { AS_CONTEXT, deliver, PUBLIC } from "../support/fake-remote.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

/** A server on every loopback address of this port that counts connections and requests. */
interface Listener {
  port: number;
  connections: number;
  requests: string[];
  server: Server;
}

async function listen(handler?: Parameters<typeof createServer>[1]): Promise<Listener> {
  const listener: Listener = { port: 0, connections: 0, requests: [], server: undefined as unknown as Server };
  const server = createServer((req, res) => {
    listener.requests.push(`${req.method} ${req.url}`);
    if (handler) return handler(req, res);
    res.writeHead(200, { "content-type": "application/activity+json" }).end("{}");
  });
  server.on("connection", (_socket: Socket) => {
    listener.connections++;
  });
  // "::" is dual-stack: 127.0.0.1, ::1, ::ffff:127.0.0.1, 0.0.0.0 and localhost all reach it.
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  listener.port = (server.address() as AddressInfo).port;
  listener.server = server;
  return listener;
}

function close(listener: Listener | undefined): Promise<void> {
  if (!listener) return Promise.resolve();
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    listener.server.closeAllConnections();
  });
}

let running: RunningPlein;
let database: TestDatabase;
let alice: Actor;
let token: string;
let trap: Listener;
/** A host name of this machine that resolves to a loopback address (not spelled "localhost"), if it has one. */
let loopbackName: string | undefined;

beforeAll(async () => {
  database = await openTestDatabase();
  const config = loadConfig({ PLEIN_ORIGIN: "https://plein.test", PLEIN_ROLE: "web", LOG_LEVEL: "error" });
  expect(config.allowPrivateAddress).toBe(false);
  running = await startPlein(config, { database, listen: false, role: "web" });
  alice = await createUser(database.db, config.origin, { username: "alice", email: "alice@example.test", password: "correct horse battery" });
  token = await issueToken(database.db, alice, ["read", "write"]);
  trap = await listen();
  for (const name of [hostname(), "vm", "runsc"]) {
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length > 0 && addresses.every((a) => a.address.startsWith("127.") || a.address === "::1")) {
      loopbackName = name;
      break;
    }
  }
});

afterAll(async () => {
  await close(trap);
  await running?.close();
  await database?.close();
});

/** URLs of the trap listener in every spelling that reaches it. */
function loopbackUrls(path: string): string[] {
  const p = trap.port;
  return [
    `http://127.0.0.1:${p}${path}`,
    `http://127.1.2.3:${p}${path}`,
    `http://2130706433:${p}${path}`,
    `http://0x7f.0.0.1:${p}${path}`,
    `http://0.0.0.0:${p}${path}`,
    `http://[::1]:${p}${path}`,
    `http://[::ffff:7f00:1]:${p}${path}`,
    `http://[::ffff:127.0.0.1]:${p}${path}`,
    `http://localhost:${p}${path}`,
    `http://LOCALHOST:${p}${path}`,
    `https://127.0.0.1:${p}${path}`,
    ...(loopbackName ? [`http://${loopbackName}:${p}${path}`] : []),
  ];
}

/** Private and special addresses nothing listens on: refused by the check, never connected to. */
const UNREACHABLE = [
  "http://10.0.0.1/users/x",
  "http://172.16.0.1/users/x",
  "http://192.168.1.1/users/x",
  "http://169.254.169.254/latest/meta-data/",
  "http://100.64.0.1/users/x",
  "http://224.0.0.1/users/x",
  "http://255.255.255.255/users/x",
  "http://[fc00::1]/users/x",
  "http://[fd12:3456:789a::1]/users/x",
  "http://[fe80::1]/users/x",
  "http://[::]/users/x",
  "http://[ff02::1]/users/x",
  "http://[2002:7f00:1::]/users/x", // 6to4 of 127.0.0.1
  "http://[2002:a00:1::]/users/x", // 6to4 of 10.0.0.1
  "http://[64:ff9b::7f00:1]/users/x", // NAT64 of 127.0.0.1
  "http://[64:ff9b::a9fe:a9fe]/users/x", // NAT64 of 169.254.169.254
  "http://[64:ff9b:1::1]/users/x", // local-use NAT64
  "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/users/x", // Teredo
  "http://[2001::1]/users/x", // Teredo
  "http://[fec0::1]/users/x", // site-local (ours)
  "http://[2001:db8::1]/users/x", // documentation (ours)
  "http://[100::1]/users/x", // discard (ours)
];

const OTHER_SCHEMES = [
  "file:///etc/passwd",
  "data:application/activity+json,%7B%22id%22%3A%22x%22%2C%22type%22%3A%22Person%22%7D",
  "ftp://127.0.0.1/users/x",
  "gopher://127.0.0.1:70/_x",
  "javascript:alert(1)",
];

async function search(q: string): Promise<{ status: number; body: MastodonSearch }> {
  const url = new URL("/api/v2/search", running.config.origin);
  url.searchParams.set("q", q);
  url.searchParams.set("resolve", "true");
  const res = await running.app.request(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() as MastodonSearch };
}

describe("the address check", () => {
  test("refuses every private and special address, literal or resolved", async () => {
    for (const url of [...loopbackUrls("/x"), ...UNREACHABLE, ...OTHER_SCHEMES]) {
      const error = await assertPublicUrl(new URL(url)).then(() => null, (e: unknown) => e);
      expect(error, url).toBeInstanceOf(Error);
      expect(error instanceof UrlError || error instanceof DocumentRejectedError, `${url}: ${String(error)}`).toBe(true);
    }
    expect(trap.connections).toBe(0);
  });

  test("lets public addresses through", async () => {
    for (const url of ["http://8.8.8.8/x", "https://[2606:4700:4700::1111]/x", "http://[64:ff9b::808:808]/x", "https://93.184.215.14/x"]) {
      await expect(assertPublicUrl(new URL(url)), url).resolves.toBeUndefined();
    }
  });
});

describe("fetches a remote party or a user can cause", () => {
  const loader = createSafeDocumentLoader({ allowPrivateAddress: false });

  test("the checked loader refuses them before connecting", async () => {
    for (const url of [...loopbackUrls("/users/x"), ...UNREACHABLE, ...OTHER_SCHEMES]) {
      const error = await loader(url).then(() => null, (e: unknown) => e);
      expect(error instanceof UrlError || error instanceof DocumentRejectedError, `${url}: ${String(error)}`).toBe(true);
    }
    expect(trap.connections).toBe(0);
  });

  test("resolveActor and resolvePost find nothing and fetch nothing", async () => {
    const resolver = running.deps.resolver;
    for (const url of [...loopbackUrls("/users/x"), ...UNREACHABLE, ...OTHER_SCHEMES]) {
      expect(await resolver.resolveActor(url), url).toBeUndefined();
      expect(await resolver.resolvePost(url), url).toBeUndefined();
    }
    // Handles on private hosts: WebFinger is never asked.
    for (const handle of [`alice@127.0.0.1:${trap.port}`, `@alice@localhost:${trap.port}`, `alice@[::1]:${trap.port}`, "alice@10.0.0.1", "alice@169.254.169.254"]) {
      expect(await resolver.resolveActor(handle), handle).toBeUndefined();
    }
    expect(trap.connections).toBe(0);
    expect(await database.db.selectFrom("actors").select("id").where("local", "=", false).execute()).toEqual([]);
  });

  test("GET /api/v2/search?resolve=true answers an empty result (never a 500) and fetches nothing", async () => {
    const queries = [
      ...loopbackUrls("/users/x"),
      ...UNREACHABLE,
      ...OTHER_SCHEMES,
      `alice@127.0.0.1:${trap.port}`,
      `@alice@localhost:${trap.port}`,
    ];
    for (const q of queries) {
      const { status, body } = await search(q);
      expect(status, q).toBe(200);
      expect(body.accounts, q).toEqual([]);
      expect(body.statuses, q).toEqual([]);
    }
    expect(trap.connections).toBe(0);
  });

  test("an inbox activity whose actor (and key) is on a private address: 401, no fetch, nothing queued", async () => {
    const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const before = await database.db.selectFrom("queue_messages").select("id").execute();
    for (const base of [`http://127.0.0.1:${trap.port}`, `http://localhost:${trap.port}`, `http://[::ffff:7f00:1]:${trap.port}`]) {
      const actorIri = `${base}/users/evil`;
      const note = { id: `${base}/notes/1`, type: "Note", attributedTo: actorIri, to: [PUBLIC], content: "<p>hi</p>" };
      const activity = { "@context": AS_CONTEXT, id: `${base}/activities/1`, type: "Create", actor: actorIri, to: [PUBLIC], object: note };
      const res = await deliver(running.app, running.config.origin, "/inbox", activity, { keyId: `${actorIri}#main-key`, privateKey });
      expect(res.status, base).toBe(401);
      // Also to a personal inbox, and with a key document embedded as if trusted: still nothing fetched.
      const res2 = await deliver(running.app, running.config.origin, "/users/alice/inbox", {
        ...activity, actor: { id: actorIri, type: "Person", publicKey: { id: `${actorIri}#main-key`, owner: actorIri, publicKeyPem: await exportSpki(publicKey) } },
      }, { keyId: `${actorIri}#main-key`, privateKey });
      expect(res2.status, base).toBeGreaterThanOrEqual(400);
      expect(res2.status, base).toBeLessThan(500);
    }
    expect(trap.connections).toBe(0);
    expect(await database.db.selectFrom("queue_messages").select("id").execute()).toEqual(before);
    expect(await database.db.selectFrom("posts").select("id").execute()).toEqual([]);
  });

  test("a JSON-LD context on a private address is not fetched while parsing an inbox body: 400, not a 500", async () => {
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    // Fedify loads the contexts before it checks any signature, so this needs no valid key.
    for (const context of [...loopbackUrls("/context.jsonld"), "http://169.254.169.254/ctx", "file:///etc/passwd"]) {
      const activity = {
        "@context": ["https://www.w3.org/ns/activitystreams", context],
        id: "https://remote.invalid/a/1", type: "Follow", actor: "https://remote.invalid/users/x", object: alice.iri,
      };
      const res = await deliver(running.app, running.config.origin, "/inbox", activity, { keyId: "https://remote.invalid/users/x#main-key", privateKey });
      expect(res.status, context).toBe(400);
      expect(await res.json(), context).toEqual({ error: expect.any(String) });
    }
    expect(trap.connections).toBe(0);
  });
});

describe("redirects", () => {
  /**
   * A redirect needs a first hop the check allows; without a public address
   * on this machine, the test lets exactly one loopback server stand in for a
   * public one (the loader's `checkAddress` hook) and keeps the real check
   * for every other hop.
   */
  let publicStandIn: Listener;
  let target = "";

  beforeAll(async () => {
    publicStandIn = await listen((req, res) => {
      if (req.url === "/ok") {
        res.writeHead(200, { "content-type": "application/activity+json" }).end(JSON.stringify({ id: "x", type: "Note" }));
        return;
      }
      if (req.url === "/hop") {
        res.writeHead(302, { location: `http://127.0.0.1:${publicStandIn.port}/ok` }).end();
        return;
      }
      res.writeHead(302, { location: target }).end();
    });
  });
  afterAll(() => close(publicStandIn));

  const loader = () => createSafeDocumentLoader({
    allowPrivateAddress: false,
    checkAddress: async (url) => {
      if (url.hostname === "127.0.0.1" && url.port === String(publicStandIn.port)) return;
      await assertPublicUrl(url);
    },
    signer: undefined,
  });

  test("the stand-in itself, and a redirect between its own URLs, are fetched (the control)", async () => {
    const doc = await loader()(`http://127.0.0.1:${publicStandIn.port}/hop`);
    expect(doc.documentUrl).toBe(`http://127.0.0.1:${publicStandIn.port}/ok`);
  });

  test("a redirect from an allowed server to a private address is refused, and the private hop never contacted", async () => {
    const refused = [...loopbackUrls("/internal"), "http://169.254.169.254/latest/meta-data/", "http://[fc00::1]/x", "file:///etc/passwd"];
    for (const to of refused) {
      target = to;
      const before = publicStandIn.requests.length;
      const error = await loader()(`http://127.0.0.1:${publicStandIn.port}/redirect`).then(() => null, (e: unknown) => e);
      expect(error instanceof UrlError || error instanceof DocumentRejectedError, `${to}: ${String(error)}`).toBe(true);
      expect(publicStandIn.requests.length, to).toBe(before + 1);
    }
    expect(trap.connections).toBe(0);
  });
});
