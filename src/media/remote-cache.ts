/**
 * Other servers' files, kept by this server and served from its own origin,
 * so that a member's app never contacts another server (its address is not
 * handed to every server in the network). A file is fetched when first asked
 * for, through the resolver's checked fetch (every hop's address, redirects,
 * deadlines: federation/media-fetch.ts), within the cap and types of its kind
 * (./remote-rules.ts), and kept in the media storage. Requests for a file
 * being fetched wait for that fetch (one fetch per process, however many ask);
 * a failure is remembered and not retried before its time
 * (src/domain/remote-media.ts). Housekeeping drops copies unused for a week.
 */
import { getLogger } from "@logtape/logtape";
import type { AppContext } from "../context.ts";
import type { Db } from "../db/database.ts";
import type { RemoteMediaRow } from "../db/schema.ts";
import {
  findCachedMedia, forgetCachedMedia, recordMediaFailure, recordMediaFetched, type RemoteMediaKey, type RemoteMediaSource,
  touchCachedMedia, unusedCachedMedia,
} from "../domain/remote-media.ts";
import { RemoteMediaError } from "../domain/resolver.ts";
import { mediaStorage } from "./index.ts";
import { REMOTE_MEDIA_RETENTION_DAYS, remoteMediaCap, remoteMediaType } from "./remote-rules.ts";
import { type MediaStorage, MediaTooLargeError, type StoredFile } from "./storage.ts";

const logger = getLogger(["plein", "media", "remote"]);

/** The file could not be had: refused, unreachable, too large, or failing and not to be retried yet. */
export class RemoteMediaUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteMediaUnavailableError";
  }
}

export interface CachedMedia {
  contentType: string;
  size: number;
  sha256: string | null;
  body: ReadableStream<Uint8Array>;
}

export interface OpenOptions {
  /** sign the fetch's hops to this origin (closed content of that server); unsigned when absent */
  signedOrigin?: string;
  /** a cap other than its kind's (files of closed posts: PLEIN_MAX_FILE_SIZE) */
  maxBytes?: number;
}

interface Pending {
  entry: Promise<RemoteMediaRow>;
  waiters: number;
}

