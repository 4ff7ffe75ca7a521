import type { RemoteDocument } from "@fedify/fedify";
import type { ActorType } from "../src/db/schema.ts";
import { ContextCache } from "./context-cache.ts";

const ACTOR_TYPES: ReadonlySet<string> = new Set(["Person", "Service", "Application", "Group", "Organization"] satisfies ActorType[]);

const ACTOR_DOCUMENT_TTL_MS = 5 * 60 * 1000;

function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash < 0 ? url : url.slice(0, hash);
}

function isActor(document: Record<string, unknown>): boolean {
  const types = Array.isArray(document.type) ? document.type : [document.type];
  return types.some((type) => typeof type === "string" && ACTOR_TYPES.has(type));
}

/**
 * Remote actor documents fetched lately, in this process's memory,
 * answered to Fedify's own loaders only (Plein's fetches never read it).
 *
 * Fedify 2.3.8 checks that the key of every signed inbox request belongs to
 * the activity's actor by fetching the actor's document (a signed GET,
 * parsed as JSON-LD), for every activity, though the key itself is cached:
 * a server sending 1,000 activities was asked for its actor's document 1,000
 * times, doubling its traffic. Kept here for `ttlMs`, a burst costs one fetch
 * per actor.
 *
 * Key fetches always go to the network (Fedify fetches a key only when it is
 * not cached or no longer verifies: the moment an actor may have changed its
 * keys), and each one replaces what is kept of the key's actor: the actor
 * document it fetched (a key id with a fragment is served as the actor's
 * document), or nothing (a key document of its own names its owner, who is
 * forgotten, so the next check fetches the actor again). So an actor that
 * moves to a new key id is believed at once. What the cache costs: a key id
 * an actor removes from its document, while its key is still in Fedify's key
 * cache, is accepted for up to `ttlMs` more. Bounded in count and size (the
 * least recently used go first); a hit still passes the federation policy
 * (federation/loader.ts).
 */
export class ActorDocumentCache {
  readonly #documents: ContextCache;

  constructor(options: { maxEntries?: number; maxLength?: number; ttlMs?: number } = {}) {
    this.#documents = new ContextCache({ maxEntries: 2_000, maxLength: 64 * 1024, ttlMs: ACTOR_DOCUMENT_TTL_MS, ...options });
  }

  /** `url` (an actor, or a key id of one) is being fetched again. */
  forget(url: string): void {
    this.#documents.forget(withoutFragment(url));
  }

  /** Only an actor asked for by its own id: entries are kept under ids without a fragment, so a key id with one always goes to the network. */
  get(url: string): RemoteDocument | undefined {
    return this.#documents.get(url);
  }

  /** Offered every document fetched (`length`: its text's length); keeps only what `get` may answer. */
  set(url: string, remote: RemoteDocument, length: number): void {
    const document = remote.document as Record<string, unknown>;
    const actorId = withoutFragment(url);
    for (const owner of [document.owner, document.controller]) {
      if (typeof owner === "string") this.forget(owner);
    }
    if (isActor(document) && document.id === actorId && withoutFragment(remote.documentUrl) === actorId) {
      this.#documents.set(actorId, { ...remote, document: structuredClone(remote.document), documentUrl: actorId }, length);
    }
  }
}

/**
 * This process's actor documents: every loader's fetch of an actor fills it
 * (ours and Fedify's: a document fetched by Plein is as fresh as one Fedify
 * fetched) and makes it forget the actor first (a 410 leaves nothing behind);
 * only Fedify's loaders answer from it (federation/loader.ts).
 */
export const recentActorDocuments = new ActorDocumentCache();
