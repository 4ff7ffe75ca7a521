/**
 * A minimal remote ActivityPub server for single-instance tests: a real HTTP
 * server on 127.0.0.1 (the instance under test needs
 * PLEIN_ALLOW_PRIVATE_ADDRESS=true to reach it) that serves actor documents
 * with real RSA keys, records what is POSTed to inboxes, and answers chosen
 * inboxes with a chosen status. Its actors sign requests with `signRequest`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "@fedify/fedify";
import { Application, CryptographicKey, Endpoints, Person } from "@fedify/vocab";
import type { Db } from "../../src/db/database.ts";
import type { Actor } from "../../src/db/schema.ts";
import { upsertRemoteActor } from "../../src/domain/remote-actors.ts";

export interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface FakeActor {
  username: string;
  type: "Person" | "Application";
  iri: string;
  inbox: string;
  keyId: string;
  keys: CryptoKeyPair;
}

export class FakeRemote {
  readonly deliveries: Delivery[] = [];
  /** Status to answer POSTs to a path with (default 202). */
  readonly inboxStatus = new Map<string, number>();
  /** Like servers that know only the older draft: a POST signed per RFC 9421 (Signature-Input) gets 401. */
  refuseRfc9421 = false;
  readonly actors = new Map<string, FakeActor>();
  #server: Server | undefined;
  #origin = "";

  get origin(): string {
    return this.#origin;
  }

  get host(): string {
    return new URL(this.#origin).host;
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(({ status, type, body }) => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      }, () => {
        res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.#origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server?.close(() => resolve());
      this.#server?.closeAllConnections();
    });
  }

  async addActor(username: string, type: "Person" | "Application" = "Person"): Promise<FakeActor> {
    const keys = await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    ) as CryptoKeyPair;
    const iri = `${this.#origin}/users/${username}`;
    const actor: FakeActor = { username, type, iri, inbox: `${iri}/inbox`, keyId: `${iri}#main-key`, keys };
    this.actors.set(username, actor);
    return actor;
  }

  /** Stores the actor in the instance's database, as federation/remote.ts would after a fetch. */
  store(db: Db, localHost: string, actor: FakeActor, options: { sharedInbox?: string | null } = {}): Promise<Actor> {
    return upsertRemoteActor(db, localHost, {
      iri: actor.iri, type: actor.type, username: actor.username, displayName: actor.username, summaryHtml: "",
      url: null, avatarUrl: null, headerUrl: null, inbox: actor.inbox, sharedInbox: options.sharedInbox ?? null,
      outbox: null, followers: null, following: null, featured: null, manuallyApprovesFollowers: false, bot: false,
      fields: [], followersCount: null, followingCount: null, postsCount: null,
    });
  }

  /** A request signed with the actor's key (draft-cavage HTTP Signatures). */
  async signed(actor: FakeActor, url: string, init: RequestInit = {}): Promise<Request> {
    return signRequest(new Request(url, init), actor.keys.privateKey, new URL(actor.keyId));
  }

  /** Waits until `predicate` holds for some delivery; fails after `timeoutMs`. */
  async waitFor(predicate: (d: Delivery) => boolean, timeoutMs = 20_000): Promise<Delivery> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.find(predicate);
      if (found) return found;
      if (Date.now() > until) throw new Error(`No matching delivery; got ${JSON.stringify(this.deliveries.map((d) => [d.path, d.body.type]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; type: string; body: string }> {
    const path = new URL(req.url ?? "/", this.#origin).pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === "POST") {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        // recorded as {}
      }
      this.deliveries.push({ path, headers, body });
      if (this.refuseRfc9421 && headers["signature-input"] !== undefined) return { status: 401, type: "text/plain", body: "" };
      return { status: this.inboxStatus.get(path) ?? 202, type: "text/plain", body: "" };
    }
    const name = /^\/users\/([^/]+)$/.exec(path)?.[1];
    const actor = name ? this.actors.get(name) : undefined;
    if (!actor) return { status: 404, type: "text/plain", body: "not found" };
    const publicKey = new CryptographicKey({
      id: new URL(actor.keyId),
      owner: new URL(actor.iri),
      publicKey: actor.keys.publicKey,
    });
    const values = {
      id: new URL(actor.iri),
      preferredUsername: actor.username,
      inbox: new URL(actor.inbox),
      endpoints: new Endpoints({ sharedInbox: null }),
      publicKey,
    };
    const doc = actor.type === "Application" ? new Application(values) : new Person(values);
    return { status: 200, type: "application/activity+json", body: JSON.stringify(await doc.toJsonLd()) };
  }
}

