import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDiskStorage } from "../../src/media/local-disk.ts";
import { MemoryStorage } from "../../src/media/memory.ts";
import { S3Storage } from "../../src/media/s3.ts";
import { type MediaStorage, MediaTooLargeError } from "../../src/media/storage.ts";

import { type FakeS3, startFakeS3 } from "../support/fake-s3.ts";

const dir = mkdtempSync(join(tmpdir(), "plein-media-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3();
});
afterAll(async () => {
  // Every request the S3 storage made was signed as S3 wants it.
  expect(s3.refusals).toEqual([]);
  await s3.close();
});

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const storages: Array<[string, () => MediaStorage]> = [
  ["local disk", () => new LocalDiskStorage(join(dir, `store-${crypto.randomUUID()}`))],
  ["memory", () => new MemoryStorage()],
  ["S3", () => new S3Storage({
    endpoint: new URL(s3.endpoint), bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey,
  })],
];

describe.each(storages)("%s storage", (_name, make) => {
  it("keeps bytes under a key of its own, with their size and SHA-256", async () => {
    const storage = make();
    const stored = await storage.put(chunks("hello ", "world"), 100);
    expect(stored.size).toBe(11);
    expect(stored.sha256).toBe(sha256("hello world"));
    expect(stored.key).toMatch(/^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    const got = await storage.get(stored.key);
    expect(got?.size).toBe(11);
    expect(await text(got!.body)).toBe("hello world");
    const other = await storage.put(chunks("hello world"), 100);
    expect(other.key).not.toBe(stored.key);
  });

  it("refuses more than maxBytes and keeps nothing", async () => {
    const storage = make();
    await expect(storage.put(chunks("12345", "6"), 5)).rejects.toBeInstanceOf(MediaTooLargeError);
    const exact = await storage.put(chunks("12345"), 5);
    expect(exact.size).toBe(5);
  });

  it("answers null for keys it never made, paths included", async () => {
    const storage = make();
    for (const key of ["../etc/passwd", "ab/../../x", "", "00/00000000-0000-4000-8000-000000000000", "/etc/passwd"]) {
      expect(await storage.get(key)).toBeNull();
    }
  });

  it("forgets a key", async () => {
    const storage = make();
    const stored = await storage.put(chunks("bye"), 10);
    await storage.delete(stored.key);
    expect(await storage.get(stored.key)).toBeNull();
    await storage.delete(stored.key); // twice is fine
  });

  it("keeps an empty file", async () => {
    const storage = make();
    const stored = await storage.put(chunks(), 10);
    expect(stored).toMatchObject({ size: 0, sha256: sha256("") });
    expect(await text((await storage.get(stored.key))!.body)).toBe("");
  });
});

describe("local disk storage", () => {
  it("writes private files in private directories, and leaves no partial file after a refusal", async () => {
    const root = join(dir, "private");
    const storage = new LocalDiskStorage(root);
    const stored = await storage.put(chunks("secret minutes"), 100);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, stored.key.slice(0, 2))).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, stored.key)).mode & 0o777).toBe(0o600);
    await expect(storage.put(chunks("x".repeat(50), "y".repeat(60)), 100)).rejects.toBeInstanceOf(MediaTooLargeError);
    expect(readdirSync(join(root, "tmp"))).toEqual([]);
  });

  it("a failing source leaves nothing behind either", async () => {
    const root = join(dir, "failing");
    const storage = new LocalDiskStorage(root);
    async function* broken(): AsyncIterable<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error("connection reset");
    }
    await expect(storage.put(broken(), 100)).rejects.toThrow("connection reset");
    expect(readdirSync(join(root, "tmp"))).toEqual([]);
  });
});
