import { createPublicKey } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { createUser } from "../src/domain/accounts.ts";
import { allowLargeBody } from "../src/http/body-limit.ts";
import { type RunningPlein, startPlein } from "../src/server.ts";
import { openTestDatabase } from "./support/db.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://" });
const AS_JSON = "application/activity+json";
const MIB = 1024 * 1024;

let running: RunningPlein;

beforeAll(async () => {
  running = await startPlein(config, { database: await openTestDatabase(), listen: false });
});

afterAll(async () => {
  await running?.close();
  await running?.database.close();
});

const request = (path: string, init?: RequestInit) => running.app.request(new URL(path, ORIGIN).href, init);

async function json(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get("content-type") ?? "").toMatch(/json/);
  return await res.json() as Record<string, unknown>;
}

function expectSecurityHeaders(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src");
  expect(csp).toContain("frame-ancestors 'none'");
}

/** Base58btc (multibase prefix "z") → bytes. */
function decodeBase58btc(text: string): Uint8Array {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  expect(text[0]).toBe("z");
  let n = 0n;
  for (const ch of text.slice(1)) {
    const digit = alphabet.indexOf(ch);
    expect(digit, `base58 digit ${ch}`).toBeGreaterThanOrEqual(0);
    n = n * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n % 256n));
    n /= 256n;
  }
  for (const ch of text.slice(1)) {
    if (ch !== "1") break;
    bytes.unshift(0);
  }
  return new Uint8Array(bytes);
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

describe("/healthz", () => {
  it("answers 200 JSON while the database is reachable", async () => {
    const res = await request("/healthz");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: "ok" });
    expectSecurityHeaders(res);
  });

  it("answers 503 JSON once the database is gone", async () => {
    const other = await startPlein(config, { database: await openTestDatabase(), listen: false, role: "web" });
    try {
      expect((await other.app.request(`${ORIGIN}/healthz`)).status).toBe(200);
      await other.database.close();
      const res = await other.app.request(`${ORIGIN}/healthz`);
      expect(res.status).toBe(503);
      const body = await json(res);
      expect(body.status).toBe("unavailable");
      expect(typeof body.error).toBe("string");
      expectSecurityHeaders(res);
    } finally {
      await other.close();
    }
  });
});

