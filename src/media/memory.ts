import { collectBytes, isKey, type MediaStorage, newKey, type StoredBytes, type StoredFile } from "./storage.ts";

/** Files in memory: for an instance whose database is in memory too (tests). Lost when the process ends. */
export class MemoryStorage implements MediaStorage {
  readonly #files = new Map<string, Uint8Array<ArrayBuffer>>();

  async put(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    const { bytes, size, sha256 } = await collectBytes(body, maxBytes);
    const key = newKey();
    this.#files.set(key, new Uint8Array(bytes));
    return { key, size, sha256 };
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
