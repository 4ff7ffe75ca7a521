/**
 * Published documents (actors, objects, WebFinger) kept serialized in
 * memory, so that a GET anyone may make is answered without reading the
 * database, exporting keys or compacting JSON-LD again.
 *
 * Only what the federation middleware answers to an unsigned request as
 * `Cache-Control: public` is kept, and only unsigned requests are answered
 * from here: what a signed request sees depends on who signed it, and closed
 * content is never marked public (private-answers.ts), so nothing here is
 * anything a stranger could not read. An entry lives at most `ttlMs` (well
 * under the 60 s that shared caches may already keep these answers), and the
 * whole cache is forgotten when this process changes something published
 * (src/domain/published-changes.ts).
 */
import { onPublishedChange } from "../src/domain/published-changes.ts";
import { objectPathPrefix, paths } from "../src/domain/urls.ts";

const ACTOR_PATH = new RegExp(`^${paths.actor.replace("{identifier}", "[^/]+")}$`);
const OBJECT_PATH = new RegExp(`^(?:${Object.values(objectPathPrefix).join("|")})[^/]+$`);

/**
 * Actors, objects and WebFinger: documents that change only with what marks
 * a change (published-changes.ts). Collections (outboxes, followers, featured,
 * replies) change with every post, follow or pin, and are always asked afresh.
 */
export function isCachedPath(pathname: string): boolean {
  return ACTOR_PATH.test(pathname) || OBJECT_PATH.test(pathname) || pathname === "/.well-known/webfinger";
}

export interface CachedDocument {
  status: number;
  headers: [string, string][];
  body: string;
  expires: number;
}

export interface DocumentCacheOptions {
  ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
  /** Characters of all bodies together kept at most (default 16 Mi); the oldest go first. */
  maxTotalChars?: number;
  /** Documents larger than this many characters are not kept. */
  maxBodyChars?: number;
  now?: () => number;
}

export class DocumentCache {
  readonly #entries = new Map<string, CachedDocument>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBodyChars: number;
  readonly #maxTotalChars: number;
  #totalChars = 0;
  readonly #now: () => number;
  /** Bumped by every change: a rendering that began before it is not stored. */
  #generation = 0;

  constructor(options: DocumentCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#maxBodyChars = options.maxBodyChars ?? 256 * 1024;
    this.#maxTotalChars = options.maxTotalChars ?? 16 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.#generation;
  }

  get(key: string): CachedDocument | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.#now()) {
      this.#forget(key);
      return undefined;
    }
    return entry;
  }

  /** Stores a rendering begun at `generation`, unless something changed since. */
  set(key: string, generation: number, document: Omit<CachedDocument, "expires">): void {
    if (this.#ttlMs <= 0 || generation !== this.#generation || document.body.length > this.#maxBodyChars) return;
    this.#forget(key);
    this.#entries.set(key, { ...document, expires: this.#now() + this.#ttlMs });
    this.#totalChars += document.body.length;
    while (this.#entries.size > this.#maxEntries || this.#totalChars > this.#maxTotalChars) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#forget(oldest);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#totalChars = 0;
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#totalChars -= entry.body.length;
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The request's cache key: what Fedify's answer depends on for an unsigned GET. */
export function documentKey(request: Request): string {
  return `${request.url}\n${request.headers.get("accept") ?? ""}`;
}

/** A cache forgotten whenever this process changes something published. */
export function publishedDocumentCache(options: DocumentCacheOptions): DocumentCache {
  const cache = new DocumentCache(options);
  // Held weakly: an app that is gone (tests start many) takes its cache and this listener with it.
  const ref = new WeakRef(cache);
  const stop = onPublishedChange(() => {
    const live = ref.deref();
    if (live) live.clear();
    else stop();
  });
  return cache;
}

export function cachedResponse(entry: CachedDocument, head: boolean): Response {
  return new Response(head ? null : entry.body, { status: entry.status, headers: entry.headers });
}
