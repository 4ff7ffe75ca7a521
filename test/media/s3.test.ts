/**
 * The S3-compatible media storage against a minimal S3 on loopback
 * (test/support/fake-s3.ts) that verifies every request's Signature V4
 * and payload hash; the storage contract itself runs in storage.test.ts.
 * An instance configured with PLEIN_MEDIA_S3_* keeps its uploads there.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonMediaAttachment } from "../../src/api/mastodon/entities/media.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { S3Storage, S3StorageError } from "../../src/media/s3.ts";
import { MediaTooLargeError } from "../../src/media/storage.ts";
import { startApi } from "../api/support.ts";
import { type FakeS3, startFakeS3 } from "../support/fake-s3.ts";

let s3: FakeS3;

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

function storage(overrides: { secretAccessKey?: string } = {}): S3Storage {
  return new S3Storage({
    endpoint: new URL(s3.endpoint), bucket: s3.bucket, region: s3.region,
    accessKeyId: s3.accessKeyId, secretAccessKey: overrides.secretAccessKey ?? s3.secretAccessKey,
  });
}

beforeAll(async () => {
  s3 = await startFakeS3();
});

afterAll(async () => {
  await s3?.close();
});

describe("S3 storage", () => {
  it("PUTs the object under the bucket with a signed payload hash, GETs and DELETEs it", async () => {
    const store = storage();
    const stored = await store.put(bytes("raadsbesluit"), 100);
    expect(s3.refusals).toEqual([]);
    expect(s3.objects.get(stored.key)?.toString()).toBe("raadsbesluit");
    expect(s3.requests.at(-1)).toBe(`PUT /${s3.bucket}/${stored.key}`);
    const got = await store.get(stored.key);
    expect(await new Response(got!.body).text()).toBe("raadsbesluit");
    await store.delete(stored.key);
    expect(s3.objects.has(stored.key)).toBe(false);
    expect(s3.refusals).toEqual([]);
  });

  it("a wrong secret is refused by the bucket: an error, not a silent loss", async () => {
    s3.refusals.length = 0;
    await expect(storage({ secretAccessKey: "not the secret" }).put(bytes("x"), 10)).rejects.toBeInstanceOf(S3StorageError);
    expect(s3.refusals).toEqual([expect.stringContaining("the signature does not verify")]);
    s3.refusals.length = 0;
  });

  it("too large is refused before anything is sent", async () => {
    const before = s3.requests.length;
    await expect(storage().put(bytes("x".repeat(20)), 10)).rejects.toBeInstanceOf(MediaTooLargeError);
    expect(s3.requests.length).toBe(before);
  });

  it("a failing bucket is an S3StorageError", async () => {
    s3.failWith = 503;
    try {
      await expect(storage().put(bytes("x"), 10)).rejects.toBeInstanceOf(S3StorageError);
      await expect(storage().get("ab/ab000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(S3StorageError);
    } finally {
      s3.failWith = null;
    }
  });
});

describe("configuration", () => {
  it("PLEIN_MEDIA_S3_* all together, or an error naming what is missing", () => {
    expect(loadConfig({}).mediaS3).toBeUndefined();
    const config = loadConfig({
      PLEIN_MEDIA_S3_ENDPOINT: "https://s3.example.nl", PLEIN_MEDIA_S3_BUCKET: "plein", PLEIN_MEDIA_S3_ACCESS_KEY: "a", PLEIN_MEDIA_S3_SECRET_KEY: "b",
    });
    expect(config.mediaS3).toMatchObject({ bucket: "plein", region: "us-east-1", accessKeyId: "a" });
    expect(() => loadConfig({ PLEIN_MEDIA_S3_ENDPOINT: "https://s3.example.nl" })).toThrow(ConfigError);
    expect(() => loadConfig({
      PLEIN_MEDIA_S3_ENDPOINT: "ftp://x", PLEIN_MEDIA_S3_BUCKET: "plein", PLEIN_MEDIA_S3_ACCESS_KEY: "a", PLEIN_MEDIA_S3_SECRET_KEY: "b",
    })).toThrow(/PLEIN_MEDIA_S3_ENDPOINT/);
  });
});

describe("an instance with S3 storage", () => {
  it("keeps an upload's original and preview in the bucket and serves them from there", async () => {
    const api = await startApi({
      env: {
        PLEIN_MEDIA_S3_ENDPOINT: s3.endpoint, PLEIN_MEDIA_S3_BUCKET: s3.bucket, PLEIN_MEDIA_S3_REGION: s3.region,
        PLEIN_MEDIA_S3_ACCESS_KEY: s3.accessKeyId, PLEIN_MEDIA_S3_SECRET_KEY: s3.secretAccessKey,
      },
    });
    try {
      const alice = await api.user("alice");
      const before = s3.objects.size;
      const image = await sharp({ create: { width: 900, height: 700, channels: 3, background: "#123456" } }).png().toBuffer();
      const body = new FormData();
      body.append("file", new Blob([new Uint8Array(image)], { type: "image/png" }), "kaart.png");
      const res = await api.request<MastodonMediaAttachment>("POST", "/api/v2/media", { token: alice.token, body });
      expect(res.status, res.text).toBe(200);
      expect(s3.objects.size).toBe(before + 2);
      const small = await api.running.app.request(res.body.preview_url, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(small.status).toBe(200);
      expect((await sharp(Buffer.from(await small.arrayBuffer())).metadata()).width).toBe(640);
      expect((await api.request("DELETE", `/api/v1/media/${res.body.id}`, { token: alice.token })).status).toBe(200);
      expect(s3.objects.size).toBe(before);
      expect(s3.refusals).toEqual([]);
    } finally {
      await api.close();
    }
  });
});
