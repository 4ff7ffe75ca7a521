/**
 * DNS rebinding: a host name is resolved once, as the connection is made, its
 * addresses are checked, and the socket connects to exactly those. DNS is
 * not available offline, so the resolution is a stub (the `resolve` of the
 * pinned agent) and the servers are real listeners on loopback.
 */
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { UrlError } from "@fedify/fedify";
import { getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSafeDocumentLoader } from "../../federation/loader.ts";
import { createMediaFetcher } from "../../federation/media-fetch.ts";
import {
  checkedLookup, createPinnedAgent, installPinnedDispatcher, isPublicAddress, PrivateAddressError, type Resolve,
} from "../../federation/pinned-dispatcher.ts";
import { RemoteMediaError } from "../../src/domain/resolver.ts";

interface Listener {
  server: Server;
  port: number;
  connections: number;
  requests: string[];
}

async function listen(host: string, port = 0): Promise<Listener> {
  const listener: Listener = { server: undefined as unknown as Server, port: 0, connections: 0, requests: [] };
  const server = createServer((req, res) => {
    listener.requests.push(`${req.headers.host} ${req.url}`);
    res.writeHead(200, { "content-type": "application/activity+json" }).end(JSON.stringify({ id: `http://${req.headers.host}${req.url}`, type: "Note", served: host }));
  });
  server.on("connection", () => listener.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  listener.server = server;
  listener.port = (server.address() as AddressInfo).port;
  return listener;
}

function close(listener: Listener | undefined): Promise<void> {
  if (!listener) return Promise.resolve();
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    listener.server.closeAllConnections();
  });
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** Calls the lookup as net.connect does, with or without `all`. */
function lookupWith(resolve: Resolve, allowPrivateAddress: boolean, all: boolean): Promise<{ error: Error | null; addresses: LookupAddress[] }> {
  const lookup = checkedLookup({ allowPrivateAddress, resolve });
  return new Promise((done) => {
    lookup("peer.test", { all }, (error, address, family) => {
      if (error) return done({ error, addresses: [] });
      done({ error: null, addresses: typeof address === "string" ? [{ address, family: family ?? 4 }] : address });
    });
  });
}

describe("the lookup", () => {
  const privateAnswers: LookupAddress[][] = [
    [v4("127.0.0.1")], [v4("10.1.2.3")], [v4("172.16.0.1")], [v4("192.168.1.1")], [v4("169.254.169.254")], [v4("0.0.0.0")],
    [v6("::1")], [v6("::ffff:127.0.0.1")], [v6("::ffff:7f00:1")], [v6("fc00::1")], [v6("fe80::1")], [v6("64:ff9b::7f00:1")],
    [v6("2002:7f00:1::")], [v6("2001:db8::1")], [v6("fec0::1")],
    // A public answer next to a private one: neither is trusted.
    [v4("93.184.215.14"), v4("127.0.0.1")], [v6("2606:4700:4700::1111"), v6("::1")],
  ];

  test("a name resolving to a private or special address is refused when private addresses are not allowed", async () => {
    for (const answer of privateAnswers) {
      for (const all of [true, false]) {
        const { error } = await lookupWith(async () => answer, false, all);
        expect(error, JSON.stringify(answer)).toBeInstanceOf(PrivateAddressError);
        expect(error, JSON.stringify(answer)).toBeInstanceOf(UrlError);
      }
    }
  });

  test("public answers are handed to the connection as resolved; private ones too when allowed", async () => {
    const publicAnswer = [v4("93.184.215.14"), v6("2606:4700:4700::1111")];
    expect(await lookupWith(async () => publicAnswer, false, true)).toEqual({ error: null, addresses: publicAnswer });
    expect(await lookupWith(async () => publicAnswer, false, false)).toEqual({ error: null, addresses: [publicAnswer[0]] });
    for (const answer of privateAnswers) {
      expect(await lookupWith(async () => answer, true, true)).toEqual({ error: null, addresses: answer });
    }
  });

  test("a resolution failure or an empty answer is an error, not an address", async () => {
    const failure = Object.assign(new Error("getaddrinfo ENOTFOUND peer.test"), { code: "ENOTFOUND" });
    expect((await lookupWith(async () => { throw failure; }, false, true)).error).toBe(failure);
    expect((await lookupWith(async () => [], false, true)).error).toMatchObject({ code: "ENOTFOUND" });
  });

  test("isPublicAddress: only address literals of public ranges", () => {
    expect(isPublicAddress("93.184.215.14")).toBe(true);
    expect(isPublicAddress("2606:4700:4700::1111")).toBe(true);
    for (const address of ["127.0.0.1", "10.0.0.1", "::1", "::ffff:127.0.0.1", "example.com", ""]) expect(isPublicAddress(address), address).toBe(false);
  });
});

