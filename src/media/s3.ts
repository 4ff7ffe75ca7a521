/**
 * Files in an S3-compatible bucket (PLEIN_MEDIA_S3_*), path-style
 * `<endpoint>/<bucket>/<key>`, each request signed with AWS Signature V4
 * (aws4fetch). A file is counted and hashed while it arrives, then sent in
 * one PUT whose payload hash is signed (x-amz-content-sha256), so the
 * bucket keeps exactly the bytes that were counted; nothing is kept when
 * the upload is refused. The endpoint is the operator's, not a remote
 * party's: no address checks, but every request has a deadline.
 */
import { AwsClient } from "aws4fetch";
import type { S3Settings } from "../config.ts";
import { collectBytes, isKey, type MediaStorage, newKey, type StoredBytes, type StoredFile } from "./storage.ts";

/** Longest wait for a PUT or DELETE to finish, or for a GET's answer to begin. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The bucket answered something other than success (or, for a read, "no such key"). */
export class S3StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "S3StorageError";
  }
}

export class S3Storage implements MediaStorage {
  readonly #client: AwsClient;
  readonly #base: string;

  constructor(settings: S3Settings) {
    this.#client = new AwsClient({
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      service: "s3",
      region: settings.region,
      // aws4fetch retries 5xx and 429 answers with backoff; a few tries, not ten.
      retries: 2,
    });
    const endpoint = settings.endpoint.href.replace(/\/+$/, "");
    this.#base = `${endpoint}/${encodeURIComponent(settings.bucket)}/`;
  }

  #url(key: string): string {
    // A key is `ab/<uuid>` (isKey): its slash is part of the object's name.
    return this.#base + key;
  }

  async put(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    const { bytes, size, sha256 } = await collectBytes(body, maxBytes);
    const key = newKey();
    const res = await this.#client.fetch(this.#url(key), {
      method: "PUT",
      body: bytes,
      headers: { "content-type": "application/octet-stream", "x-amz-content-sha256": sha256 },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new S3StorageError(`The media bucket refused to store a file (HTTP ${res.status})`);
    return { key, size, sha256 };
  }

  async get(key: string): Promise<StoredBytes | null> {
    if (!isKey(key)) return null;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new S3StorageError("The media bucket did not answer in time")), REQUEST_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.#client.fetch(this.#url(key), { method: "GET", signal: deadline.signal });
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new S3StorageError(`The media bucket could not read a file (HTTP ${res.status})`);
    }
    const length = Number(res.headers.get("content-length"));
    if (!Number.isSafeInteger(length) || length < 0) {
      await res.body.cancel();
      throw new S3StorageError("The media bucket answered without a valid Content-Length");
    }
    return { size: length, body: res.body };
  }

  async delete(key: string): Promise<void> {
    if (!isKey(key)) return;
    const res = await this.#client.fetch(this.#url(key), { method: "DELETE", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await res.body?.cancel();
    // S3 answers 204 whether or not the key existed; some compatible stores say 404.
    if (!res.ok && res.status !== 404) throw new S3StorageError(`The media bucket could not delete a file (HTTP ${res.status})`);
  }
}