describe("NodeInfo", () => {
  it("links /.well-known/nodeinfo to a valid NodeInfo 2.1 document counting local users", async () => {
    const wellKnown = await request("/.well-known/nodeinfo");
    expect(wellKnown.status).toBe(200);
    const { links } = await json(wellKnown) as { links: Array<{ rel: string; href: string }> };
    const link = links.find((l) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1");
    expect(link?.href).toBe(`${ORIGIN}/nodeinfo/2.1`);

    const read = async () => {
      const res = await request(new URL(link!.href).pathname);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type") ?? "").toContain("http://nodeinfo.diaspora.software/ns/schema/2.1");
      return await res.json() as Record<string, unknown> & { usage: { users: { total: number } } };
    };

    const before = await read();
    expect(before.version).toBe("2.1");
    expect(before.software).toMatchObject({ name: "plein", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect((before.software as { name: string }).name).toMatch(/^[a-z0-9-]+$/);
    expect(before.protocols).toEqual(["activitypub"]);
    expect(before.services).toEqual({ inbound: expect.any(Array), outbound: expect.any(Array) });
    expect(typeof before.openRegistrations).toBe("boolean");
    expect(typeof before.metadata).toBe("object");
    expect(Number.isInteger(before.usage.users.total)).toBe(true);

    await createUser(running.database.db, config.origin, { username: "nodeinfo1", email: "n1@example.test", password: "password1" });
    await createUser(running.database.db, config.origin, { username: "nodeinfo2", email: "n2@example.test", password: "password2" });
    const after = await read();
    expect(after.usage.users.total).toBe(before.usage.users.total + 2);
  });
});

describe("WebFinger and actors", () => {
  beforeAll(async () => {
    await createUser(running.database.db, config.origin, {
      username: "alice", email: "alice@example.test", password: "correct horse",
    });
  });

  async function webfinger(resource: string): Promise<Response> {
    return request(`/.well-known/webfinger?resource=${encodeURIComponent(resource)}`);
  }

  function selfLink(body: Record<string, unknown>): string | undefined {
    const links = body.links as Array<{ rel: string; type?: string; href?: string }>;
    return links.find((l) => l.rel === "self" && l.type === AS_JSON)?.href;
  }

  it("finds the instance actor by acct:<hostname>@<host>", async () => {
    const res = await webfinger("acct:plein.test@plein.test");
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.subject).toBe("acct:plein.test@plein.test");
    expect(selfLink(body)).toBe(`${ORIGIN}/users/plein.test`);
  });

  it("finds a created user, case-insensitively", async () => {
    for (const resource of ["acct:alice@plein.test", "acct:Alice@plein.test"]) {
      const res = await webfinger(resource);
      expect(res.status, resource).toBe(200);
      expect(selfLink(await json(res))).toBe(`${ORIGIN}/users/alice`);
    }
  });

  it("does not find unknown users or other hosts", async () => {
    expect((await webfinger("acct:nobody@plein.test")).status).toBe(404);
    expect((await webfinger("acct:alice@elsewhere.test")).status).toBe(404);
  });

  it("serves the instance actor as an Application with an RSA publicKey and an Ed25519 Multikey", async () => {
    const res = await request("/users/plein.test", { headers: { accept: AS_JSON } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type") ?? "").toMatch(/application\/(activity|ld)\+json/);
    const actor = await res.json() as Record<string, unknown>;
    expect(actor.id).toBe(`${ORIGIN}/users/plein.test`);
    expect(actor.type).toBe("Application");
    expect(actor.preferredUsername).toBe("plein.test");
    expect(actor.inbox).toBe(`${ORIGIN}/users/plein.test/inbox`);
    expect((actor.endpoints as { sharedInbox?: string }).sharedInbox).toBe(`${ORIGIN}/inbox`);

    const publicKey = actor.publicKey as { id: string; owner: string; publicKeyPem: string };
    expect(publicKey.owner).toBe(actor.id);
    const rsa = createPublicKey(publicKey.publicKeyPem);
    expect(rsa.asymmetricKeyType).toBe("rsa");
    expect(rsa.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const methods = asArray(actor.assertionMethod) as Array<{ type: string; controller: string; publicKeyMultibase: string }>;
    expect(methods.length).toBeGreaterThanOrEqual(2);
    for (const m of methods) {
      expect(m.type).toBe("Multikey");
      expect(m.controller).toBe(actor.id);
    }
    // Multicodec prefixes: 0xed 0x01 = ed25519-pub, 0x85 0x24 = rsa-pub.
    const prefixes = methods.map((m) => [...decodeBase58btc(m.publicKeyMultibase).slice(0, 2)]);
    expect(prefixes).toContainEqual([0xed, 0x01]);
    expect(prefixes).toContainEqual([0x85, 0x24]);
    const ed25519 = methods[prefixes.findIndex((p) => p[0] === 0xed && p[1] === 0x01)]!;
    expect(decodeBase58btc(ed25519.publicKeyMultibase)).toHaveLength(34);
  });

  it("serves a user as a Person", async () => {
    const res = await request("/users/alice", { headers: { accept: AS_JSON } });
    expect(res.status).toBe(200);
    const actor = await res.json() as Record<string, unknown>;
    expect(actor.type).toBe("Person");
    expect(actor.id).toBe(`${ORIGIN}/users/alice`);
    expect(createPublicKey((actor.publicKey as { publicKeyPem: string }).publicKeyPem).asymmetricKeyType).toBe("rsa");
  });

  it("answers 404 for an unknown actor", async () => {
    const res = await request("/users/nobody", { headers: { accept: AS_JSON } });
    expect(res.status).toBe(404);
  });
});

describe("errors and security headers", () => {
  it("answers an unknown route with 404 JSON {error}", async () => {
    const res = await request("/no/such/route");
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(Object.keys(body)).toEqual(["error"]);
    expect(typeof body.error).toBe("string");
    expectSecurityHeaders(res);
  });

  it("answers an unknown POST route with 404 JSON too", async () => {
    const res = await request("/no/such/route", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(404);
    expect(typeof (await json(res)).error).toBe("string");
  });

  it("sets security headers on ActivityPub JSON and WebFinger", async () => {
    expectSecurityHeaders(await request("/users/alice", { headers: { accept: AS_JSON } }));
    expectSecurityHeaders(await request("/.well-known/webfinger?resource=acct:alice@plein.test"));
    expectSecurityHeaders(await request("/.well-known/nodeinfo"));
  });
});

describe("request bodies over 1 MiB", () => {
  const big = (size: number) => new Uint8Array(size).fill(0x7b); // "{{{{": would be a parse error if parsed

  /** A body that is streamed without Content-Length; counts how much of it the server pulled. */
  function streamed(total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
    let sent = 0;
    const chunk = 64 * 1024;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const n = Math.min(chunk, total - sent);
        sent += n;
        controller.enqueue(big(n));
      },
    }, { highWaterMark: 0 });
    return { body, pulled: () => sent };
  }

  const paths = ["/inbox", "/users/alice/inbox", "/no/such/route", "/healthz"];

  it.each(paths)("POST %s with Content-Length over 1 MiB → 413 JSON", async (path) => {
    const size = MIB + 1;
    const res = await request(path, {
      method: "POST",
      body: big(size),
      headers: { "content-type": AS_JSON, "content-length": String(size) },
    });
    expect(res.status).toBe(413);
    expect(typeof (await json(res)).error).toBe("string");
    expectSecurityHeaders(res);
  });

  it.each(paths)("POST %s streamed without Content-Length → 413 JSON, without reading it all", async (path) => {
    const { body, pulled } = streamed(64 * MIB);
    const init: RequestInit & { duplex: "half" } = {
      method: "POST",
      body,
      duplex: "half",
      headers: { "content-type": AS_JSON, "transfer-encoding": "chunked" },
    };
    const res = await request(path, init);
    expect(res.status).toBe(413);
    expect(typeof (await json(res)).error).toBe("string");
    expect(pulled()).toBeGreaterThan(MIB);
    expect(pulled()).toBeLessThan(4 * MIB);
  });

  it("POST /inbox streamed without any length header → 413 JSON", async () => {
    const { body } = streamed(2 * MIB);
    const init: RequestInit & { duplex: "half" } = { method: "POST", body, duplex: "half", headers: { "content-type": AS_JSON } };
    const req = new Request(`${ORIGIN}/inbox`, init);
    expect(req.headers.has("content-length")).toBe(false);
    const res = await running.app.request(req);
    expect(res.status).toBe(413);
    expect(typeof (await json(res)).error).toBe("string");
  });

  it("a route registered for larger bodies (uploads) takes them, and only that route", async () => {
    allowLargeBody({ method: "POST", path: "/test-uploads/:id/files", maxBytes: () => 3 * MIB });
    const post = (path: string, size: number, method = "POST") => request(path, {
      method, body: big(size), headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    });
    // No handler behind it: past the limit, the request reaches the 404.
    expect((await post("/test-uploads/1/files", 2 * MIB)).status).toBe(404);
    const over = await post("/test-uploads/1/files", 3 * MIB + 1);
    expect(over.status).toBe(413);
    expect((await json(over)).error).toBe("Request body is larger than 3 MiB");
    for (const other of ["/test-uploads/1/files/x", "/test-uploads/files", "/x/test-uploads/1/files", "/test-uploads/1/files2"]) {
      expect((await post(other, 2 * MIB)).status, other).toBe(413);
    }
    expect((await post("/test-uploads/1/files", 2 * MIB, "PUT")).status).toBe(413);
  });

  it("a route's path may keep a literal before a parameter (a group's page: /@:handle/...)", async () => {
    allowLargeBody({ method: "POST", path: "/@:handle/test-files", maxBytes: () => 3 * MIB });
    const post = (path: string) => request(path, {
      method: "POST", body: big(2 * MIB), headers: { "content-type": "application/octet-stream", "content-length": String(2 * MIB) },
    });
    expect((await post("/@group/test-files")).status).toBe(404);
    for (const other of ["/group/test-files", "/@/test-files", "/x@group/test-files"]) {
      expect((await post(other)).status, other).toBe(413);
    }
  });

  it("a body of exactly 1 MiB is not refused for its size", async () => {
    const res = await request("/inbox", {
      method: "POST",
      body: big(MIB),
      headers: { "content-type": AS_JSON, "content-length": String(MIB) },
    });
    expect(res.status).not.toBe(413);
    expect(res.status).toBeGreaterThanOrEqual(400); // unsigned garbage is still refused, for another reason
  });
});

describe("Strict-Transport-Security", () => {
  function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
  }

  /** Plein listening on plain HTTP (as behind a TLS-terminating proxy), fetched over HTTP. */
  async function hstsOver(origin: (port: number) => string): Promise<Array<string | null>> {
    const port = await freePort();
    const env = { PLEIN_ORIGIN: origin(port), PLEIN_DATA_DIR: "memory://", HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "error" };
    const plein = await startPlein(loadConfig(env), { database: await openTestDatabase(), role: "web" });
    try {
      const answers = [];
      for (const path of ["/healthz", "/api/v1/instance", "/no/such/route"]) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        await res.body?.cancel();
        expect(res.status, path).toBeLessThan(500);
        answers.push(res.headers.get("strict-transport-security"));
      }
      return answers;
    } finally {
      await plein.close();
      await plein.database.close();
    }
  }

  it("is sent over a plain HTTP listener when PLEIN_ORIGIN is https", async () => {
    expect(await hstsOver(() => "https://plein.test")).toEqual(Array(3).fill("max-age=31536000"));
  });

  it("is not sent when PLEIN_ORIGIN is http", async () => {
    expect(await hstsOver((port) => `http://127.0.0.1:${port}`)).toEqual([null, null, null]);
  });
});