describe("connections", () => {
  test("over TLS, one shared context still checks each server's certificate against the trusted CAs", async () => {
    const servers = await Promise.all(["server", "untrusted"].map(async (name) => {
      const server = createHttpsServer({
        cert: readFileSync(`test/tls/${name}.pem`), key: readFileSync(`test/tls/${name}.key`),
      }, (_req, res) => res.writeHead(200).end(name));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    }));
    const agent = createPinnedAgent({ allowPrivateAddress: true });
    try {
      // Two connections through the agent: the trusted server answers both times...
      for (let i = 0; i < 2; i++) {
        const response = await fetch(servers[0]!.url, { dispatcher: agent, headers: { connection: "close" } } as RequestInit);
        expect(await response.text()).toBe("server");
      }
      // ...and a certificate no trusted CA signed is refused, as without a shared context.
      const refused = await fetch(servers[1]!.url, { dispatcher: agent } as RequestInit).then(() => null, (error: unknown) => error);
      expect(refused).toBeInstanceOf(TypeError);
      expect(String((refused as { cause?: unknown }).cause)).toMatch(/self.signed|unable to verify|certificate/i);
    } finally {
      await agent.close();
      for (const { server } of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  let pinned: Listener;
  let rebound: Listener;

  beforeAll(async () => {
    pinned = await listen("127.0.0.1");
    // The address a rebinding name answers the second time, on the same port.
    rebound = await listen("127.0.0.2", pinned.port);
  });
  afterAll(async () => {
    await close(pinned);
    await close(rebound);
  });

  /** Answers `answers[i]` to the i-th resolution (the last one from then on), and counts them. */
  function rebinding(...answers: string[]): Resolve & { calls: number } {
    const resolve = Object.assign(async (_hostname: string) => {
      const answer = answers[Math.min(resolve.calls, answers.length - 1)]!;
      resolve.calls++;
      return [v4(answer)];
    }, { calls: 0 });
    return resolve;
  }

  test("one resolution per connection, and the connection goes to the address it answered", async () => {
    const resolve = rebinding("127.0.0.1", "127.0.0.2");
    const agent = createPinnedAgent({ allowPrivateAddress: true, resolve });
    try {
      const before = { pinned: pinned.requests.length, rebound: rebound.connections };
      const res = await fetch(`http://peer.test:${pinned.port}/notes/1`, { dispatcher: agent } as RequestInit);
      expect(await res.json()).toMatchObject({ served: "127.0.0.1" });
      expect(resolve.calls).toBe(1);
      expect(pinned.requests.slice(before.pinned)).toEqual([`peer.test:${pinned.port} /notes/1`]);
      expect(rebound.connections).toBe(before.rebound);
    } finally {
      await agent.close();
    }
  });

  test("a name resolving to a private address: the fetch fails with the policy error, nothing reaches the listener", async () => {
    const agent = createPinnedAgent({ allowPrivateAddress: false, resolve: rebinding("127.0.0.1") });
    try {
      const before = pinned.connections;
      const error = await fetch(`http://peer.test:${pinned.port}/notes/1`, { dispatcher: agent } as RequestInit).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).cause).toBeInstanceOf(PrivateAddressError);
      // Address literals are not looked up by net.connect: the agent checks them itself.
      for (const literal of ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "2130706433"]) {
        const refused = await fetch(`http://${literal}:${pinned.port}/x`, { dispatcher: agent } as RequestInit).then(() => null, (e: unknown) => e);
        expect((refused as TypeError | null)?.cause, literal).toBeInstanceOf(PrivateAddressError);
      }
      expect(pinned.connections).toBe(before);
    } finally {
      await agent.close();
    }
  });

  test("the global fetch (Fedify's own requests) goes through the pinned agent once installed", async () => {
    const previous = getGlobalDispatcher();
    const before = pinned.connections;
    try {
      installPinnedDispatcher(false);
      const error = await fetch(`http://127.0.0.1:${pinned.port}/inbox`, { method: "POST", body: "{}" }).then(() => null, (e: unknown) => e);
      expect((error as TypeError | null)?.cause).toBeInstanceOf(PrivateAddressError);
      installPinnedDispatcher(true);
      expect((await fetch(`http://127.0.0.1:${pinned.port}/ok`)).status).toBe(200);
    } finally {
      setGlobalDispatcher(previous);
    }
    expect(pinned.connections).toBe(before + 1);
  });

  test("the document loader and the media fetcher refuse a private address with the policy error, connecting nowhere", async () => {
    const before = pinned.connections;
    const loader = createSafeDocumentLoader({ allowPrivateAddress: false });
    const media = createMediaFetcher({ allowPrivateAddress: false });
    // localhost is refused by name; a name of this machine that resolves to loopback, when it has one, as it connects.
    const names = ["localhost"];
    for (const name of [hostname(), "vm", "runsc"]) {
      const addresses = await lookup(name, { all: true }).catch(() => []);
      if (addresses.length > 0 && addresses.every((a) => a.address.startsWith("127.") || a.address === "::1")) names.push(name);
    }
    for (const url of [`http://127.0.0.1:${pinned.port}/x`, ...names.map((name) => `http://${name}:${pinned.port}/x`)]) {
      const error = await loader(url).then(() => null, (e: unknown) => e);
      expect(error, url).toBeInstanceOf(UrlError);
      expect(await media(url, { maxBytes: 100 }).then(() => null, (e: unknown) => e), url).toBeInstanceOf(RemoteMediaError);
    }
    expect(pinned.connections).toBe(before);
  });
});