/** The remote body, whose read errors (the network's) are the remote's failures. */
async function* remoteChunks(body: ReadableStream<Uint8Array>, url: string): AsyncIterable<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (error instanceof RemoteMediaError) throw error;
        throw new RemoteMediaError(`${url}: the body broke off (${error instanceof Error ? error.message : String(error)})`);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export class RemoteMediaCache {
  readonly #deps: AppContext;
  readonly #storage: MediaStorage;
  readonly #pending = new Map<string, Pending>();

  constructor(deps: AppContext, storage: MediaStorage) {
    this.#deps = deps;
    this.#storage = storage;
  }

  /** The bytes of `source`, fetched now if this server has no copy. Throws RemoteMediaUnavailableError. */
  async open(source: RemoteMediaSource, options: OpenOptions = {}): Promise<CachedMedia> {
    const key: RemoteMediaKey = { kind: source.kind, url: source.url, signedFor: options.signedOrigin ?? "" };
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await this.#entry(source, key, options.maxBytes);
      const stored = row.storage_key ? await this.#storage.get(row.storage_key) : null;
      if (!stored) {
        // The bytes went (housekeeping, an operator): forget the copy and fetch again, once.
        await forgetCachedMedia(this.#deps.db, row.id);
        continue;
      }
      await touchCachedMedia(this.#deps.db, row.id);
      return { contentType: row.content_type!, size: stored.size, sha256: row.sha256, body: stored.body };
    }
    throw new RemoteMediaUnavailableError(`${source.url}: the copy kept of it is gone`);
  }

  /** How many requests wait for the fetch of this file now (tests watch it). */
  waitingFor(source: RemoteMediaSource, options: OpenOptions = {}): number {
    return this.#pending.get(pendingKey({ kind: source.kind, url: source.url, signedFor: options.signedOrigin ?? "" }))?.waiters ?? 0;
  }

  /** The stored row for `key`, fetching it first when there is none: one at a time per key. */
  #entry(source: RemoteMediaSource, key: RemoteMediaKey, maxBytes: number | undefined): Promise<RemoteMediaRow> {
    const id = pendingKey(key);
    let pending = this.#pending.get(id);
    if (!pending) {
      const entry = this.#lookUpOrFetch(source, key, maxBytes).finally(() => this.#pending.delete(id));
      pending = { entry, waiters: 0 };
      this.#pending.set(id, pending);
    }
    pending.waiters++;
    return pending.entry;
  }

  async #lookUpOrFetch(source: RemoteMediaSource, key: RemoteMediaKey, maxBytes: number | undefined): Promise<RemoteMediaRow> {
    const db = this.#deps.db;
    const row = await findCachedMedia(db, key);
    if (row?.storage_key) return row;
    if (row?.retry_at && row.retry_at.getTime() > Date.now()) {
      throw new RemoteMediaUnavailableError(`${key.url}: failed (${row.failure ?? "unknown"}); not tried again before ${row.retry_at.toISOString()}`);
    }
    return this.#fetch(db, source, key, maxBytes ?? remoteMediaCap(key.kind, source.declaredType));
  }

  async #fetch(db: Db, source: RemoteMediaSource, key: RemoteMediaKey, maxBytes: number): Promise<RemoteMediaRow> {
    let file: StoredFile;
    let contentType: string;
    try {
      const remote = await this.#deps.resolver.fetchMedia(key.url, { maxBytes, ...(key.signedFor ? { signedOrigin: key.signedFor } : {}) });
      const type = remoteMediaType(key.kind, remote.contentType, source.declaredType);
      if (type === null) {
        await remote.body.cancel().catch(() => {});
        throw new RemoteMediaError(`${key.url}: a ${key.kind} must be a picture (PNG, JPEG, GIF, WebP, AVIF), not ${remote.contentType ?? "untyped"}`);
      }
      contentType = type;
      file = await this.#storage.put(remoteChunks(remote.body, key.url), maxBytes);
    } catch (error) {
      if (!(error instanceof RemoteMediaError || error instanceof MediaTooLargeError)) throw error;
      const reason = error instanceof MediaTooLargeError ? `${key.url}: ${error.message}` : error.message;
      const failed = await recordMediaFailure(db, key, reason);
      logger.info("Could not fetch remote {kind} {url} ({failures} failures): {reason}", { kind: key.kind, url: key.url, failures: failed.failures, reason });
      throw new RemoteMediaUnavailableError(reason);
    }
    const row = await recordMediaFetched(db, key, { storageKey: file.key, contentType, size: file.size, sha256: file.sha256 });
    if (row) return row;
    // Another process kept it first: serve that copy.
    await this.#storage.delete(file.key);
    const theirs = await findCachedMedia(db, key);
    if (theirs?.storage_key) return theirs;
    throw new RemoteMediaUnavailableError(`${key.url}: kept and dropped at once`);
  }
}

function pendingKey(key: RemoteMediaKey): string {
  return `${key.kind}\n${key.signedFor}\n${key.url}`;
}

const caches = new WeakMap<AppContext, RemoteMediaCache>();

/** The cache of one running instance. */
export function remoteMediaCache(deps: AppContext): RemoteMediaCache {
  let cache = caches.get(deps);
  if (!cache) caches.set(deps, cache = new RemoteMediaCache(deps, mediaStorage(deps.config)));
  return cache;
}

const EVICT_BATCH = 500;

/** Drops copies (and remembered failures) unused for `days`: their bytes, then their rows. Returns how many. */
export async function evictUnusedRemoteMedia(db: Db, storage: MediaStorage, days = REMOTE_MEDIA_RETENTION_DAYS): Promise<number> {
  let evicted = 0;
  for (;;) {
    const rows = await unusedCachedMedia(db, days, EVICT_BATCH);
    for (const row of rows) {
      if (row.storage_key) await storage.delete(row.storage_key);
      await forgetCachedMedia(db, row.id);
    }
    evicted += rows.length;
    if (rows.length < EVICT_BATCH) return evicted;
  }
}
