/**
 * A test server that behaves like a Lemmy instance towards its followers,
 * written from Lemmy's federation documentation
 * (join-lemmy.org/docs/contributors/05-federation.html and the example
 * activities it includes) and FEP-1b12:
 * - a community is a `Group` actor with its own key, found by WebFinger;
 *   users are `Person` actors; followers, outbox and moderators collections
 *   publish counts (Lemmy never lists its followers);
 * - its inboxes take only deliveries with a valid draft-cavage HTTP Signature
 *   (401 otherwise); a `Follow` of a community is accepted at once with an
 *   `Accept` signed by the community, an `Undo` of it ends the follow;
 * - a new post is sent to every follower inbox as the community's
 *   `Announce(Create(Page))` with the Page embedded, then, as Lemmy does for
 *   Mastodon and Pleroma, once more as `Announce(Page)`; a comment as
 *   `Announce(Create(Note))` with `inReplyTo` its post or parent comment;
 * - its posts and comments cannot be fetched: every GET of them is a 404,
 *   so a receiver has to trust the embedded copy (same origin as the Group).
 *
 * It listens with HTTPS on port 443 of a loopback address (WebFinger
 * handles carry no port), with the test certificate, which names 127.0.P.1-12.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { exportSpki, generateCryptoKeyPair, verifyRequest } from "@fedify/fedify";
import { createSafeDocumentLoader } from "../../federation/loader.ts";
import { deliverOverNetwork } from "./fake-remote.ts";

const TLS_DIR = join(import.meta.dirname, "..", "tls");
export const LEMMY_CONTEXT = ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"];
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

type Json = Record<string, unknown>;

export interface LemmyActor {
  name: string;
  iri: string;
  keyId: string;
  inbox: string;
  privateKey: CryptoKey;
  document: Json;
}

/** An activity that reached one of the server's inboxes. */
export interface LemmyReceived {
  path: string;
  /** how it was signed: draft-cavage (`Signature`), RFC 9421 (`Signature-Input`), or not at all */
  signature: "draft-cavage" | "rfc9421" | "none";
  /** the signature was valid (draft-cavage), and made with the key of the activity's actor */
  verified: boolean;
  status: number;
  activity: Json | null;
}

export interface LemmyFollower {
  actor: string;
  inbox: string;
  follow: Json;
}

/** What the server sent to followers' inboxes, with the answers it got. */
export interface LemmySent {
  inbox: string;
  activity: Json;
  status: number;
}

export interface LemmyPost {
  object: Json;
  /** the Announce(Create(...)) */
  announce: Json;
  /** the Announce of the bare Page (posts only) */
  compat: Json | null;
}

export interface FakeLemmy {
  origin: string;
  host: string;
  /** `name@host` of the community */
  handle: string;
  community: LemmyActor;
  person(name: string): Promise<LemmyActor>;
  followers: LemmyFollower[];
  received: LemmyReceived[];
  sent: LemmySent[];
  /** GETs of posts and comments (each answered 404) */
  objectFetches: string[];
  /** failures of the server's own work after answering (fetching a follower, sending an Accept) */
  errors: string[];
  /** `author` starts a thread in the community: Announce(Create(Page)) and Announce(Page) to every follower. */
  post(author: LemmyActor, title: string, html: string): Promise<LemmyPost>;
  /** `author` comments on a post or a comment: Announce(Create(Note)) to every follower. */
  comment(author: LemmyActor, parent: Json, html: string): Promise<LemmyPost>;
  /** Sends `activity` to one inbox, signed by the community; the HTTP status. */
  deliver(inbox: string, activity: Json): Promise<number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body?: unknown, contentType = "application/activity+json"): void {
  res.writeHead(status, { "content-type": contentType }).end(body === undefined ? "" : JSON.stringify(body));
}

