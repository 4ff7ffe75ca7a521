import type { RemoteDocument } from "@fedify/fedify";

/**
 * JSON-LD contexts fetched lately, kept in this process's memory only.
 *
 * Contexts outside Fedify's preloaded set (Pleroma's and Akkoma's per-server
 * litepub context, Mobilizon's) are named by every activity and actor those
 * servers send, and one activity is expanded several times (signature checks,
 * parsing, the queued handler): uncached, one honest activity fetched the same
 * context eight times. Fedify cached every context in the KvStore, so anyone
 * could add rows before authentication; this cache is bounded instead: at most
 * `maxEntries` contexts of at most `maxLength` characters each, the least recently used
 * evicted first, each kept for `ttlMs`. A sender who floods it only makes
 * others' contexts be fetched again.
 */
export class ContextCache {
  readonly maxEntries: number;
  readonly maxLength: number;
  readonly ttlMs: number;
  readonly #entries = new Map<string, { document: RemoteDocument; expiresAt: number }>();

  constructor(options: { maxEntries?: number; maxLength?: number; ttlMs?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 64;
    this.maxLength = options.maxLength ?? 64 * 1024;
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  get(url: string): RemoteDocument | undefined {
    const entry = this.#entries.get(url);
    if (!entry) return undefined;
    this.#entries.delete(url);
    if (entry.expiresAt <= Date.now()) return undefined;
    this.#entries.set(url, entry); // most recently used last
    // A copy: jsonld rewrites relative URLs in the contexts it is given.
    return structuredClone(entry.document);
  }

  forget(url: string): void {
    this.#entries.delete(url);
  }

  /** Keeps `document` unless its text as fetched (`length` characters) is longer than `maxLength`. */
  set(url: string, document: RemoteDocument, length: number): void {
    if (length > this.maxLength) return;
    this.#entries.delete(url);
    this.#entries.set(url, { document, expiresAt: Date.now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
