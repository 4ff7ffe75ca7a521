/**
 * A hand-written "remote server" for inbox tests: a real HTTP server on
 * 127.0.0.1 (a random port, so each one is its own origin) that serves
 * whatever documents a test puts on it — honest actors, and hostile ones
 * (wrong media type, redirects, documents claiming other ids) — plus helpers
 * to sign and deliver activities to a Plein instance the way a remote server
 * would. Plein fetches the actor and key documents from here over real HTTP
 * (the instance runs with PLEIN_ALLOW_PRIVATE_ADDRESS=true).
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { exportSpki, generateCryptoKeyPair, signJsonLd, signRequest, type SignRequestOptions } from "@fedify/fedify";
import type { Hono } from "hono";
import type { AppEnv } from "../../src/context.ts";

export interface Served {
  status?: number;
  contentType?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeActor {
  name: string;
  iri: string;
  keyId: string;
  inbox: string;
  followers: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicKeyPem: string;
  /** The served actor document; change it and `publish()` again. */
  document: Record<string, unknown>;
  publish(): void;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Answers a request itself (streaming, stalling, counting what it sends). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FakeRemote {
  origin: string;
  url(path: string): string;
  serve(path: string, served: Served | ((req: IncomingMessage) => Served)): void;
  /** Serves `path` with a handler that writes the response itself. */
  serveRaw(path: string, handler: RawHandler): void;
  unserve(path: string): void;
  actor(name: string, options?: { type?: string; document?: Record<string, unknown>; contentType?: string }): Promise<FakeActor>;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** The context Mastodon sends (trimmed): without the `Hashtag` term a JSON-LD parser drops hashtags. */
export const AS_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  { Hashtag: "as:Hashtag", sensitive: "as:sensitive" },
];
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

const TLS_DIR = join(import.meta.dirname, "..", "tls");

/** Makes this process trust the throw-away test CA (test/tls) for HTTPS fake remotes. */
function trustTestCa(): void {
  const ca = readFileSync(join(TLS_DIR, "ca.pem"), "utf8").trim();
  const normalise = (pem: string) => pem.replace(/\s+/g, "");
  const trusted = getCACertificates("default");
  if (!trusted.some((pem) => normalise(pem) === normalise(ca))) setDefaultCACertificates([...trusted, ca]);
}

/**
 * `https: true` serves HTTPS with the test certificate (WebFinger needs https);
 * `host` is the loopback address to listen on (default 127.0.0.1), `port` its
 * port (default: any free one).
 */