/** Starts the server on `host`:443 with one community, `communityName`. */
export async function startFakeLemmy(host: string, communityName = "tenforward"): Promise<FakeLemmy> {
  const origin = `https://${host}`;
  const url = (path: string) => new URL(path, origin).href;
  const actors = new Map<string, LemmyActor>();
  const followers: LemmyFollower[] = [];
  const received: LemmyReceived[] = [];
  const sent: LemmySent[] = [];
  const objectFetches: string[] = [];
  const errors: string[] = [];
  let posts = 0;

  const makeActor = async (name: string, type: "Group" | "Person"): Promise<LemmyActor> => {
    const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const iri = url(type === "Group" ? `/c/${name}` : `/u/${name}`);
    const common = {
      "@context": LEMMY_CONTEXT,
      id: iri,
      type,
      preferredUsername: name,
      inbox: `${iri}/inbox`,
      outbox: `${iri}/outbox`,
      endpoints: { sharedInbox: url("/inbox") },
      publicKey: { id: `${iri}#main-key`, owner: iri, publicKeyPem: await exportSpki(publicKey) },
      published: "2024-01-01T00:00:00Z",
    };
    const document: Json = type === "Group"
      ? {
        ...common,
        name: "Ten Forward",
        summary: "<p>Lounge and recreation facility</p>",
        sensitive: false,
        followers: `${iri}/followers`,
        attributedTo: `${iri}/moderators`,
        featured: `${iri}/featured`,
        postingRestrictedToMods: false,
      }
      : { ...common, name: `${name[0]!.toUpperCase()}${name.slice(1)}` };
    const actor = { name, iri, keyId: `${iri}#main-key`, inbox: `${iri}/inbox`, privateKey, document };
    actors.set(new URL(iri).pathname, actor);
    return actor;
  };

  const community = await makeActor(communityName, "Group");
  const communityPath = new URL(community.iri).pathname;
  // Lemmy signs its fetches; the community's key will do.
  const loader = createSafeDocumentLoader({
    allowPrivateAddress: true,
    signer: { keyId: new URL(community.keyId), privateKey: community.privateKey },
  });

  /** Sends `activity`, signed by `by`, to every follower inbox (a shared inbox once per server). */
  const toFollowers = async (activity: Json, by: LemmyActor) => {
    const inboxes = [...new Set(followers.map((f) => f.inbox))];
    for (const inbox of inboxes) {
      const res = await deliverOverNetwork(inbox, activity, by);
      sent.push({ inbox, activity, status: res.status });
      await res.body?.cancel();
    }
  };

  const onFollow = async (activity: Json) => {
    const actorIri = activity.actor as string;
    const { document } = await loader(actorIri);
    const doc = document as Json;
    const endpoints = (doc.endpoints ?? {}) as Json;
    const inbox = (endpoints.sharedInbox ?? doc.inbox) as string;
    if (!followers.some((f) => f.actor === actorIri)) followers.push({ actor: actorIri, inbox, follow: activity });
    // Lemmy's Accept: the community accepts the Follow, embedded, addressed to the follower.
    const accept = {
      "@context": LEMMY_CONTEXT,
      actor: community.iri,
      to: [actorIri],
      object: { actor: actorIri, to: [community.iri], object: community.iri, type: "Follow", id: activity.id },
      type: "Accept",
      id: url(`/activities/accept/${randomUUID()}`),
    };
    const res = await deliverOverNetwork(doc.inbox as string, accept, community);
    sent.push({ inbox: doc.inbox as string, activity: accept, status: res.status });
    await res.body?.cancel();
  };

  const onUndo = (activity: Json) => {
    const inner = activity.object as Json | string;
    if (typeof inner !== "object" || inner.type !== "Follow" || inner.object !== community.iri) return;
    const i = followers.findIndex((f) => f.actor === activity.actor);
    if (i >= 0) followers.splice(i, 1);
  };

  const inbox = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(url(req.url ?? "/"), { method: "POST", headers, body });
    let activity: Json | null = null;
    try {
      activity = JSON.parse(body) as Json;
    } catch {
      activity = null;
    }
    // Lemmy (activitypub-federation-rust) verifies draft-cavage signatures only.
    const key = await verifyRequest(request, {
      documentLoader: loader, contextLoader: loader, spec: "draft-cavage-http-signatures-12",
    }).catch(() => null);
    const owner = key?.ownerId?.href ?? (key?.id ? key.id.href.replace(/#.*$/, "") : undefined);
    const verified = key !== null && activity !== null && owner === activity.actor;
    const status = verified ? 200 : 401;
    const signature = headers.has("signature-input") ? "rfc9421" : headers.has("signature") ? "draft-cavage" : "none";
    received.push({ path: req.url ?? "/", signature, verified, status, activity });
    if (!verified) return send(res, status, { error: "signature" }, "application/json");
    send(res, 200);
    // Answers go out after the 200, as Lemmy's queue does.
    const type = activity!.type;
    setImmediate(() => {
      const work = type === "Follow" && activity!.object === community.iri ? onFollow(activity!)
        : type === "Undo" ? Promise.resolve(onUndo(activity!)) : Promise.resolve();
      work.catch((error: unknown) => errors.push(String(error)));
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "POST" && (path === "/inbox" || path.endsWith("/inbox"))) {
      void inbox(req, res);
      return;
    }
    if (req.method !== "GET") return send(res, 405);
    if (path === "/.well-known/webfinger") {
      const resource = new URL(req.url ?? "/", origin).searchParams.get("resource") ?? "";
      const m = /^acct:([^@]+)@(.+)$/.exec(resource);
      const actor = m && m[2] === host ? actors.get(`/c/${m[1]}`) ?? actors.get(`/u/${m[1]}`) : undefined;
      if (!actor) return send(res, 404, { error: "not found" }, "application/json");
      return send(res, 200, {
        subject: resource,
        links: [
          { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: actor.iri },
          {
            rel: "self", type: "application/activity+json", href: actor.iri,
            properties: { "https://www.w3.org/ns/activitystreams#type": actor.document.type },
          },
        ],
      }, "application/jrd+json");
    }
    const actor = actors.get(path);
    if (actor) return send(res, 200, actor.document);
    if (path === `${communityPath}/followers`) {
      // Only the number of followers, never who they are.
      return send(res, 200, { "@context": LEMMY_CONTEXT, id: url(path), type: "Collection", totalItems: followers.length, items: [] });
    }
    if (path === `${communityPath}/outbox`) {
      return send(res, 200, { "@context": LEMMY_CONTEXT, id: url(path), type: "OrderedCollection", totalItems: posts, orderedItems: [] });
    }
    if (path === `${communityPath}/moderators`) {
      return send(res, 200, { "@context": LEMMY_CONTEXT, id: url(path), type: "OrderedCollection", orderedItems: [] });
    }
    if (path.startsWith("/post/") || path.startsWith("/comment/")) {
      objectFetches.push(path);
      return send(res, 404, { error: "couldnt_find_object" }, "application/json");
    }
    return send(res, 404, { error: "not found" }, "application/json");
  };

  const server: Server = createServer(
    { cert: readFileSync(join(TLS_DIR, "server.pem")), key: readFileSync(join(TLS_DIR, "server.key")) }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, host, resolve);
  });

  const announce = (object: Json, kind: string): Json => ({
    "@context": LEMMY_CONTEXT,
    actor: community.iri,
    to: [PUBLIC],
    object,
    cc: [`${community.iri}/followers`],
    type: "Announce",
    id: url(`/activities/announce/${kind}/${randomUUID()}`),
  });

  const create = (author: LemmyActor, object: Json): Json => ({
    actor: author.iri,
    to: [PUBLIC],
    object,
    cc: [community.iri],
    audience: community.iri,
    type: "Create",
    id: url(`/activities/create/${randomUUID()}`),
  });

  return {
    origin,
    host,
    handle: `${communityName}@${host}`,
    community,
    person: (name) => makeActor(name, "Person"),
    followers,
    received,
    sent,
    objectFetches,
    errors,
    async post(author, title, html) {
      posts++;
      const page: Json = {
        id: url(`/post/${posts}`),
        type: "Page",
        attributedTo: author.iri,
        to: [community.iri, PUBLIC],
        cc: [],
        audience: community.iri,
        name: title,
        content: html,
        mediaType: "text/html",
        commentsEnabled: true,
        sensitive: false,
        stickied: false,
        language: { identifier: "en", name: "English" },
        published: new Date().toISOString(),
      };
      const full = announce(create(author, page), "create");
      await toFollowers(full, community);
      // For Mastodon and Pleroma: the bare Page once more (Lemmy adds the author as `actor`).
      const compat = announce({ ...page, actor: author.iri }, "page");
      await toFollowers(compat, community);
      return { object: page, announce: full, compat };
    },
    async comment(author, parent, html) {
      const parentAuthor = parent.attributedTo as string;
      const note: Json = {
        id: url(`/comment/${randomUUID()}`),
        type: "Note",
        attributedTo: author.iri,
        to: [PUBLIC],
        cc: [community.iri, parentAuthor],
        audience: community.iri,
        inReplyTo: parent.id,
        content: html,
        mediaType: "text/html",
        tag: [{ href: parentAuthor, type: "Mention", name: `@${parentAuthor.split("/").at(-1)}@${host}` }],
        distinguished: false,
        language: { identifier: "en", name: "English" },
        published: new Date().toISOString(),
      };
      const full = announce(create(author, note), "create");
      await toFollowers(full, community);
      return { object: note, announce: full, compat: null };
    },
    async deliver(inbox, activity) {
      const res = await deliverOverNetwork(inbox, activity, community);
      sent.push({ inbox, activity, status: res.status });
      await res.body?.cancel();
      return res.status;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
