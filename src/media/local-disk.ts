import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isKey, type MediaStorage, MediaTooLargeError, newKey, type StoredBytes, type StoredFile } from "./storage.ts";

/** Owner only: uploaded files of closed groups are as confidential as the database. */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** Counts and hashes what passes, and stops at `maxBytes`. */
class Measure extends Transform {
  readonly hash = createHash("sha256");
  size = 0;
  readonly #maxBytes: number;
  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.byteLength;
    if (this.size > this.#maxBytes) return done(new MediaTooLargeError(this.#maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/**
 * Files in a directory on local disk (PLEIN_MEDIA_DIR): `<dir>/<key>`, where
 * a key is `ab/ab…-uuid`. A file is written under `<dir>/tmp` first and moved
 * into place only when whole, so a reader never sees half a file and a
 * failed upload leaves nothing behind.
 */
export class LocalDiskStorage implements MediaStorage {
  readonly dir: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(join(this.dir, "tmp"), { recursive: true, mode: PRIVATE_DIR });
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async put(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    await this.#prepare();
    const key = newKey();
    const partial = join(this.dir, "tmp", `${key.slice(3)}.part`);
    const measure = new Measure(maxBytes);
    try {
      await pipeline(Readable.from(body), measure, createWriteStream(partial, { flags: "wx", mode: PRIVATE_FILE }));
      await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true, mode: PRIVATE_DIR });
      await rename(partial, join(this.dir, key));
    } catch (error) {
      await unlink(partial).catch(() => {});
      throw error;
    }
    return { key, size: measure.size, sha256: measure.hash.digest("hex") };
  }

  async get(key: string): Promise<StoredBytes | null> {
    if (!isKey(key)) return null;
    const path = join(this.dir, key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      return { size: info.size, body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array> };
    } catch (error) {
      if (errnoCode(error) === "ENOENT") return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    if (!isKey(key)) return;
    try {
      await unlink(join(this.dir, key));
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
  }
}
