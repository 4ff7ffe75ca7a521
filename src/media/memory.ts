import { createHash } from "node:crypto";
import { isKey, type MediaStorage, MediaTooLargeError, newKey, type StoredBytes, type StoredFile } from "./storage.ts";

/** Files in memory: for an instance whose database is in memory too (tests). Lost when the process ends. */
export class MemoryStorage implements MediaStorage {
  readonly #files = new Map<string, Uint8Array<ArrayBuffer>>();

  async put(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    const chunks: Uint8Array[] = [];
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new MediaTooLargeError(maxBytes);
      hash.update(chunk);
      chunks.push(chunk);
    }
    const key = newKey();
    this.#files.set(key, new Uint8Array(Buffer.concat(chunks)));
    return { key, size, sha256: hash.digest("hex") };
  }

  async get(key: string): Promise<StoredBytes | null> {
    const bytes = isKey(key) ? this.#files.get(key) : undefined;
    if (!bytes) return null;
    return { size: bytes.byteLength, body: new Blob([bytes]).stream() };
  }

  async delete(key: string): Promise<void> {
    this.#files.delete(key);
  }
}
