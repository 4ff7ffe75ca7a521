/**
 * Fetching remote files for members (federation/media-fetch.ts): the SSRF
 * rules of every other fetch (SECURITY.md), a size cap on the streamed body,
 * and a signature only for the server whose content it is. Real listeners on
 * loopback; a refused address is proven never contacted by counting TCP
 * connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generateCryptoKeyPair } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertPublicUrl } from "../../federation/loader.ts";
import { createMediaFetcher } from "../../federation/media-fetch.ts";
import { RemoteMediaError } from "../../src/domain/resolver.ts";

interface Listener {
  port: number;
  origin: string;
  connections: number;
  requests: Array<{ url: string; signed: boolean }>;
  server: Server;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, self: Listener) => void): Promise<Listener> {
  const self: Listener = { port: 0, origin: "", connections: 0, requests: [], server: undefined as unknown as Server };
  const server = createServer((req, res) => {
    self.requests.push({ url: req.url ?? "", signed: typeof req.headers.signature === "string" });
    handler(req, res, self);
  });
  server.on("connection", () => {
    self.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self.port = (server.address() as AddressInfo).port;
  self.origin = `http://127.0.0.1:${self.port}`;
  self.server = server;
  return self;
}

function close(listener: Listener | undefined): Promise<void> {
  if (!listener) return Promise.resolve();
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    listener.server.closeAllConnections();
  });
}

const FILE = "Notulen van het overleg\n".repeat(100);

let files: Listener;
let other: Listener;
let redirectTarget = "";

beforeAll(async () => {
  other = await listen((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end("from another server");
  });
  files = await listen((req, res, self) => {
    switch (req.url) {
      case "/file.txt":
        res.writeHead(200, { "content-type": "text/html", "content-length": String(Buffer.byteLength(FILE)) }).end(FILE);
        return;
      case "/big-declared":
        res.writeHead(200, { "content-type": "application/pdf", "content-length": "5000" });
        res.end("x".repeat(5000));
        return;
      case "/big-chunked":
        res.writeHead(200, { "content-type": "application/pdf" });
        for (let i = 0; i < 50; i++) res.write("y".repeat(100));
        res.end();
        return;
      case "/gone":
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Record not found"}');
        return;
      case "/loop":
        res.writeHead(302, { location: "/loop2" }).end();
        return;
      case "/loop2":
        res.writeHead(302, { location: "/loop" }).end();
        return;
      case "/to-other":
        res.writeHead(302, { location: `${other.origin}/elsewhere` }).end();
        return;
      case "/redirect":
        res.writeHead(302, { location: redirectTarget }).end();
        return;
      default: {
        const m = /^\/chain\/(\d+)$/.exec(req.url ?? "");
        if (m) {
          res.writeHead(302, { location: `${self.origin}/chain/${Number(m[1]) + 1}` }).end();
          return;
        }
        res.writeHead(404).end();
      }
    }
  });
});

afterAll(async () => {
  await close(files);
  await close(other);
});

let signingKey: Promise<CryptoKeyPair> | undefined;
const loopbackFetcher = async () => {
  signingKey ??= generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const { privateKey } = await signingKey;
  return createMediaFetcher({ allowPrivateAddress: true, signer: { keyId: new URL("https://plein.test/users/plein.test#main-key"), privateKey } });
};

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => null, (e: unknown) => e);
}

describe("with private addresses allowed (tests, local setups)", () => {
  test("streams the bytes and tells the declared type and size", async () => {
    const fetch = await loopbackFetcher();
    const media = await fetch(`${files.origin}/file.txt`, { maxBytes: 1_000_000 });
    expect(media.contentType).toBe("text/html");
    expect(media.size).toBe(Buffer.byteLength(FILE));
    expect(await new Response(media.body).text()).toBe(FILE);
  });

  test("a declared size over the cap is refused before the body is read", async () => {
    const fetch = await loopbackFetcher();
    const error = await failure(fetch(`${files.origin}/big-declared`, { maxBytes: 4999 }));
    expect(error).toBeInstanceOf(RemoteMediaError);
  });

  test("an undeclared size over the cap fails the stream", async () => {
    const fetch = await loopbackFetcher();
    const media = await fetch(`${files.origin}/big-chunked`, { maxBytes: 4999 });
    expect(media.size).toBeNull();
    expect(await failure(new Response(media.body).text())).toBeInstanceOf(RemoteMediaError);
    const whole = await fetch(`${files.origin}/big-chunked`, { maxBytes: 5000 });
    expect(await new Response(whole.body).text()).toHaveLength(5000);
  });

  test("an error status, a redirect loop and too many redirects are refused", async () => {
    const fetch = await loopbackFetcher();
    for (const path of ["/gone", "/loop", "/chain/0"]) {
      expect(await failure(fetch(`${files.origin}${path}`, { maxBytes: 1000 })), path).toBeInstanceOf(RemoteMediaError);
    }
    expect(files.requests.filter((r) => r.url.startsWith("/chain/")).length).toBe(6);
  });

  test("signs requests to the content's own server only, not to a server it redirects to", async () => {
    const fetch = await loopbackFetcher();
    files.requests.length = 0;
    other.requests.length = 0;
    await (await fetch(`${files.origin}/file.txt`, { maxBytes: 1_000_000, signedOrigin: files.origin })).body.cancel();
    expect(files.requests).toEqual([{ url: "/file.txt", signed: true }]);
    const media = await fetch(`${files.origin}/to-other`, { maxBytes: 1_000_000, signedOrigin: files.origin });
    expect(await new Response(media.body).text()).toBe("from another server");
    expect(files.requests.at(-1)).toEqual({ url: "/to-other", signed: true });
    expect(other.requests).toEqual([{ url: "/elsewhere", signed: false }]);
    await (await fetch(`${files.origin}/file.txt`, { maxBytes: 1_000_000 })).body.cancel();
    expect(files.requests.at(-1)).toEqual({ url: "/file.txt", signed: false });
  });

  test("schemes other than http(s) and credentials in the URL are refused", async () => {
    const fetch = await loopbackFetcher();
    for (const url of ["file:///etc/passwd", "data:text/plain,hi", "ftp://127.0.0.1/x", `http://user:pw@127.0.0.1:${files.port}/file.txt`, "not a url"]) {
      expect(await failure(fetch(url, { maxBytes: 1000 })), url).toBeInstanceOf(RemoteMediaError);
    }
  });
});

describe("with private addresses refused (the production default)", () => {
  test("loopback and private addresses are refused before any connection", async () => {
    const fetch = createMediaFetcher({ allowPrivateAddress: false });
    const before = files.connections;
    const urls = [
      `http://127.0.0.1:${files.port}/file.txt`, `http://localhost:${files.port}/file.txt`, `http://[::ffff:127.0.0.1]:${files.port}/file.txt`,
      `http://2130706433:${files.port}/file.txt`, "http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/", "http://[fc00::1]/x",
      "http://192.168.1.1/x", "http://[::1]/x",
    ];
    for (const url of urls) {
      expect(await failure(fetch(url, { maxBytes: 1000 })), url).toBeInstanceOf(RemoteMediaError);
    }
    expect(files.connections).toBe(before);
  });

  test("a redirect from an allowed server to a private address is refused, the private hop never contacted", async () => {
    // One loopback server stands in for a public one; every other hop keeps the real check.
    const fetch = createMediaFetcher({
      allowPrivateAddress: false,
      checkAddress: async (url) => {
        if (url.origin === files.origin) return;
        await assertPublicUrl(url);
      },
    });
    const before = other.connections;
    for (const to of [`${other.origin}/elsewhere`, "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"]) {
      redirectTarget = to;
      expect(await failure(fetch(`${files.origin}/redirect`, { maxBytes: 1000 })), to).toBeInstanceOf(RemoteMediaError);
    }
    expect(other.connections).toBe(before);
  });
});
