/**
 * A Mastodon upload from bytes to a `media` row: the image is processed
 * (src/media/images.ts), its versions kept in the media storage, then the
 * row recorded; if recording fails, the kept bytes are dropped again.
 */
import { getLogger } from "@logtape/logtape";
import type { Db } from "../db/database.ts";
import type { Actor, Media } from "../db/schema.ts";
import { type Focus, type NewUpload, recordUpload } from "../domain/uploads.ts";
import { type ImageVersion, processImage, processThumbnail } from "./images.ts";
import { safeFileName } from "./serving.ts";
import type { MediaStorage, StoredFile } from "./storage.ts";

const logger = getLogger(["plein", "media", "uploads"]);

export interface UploadRequest {
  purpose: "attachment" | "avatar" | "header";
  bytes: Uint8Array;
  fileName: string;
  description?: string | null;
  focus?: Focus | null;
  /** a custom thumbnail: its small version replaces the image's own */
  thumbnail?: Uint8Array | null;
  maxBytes: number;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Drops kept bytes; failing that only leaves an orphan, which is logged. */
export async function dropStored(storage: MediaStorage, keys: ReadonlyArray<string | null>): Promise<void> {
  for (const key of keys) {
    if (key === null) continue;
    await storage.delete(key).catch((error: unknown) => {
      logger.warning("Could not drop the bytes of upload {key}: {error}", { key, error });
    });
  }
}

/**
 * Processes and keeps an upload, then has `record` write what is known of
 * it (a `media` row, in whatever transaction `record` needs); if that
 * fails, the kept bytes are dropped again. Throws UnsupportedImageError,
 * MediaTooLargeError, or what `record` throws.
 */
export async function keepUpload<T>(storage: MediaStorage, request: UploadRequest, record: (upload: NewUpload) => Promise<T>): Promise<T> {
  const image = await processImage(request.bytes, request.purpose);
  let preview: ImageVersion | null = image.preview;
  let blurhash = image.blurhash;
  if (request.thumbnail && request.purpose === "attachment") {
    ({ preview, blurhash } = await processThumbnail(request.thumbnail, image.original));
  }
  const kept: StoredFile[] = [];
  try {
    const original = await storage.put(once(image.original.bytes), request.maxBytes);
    kept.push(original);
    const small = preview ? await storage.put(once(preview.bytes), request.maxBytes) : null;
    if (small) kept.push(small);
    return await record({
      purpose: request.purpose,
      storageKey: original.key,
      previewStorageKey: small?.key ?? null,
      fileName: safeFileName(request.fileName),
      contentType: image.original.contentType,
      size: original.size,
      sha256: original.sha256,
      width: image.original.width,
      height: image.original.height,
      previewWidth: preview?.width ?? null,
      previewHeight: preview?.height ?? null,
      blurhash,
      description: request.description ?? null,
      focus: request.focus ?? null,
    });
  } catch (error) {
    await dropStored(storage, kept.map((k) => k.key));
    throw error;
  }
}

/** An upload for a status: processed, kept and recorded. */
export function storeUpload(db: Db, storage: MediaStorage, owner: Actor, request: UploadRequest): Promise<Media> {
  return keepUpload(storage, request, (upload) => recordUpload(db, owner, upload));
}