export async function startFakeRemote(options: { https?: boolean; host?: string; port?: number } = {}): Promise<FakeRemote> {
  const routes = new Map<string, Served | ((req: IncomingMessage) => Served)>();
  const rawRoutes = new Map<string, RawHandler>();
  const received: ReceivedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      received.push({ method: req.method ?? "GET", path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const raw = rawRoutes.get(path);
      if (raw) return raw(req, res);
      const route = routes.get(path);
      if (!route) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const served = typeof route === "function" ? route(req) : route;
      const body = served.body === undefined ? "" : typeof served.body === "string" ? served.body : JSON.stringify(served.body);
      res.writeHead(served.status ?? 200, {
        "content-type": served.contentType ?? "application/activity+json",
        ...served.headers,
      }).end(body);
    });
  };
  if (options.https) trustTestCa();
  const server: Server = options.https
    ? createHttpsServer({ cert: readFileSync(join(TLS_DIR, "server.pem")), key: readFileSync(join(TLS_DIR, "server.key")) }, handler)
    : createServer(handler);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = new URL(`${options.https ? "https" : "http"}://${host}:${port}`).origin;
  const url = (path: string) => new URL(path, origin).href;

  const remote: FakeRemote = {
    origin,
    url,
    serve: (path, served) => void routes.set(path, served),
    serveRaw: (path, handler) => void rawRoutes.set(path, handler),
    unserve: (path) => {
      routes.delete(path);
      rawRoutes.delete(path);
    },
    received,
    async actor(name, options = {}) {
      const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      const publicKeyPem = await exportSpki(publicKey);
      const iri = url(`/users/${name}`);
      const actor: FakeActor = {
        name,
        iri,
        keyId: `${iri}#main-key`,
        inbox: `${iri}/inbox`,
        followers: `${iri}/followers`,
        privateKey,
        publicKey,
        publicKeyPem,
        document: {
          "@context": AS_CONTEXT,
          id: iri,
          type: options.type ?? "Person",
          preferredUsername: name,
          name: `${name} (remote)`,
          summary: "<p>Hello <script>alert(1)</script>world</p>",
          inbox: `${iri}/inbox`,
          outbox: `${iri}/outbox`,
          followers: `${iri}/followers`,
          following: `${iri}/following`,
          endpoints: { sharedInbox: url("/inbox") },
          publicKey: { id: `${iri}#main-key`, owner: iri, publicKeyPem },
          ...options.document,
        },
        publish() {
          routes.set(new URL(iri).pathname, { body: actor.document, contentType: options.contentType });
        },
      };
      actor.publish();
      routes.set(new URL(actor.inbox).pathname, { status: 202, body: "" });
      routes.set("/inbox", { status: 202, body: "" });
      return actor;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  return remote;
}

export interface DeliverOptions {
  /** Sign with this actor's key instead of the activity's actor. */
  signer?: { keyId: string; privateKey: CryptoKey };
  spec?: "draft-cavage-http-signatures-12" | "rfc9421";
  /** More options for Fedify's signRequest. */
  signOptions?: SignRequestOptions;
  /** Extra or replacement headers set before signing. */
  headers?: Record<string, string>;
  /** Change the signed request before sending it (tamper with headers or body). */
  tamper?: (request: Request) => Request | Promise<Request>;
  /** Do not sign at all. */
  unsigned?: boolean;
  /** Raw body instead of the JSON of the activity. */
  rawBody?: string;
}

/** POSTs an activity to a Plein inbox, signed by `actor` (HTTP Signatures). */
export async function deliver(
  app: Hono<AppEnv>,
  origin: URL,
  inboxPath: string,
  activity: unknown,
  actor: { keyId: string; privateKey: CryptoKey } | null,
  options: DeliverOptions = {},
): Promise<Response> {
  return app.request(await inboxRequest(new URL(inboxPath, origin), activity, actor, options));
}

/** POSTs an activity to the inbox at `inboxUrl` over the network (a running instance), signed like `deliver`. */
export async function deliverOverNetwork(
  inboxUrl: string | URL,
  activity: unknown,
  actor: { keyId: string; privateKey: CryptoKey } | null,
  options: DeliverOptions = {},
): Promise<Response> {
  return fetch(await inboxRequest(new URL(inboxUrl), activity, actor, options), { redirect: "manual" });
}

async function inboxRequest(
  url: URL,
  activity: unknown,
  actor: { keyId: string; privateKey: CryptoKey } | null,
  options: DeliverOptions,
): Promise<Request> {
  const body = options.rawBody ?? JSON.stringify(activity);
  let request = new Request(url, {
    method: "POST",
    headers: { "content-type": "application/activity+json", ...options.headers },
    body,
  });
  const signer = options.signer ?? actor;
  if (!options.unsigned && signer) {
    request = await signRequest(request, signer.privateKey, new URL(signer.keyId), { spec: options.spec, ...options.signOptions });
  }
  if (options.tamper) request = await options.tamper(request);
  return request;
}

/** Adds a Linked Data Signature (RsaSignature2017) by `actor` to an activity. */
export async function ldSign(activity: Record<string, unknown>, actor: FakeActor): Promise<Record<string, unknown>> {
  return await signJsonLd(activity, actor.privateKey, new URL(actor.keyId), {}) as Record<string, unknown>;
}

let counter = 0;
/** A fresh id on the actor's origin. */
export function newId(actor: { iri: string }, kind = "activities"): string {
  return new URL(`/${kind}/${Date.now().toString(36)}-${++counter}`, actor.iri).href;
}

/** A public Note by `by`, as a Mastodon-like server would send it; `fields` override. */
export function publicNote(by: FakeActor, fields: Record<string, unknown> = {}, content = "<p>Hello</p>"): Record<string, unknown> {
  return {
    id: newId(by, "notes"),
    type: "Note",
    attributedTo: by.iri,
    to: [PUBLIC],
    cc: [by.followers],
    content,
    published: "2024-01-01T00:00:00Z",
    ...fields,
  };
}
