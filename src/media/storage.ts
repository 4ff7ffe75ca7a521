/**
 * Where the bytes of uploaded files live. The database holds what is known
 * about a file (the `media` table, src/domain/media.ts); a storage holds its
 * bytes under a key the storage chooses. Local disk by default; another
 * backend (S3-compatible storage) implements the same interface.
 */
import { createHash } from "node:crypto";

/** What a storage kept: its key, and the size and SHA-256 (hex) of the bytes it counted. */
export interface StoredFile {
  key: string;
  size: number;
  sha256: string;
}

export interface StoredBytes {
  size: number;
  body: ReadableStream<Uint8Array>;
}

export interface MediaStorage {
  /**
   * Keeps the bytes of `body` under a new key. More than `maxBytes` of them
   * is a MediaTooLargeError, and nothing is kept.
   */
  put(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile>;
  /** The bytes kept under `key`, or null when there are none (or `key` is not one of ours). */
  get(key: string): Promise<StoredBytes | null>;
  /** Forgets `key`; nothing happens when there is nothing under it. */
  delete(key: string): Promise<void>;
}

export class MediaTooLargeError extends Error {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`The file is larger than ${formatBytes(maxBytes)}`);
    this.name = "MediaTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/** `25 MiB`, `512 KiB`, `1000 bytes`: sizes as people read them. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

/** Keys are chosen by the storage, never by a client: a random UUID, under a directory of its first two digits. */
/**
 * The bytes of `body` in memory, with their size and SHA-256 (hex), for a
 * storage that must have a file whole before it keeps it; more than
 * `maxBytes` of them is a MediaTooLargeError, read no further.
 */
export async function collectBytes(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ bytes: Buffer<ArrayBuffer>; size: number; sha256: string }> {
  const chunks: Uint8Array[] = [];
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new MediaTooLargeError(maxBytes);
    hash.update(chunk);
    chunks.push(chunk);
  }
  // Buffer.concat always copies into a new ArrayBuffer.
  return { bytes: Buffer.concat(chunks) as Buffer<ArrayBuffer>, size, sha256: hash.digest("hex") };
}

export function newKey(): string {
  const id = crypto.randomUUID();
  return `${id.slice(0, 2)}/${id}`;
}

const KEY = /^([0-9a-f]{2})\/\1[0-9a-f]{6}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Is `key` one that `newKey` could have made (and so safe to turn into a path)? */
export function isKey(key: string): boolean {
  return KEY.test(key);
}
