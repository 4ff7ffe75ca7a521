/**
 * Mastodon media uploads: POST /api/v2/media (and v1), GET/PUT/DELETE
 * /api/v1/media/:id, media_ids on statuses (new and edited), and who is
 * served an upload's bytes at /uploads/:id/:variant.
 */
import { isBlurhashValid } from "blurhash";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MastodonMediaAttachment } from "../../src/api/mastodon/entities/media.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { decideRequest, join } from "../../src/domain/membership.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;

/** A JPEG with a camera make and a GPS position in its EXIF. */
async function jpegWithGps(width = 1200, height = 800): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 40, b: 90 } } })
    .jpeg().withExif({ IFD0: { Make: "SpyCam" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "52/1 5/1 0/1", GPSLongitudeRef: "E", GPSLongitude: "4/1 18/1 0/1" } })
    .toBuffer();
}

async function png(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 120, b: 200, alpha: 1 } } }).png().toBuffer();
}

function form(fields: Record<string, string | Blob | [Blob, string]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) data.append(name, value[0], value[1]);
    else data.append(name, value);
  }
  return data;
}

function file(bytes: Uint8Array, type: string): Blob {
  return new Blob([new Uint8Array(bytes)], { type });
}

async function upload(user: User, fields: Record<string, string | Blob | [Blob, string]> = {}, path = "/api/v2/media") {
  return api.request<MastodonMediaAttachment>("POST", path, {
    token: user.token, body: form({ file: [file(await png(), "image/png"), "plan.png"], ...fields }),
  });
}

async function uploaded(user: User, fields: Record<string, string | Blob | [Blob, string]> = {}): Promise<MastodonMediaAttachment> {
  const res = await upload(user, fields);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** GET of a served file: the raw response (not JSON). */
async function fetchFile(url: string, token?: string): Promise<Response> {
  expect(url.startsWith(ORIGIN)).toBe(true);
  return api.running.app.request(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
  bob = await api.user("bob");
  carol = await api.user("carol");
});

afterAll(async () => {
  await api?.close();
});

describe("uploading", () => {
  test("an image becomes an attachment with its size, a preview and a blurhash (v2 answers 200: processed at once)", async () => {
    const res = await upload(alice, { description: "Het plan", focus: "-0.5,0.25" });
    expect(res.status, res.text).toBe(200);
    const media = res.body;
    expect(media).toMatchObject({
      type: "image", remote_url: null, description: "Het plan",
      meta: { original: { width: 64, height: 48, size: "64x48", aspect: 64 / 48 }, small: { width: 64, height: 48 }, focus: { x: -0.5, y: 0.25 } },
    });
    expect(media.url).toBe(`${ORIGIN}/uploads/${media.id}/original`);
    expect(media.preview_url).toBe(`${ORIGIN}/uploads/${media.id}/small`);
    // 4x4 components, as Mastodon computes them.
    expect(media.blurhash).toHaveLength(36);
    expect(isBlurhashValid(media.blurhash!).result).toBe(true);
    const fetched = await api.request<MastodonMediaAttachment>("GET", `/api/v1/media/${media.id}`, { token: alice.token });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(media);
  });

  test("the older POST /api/v1/media takes uploads too", async () => {
    const res = await upload(alice, {}, "/api/v1/media");
    expect(res.status, res.text).toBe(200);
    expect(res.body.type).toBe("image");
  });

  test("EXIF (a GPS position, the camera) is stripped, and a large image is scaled to Mastodon's limit with a 640 px preview", async () => {
    const original = await jpegWithGps(4000, 3000);
    expect((await sharp(original).metadata()).exif).toBeDefined();
    const res = await api.request<MastodonMediaAttachment>("POST", "/api/v2/media", {
      token: alice.token, body: form({ file: [file(original, "image/jpeg"), "holiday.jpg"] }),
    });
    expect(res.status, res.text).toBe(200);
    const { width, height } = res.body.meta.original!;
    expect(width * height).toBeLessThanOrEqual(3840 * 2160);
    expect(width / height).toBeCloseTo(4 / 3, 2);
    expect(res.body.meta.small).toMatchObject({ width: 640, height: 480 });
    for (const url of [res.body.url, res.body.preview_url]) {
      const served = await fetchFile(url, alice.token);
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toBe("image/jpeg");
      const bytes = Buffer.from(await served.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(bytes.includes(Buffer.from("SpyCam"))).toBe(false);
    }
  });

  test("an image is turned upright by its EXIF orientation", async () => {
    const sideways = await sharp({ create: { width: 300, height: 100, channels: 3, background: "#0000ff" } })
      .jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const res = await api.request<MastodonMediaAttachment>("POST", "/api/v2/media", {
      token: alice.token, body: form({ file: [file(sideways, "image/jpeg"), "sideways.jpg"] }),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.meta.original).toMatchObject({ width: 100, height: 300 });
  });

  test("a custom thumbnail becomes the preview", async () => {
    const thumbnail = await png(900, 300);
    const media = await uploaded(alice, { thumbnail: [file(thumbnail, "image/png"), "thumb.png"] });
    expect(media.meta.small).toMatchObject({ width: 640, height: 213 });
  });

  test("a text file named .png, a corrupt image, SVG, a video and a missing file are refused with 422", async () => {
    const text = await api.request("POST", "/api/v2/media", {
      token: alice.token, body: form({ file: [file(new TextEncoder().encode("not an image at all"), "image/png"), "evil.png"] }),
    });
    expect(text.status).toBe(422);
    expect(text.body.error).toMatch(/not an image/);
    const whole = await jpegWithGps();
    const corrupt = await api.request("POST", "/api/v2/media", {
      token: alice.token, body: form({ file: [file(whole.subarray(0, whole.length / 3), "image/jpeg"), "broken.jpg"] }),
    });
    expect(corrupt.status).toBe(422);
    const svg = await api.request("POST", "/api/v2/media", {
      token: alice.token,
      body: form({ file: [file(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), "image/svg+xml"), "x.svg"] }),
    });
    expect(svg.status).toBe(422);
    // Video and audio are refused: their metadata could not be stripped without a transcoder.
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypmp42"), Buffer.alloc(64)]);
    const video = await api.request("POST", "/api/v2/media", { token: alice.token, body: form({ file: [file(mp4, "video/mp4"), "clip.mp4"] }) });
    expect(video.status).toBe(422);
    const none = await api.request("POST", "/api/v2/media", { token: alice.token, body: form({ description: "no file" }) });
    expect(none.status).toBe(422);
  });

  test("an image of more than Mastodon's 7680x4320 pixels is refused before it is decoded", async () => {
    // Solid colour: a small file that claims a large image.
    const huge = await sharp({ create: { width: 8000, height: 4400, channels: 3, background: "#ffffff" } }).png({ compressionLevel: 9 }).toBuffer();
    const res = await api.request("POST", "/api/v2/media", { token: alice.token, body: form({ file: [file(huge, "image/png"), "groot.png"] }) });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/larger than/);
  });

  test("a bad focus is a 422, on upload and on update", async () => {
    for (const focus of ["2,0", "0", "a,b", "0,-1.5"]) {
      expect((await upload(alice, { focus })).status, focus).toBe(422);
    }
    const media = await uploaded(alice);
    const res = await api.request("PUT", `/api/v1/media/${media.id}`, { token: alice.token, json: { focus: "0,9" } });
    expect(res.status).toBe(422);
  });

  test("without a token 401; a token without write:media (or write) 403", async () => {
    const anonymous = await api.request("POST", "/api/v2/media", { body: form({ file: [file(await png(), "image/png"), "a.png"] }) });
    expect(anonymous.status).toBe(401);
    const readOnly = await api.token(alice, ["read"]);
    const denied = await api.request("POST", "/api/v2/media", { token: readOnly, body: form({ file: [file(await png(), "image/png"), "a.png"] }) });
    expect(denied.status).toBe(403);
    const mediaOnly = await api.token(alice, ["write:media"]);
    const allowed = await api.request("POST", "/api/v2/media", { token: mediaOnly, body: form({ file: [file(await png(), "image/png"), "a.png"] }) });
    expect(allowed.status).toBe(200);
  });
});

test("the instance tells clients which uploads it takes", async () => {
  const instance = await api.request<{ configuration: { media_attachments: { supported_mime_types: string[]; image_size_limit: number; image_matrix_limit: number } } }>("GET", "/api/v2/instance");
  expect(instance.body.configuration.media_attachments).toMatchObject({
    supported_mime_types: ["image/jpeg", "image/png", "image/webp", "image/gif"],
    image_size_limit: 25 * 1024 ** 2,
    image_matrix_limit: 7680 * 4320,
  });
});

test("a file larger than PLEIN_MAX_FILE_SIZE is a 413, and nothing is kept", async () => {
  const small = await startApi({ env: { PLEIN_MAX_FILE_SIZE: "4KiB" } });
  try {
    const user = await small.user("dana");
    const big = await jpegWithGps(1200, 800);
    expect(big.length).toBeGreaterThan(4096);
    const res = await small.request("POST", "/api/v2/media", { token: user.token, body: form({ file: [file(big, "image/jpeg"), "groot.jpg"] }) });
    expect(res.status).toBe(413);
    const kept = await small.running.deps.db.selectFrom("media").select("id").execute();
    expect(kept).toEqual([]);
  } finally {
    await small.close();
  }
});

describe("one's own uploads", () => {
  test("the owner describes and refocuses an upload; others, and unknown ids, get 404", async () => {
    const media = await uploaded(alice);
    const updated = await api.request<MastodonMediaAttachment>("PUT", `/api/v1/media/${media.id}`, {
      token: alice.token, json: { description: "Nieuw", focus: "0.1,-0.2" },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ description: "Nieuw", meta: { focus: { x: 0.1, y: -0.2 } } });
    for (const [method, path] of [["GET", `/api/v1/media/${media.id}`], ["PUT", `/api/v1/media/${media.id}`], ["DELETE", `/api/v1/media/${media.id}`]] as const) {
      const res = await api.request(method, path, { token: bob.token, ...(method === "PUT" ? { json: { description: "mine" } } : {}) });
      expect(res.status, `${method} by another`).toBe(404);
    }
    expect((await api.request("GET", "/api/v1/media/999999999", { token: alice.token })).status).toBe(404);
  });

  test("an unattached upload is deleted with its bytes; afterwards it is gone", async () => {
    const media = await uploaded(alice);
    expect((await fetchFile(media.url, alice.token)).status).toBe(200);
    const res = await api.request("DELETE", `/api/v1/media/${media.id}`, { token: alice.token });
    expect(res.status).toBe(200);
    expect((await api.request("GET", `/api/v1/media/${media.id}`, { token: alice.token })).status).toBe(404);
    expect((await fetchFile(media.url, alice.token)).status).toBe(404);
  });

  test("a group's shared file is not served at /uploads (its post's own route serves it)", async () => {
    const { db } = api.running.deps;
    const group = await createGroup(db, api.running.config.origin, alice.actor, { name: "archief", visibility: "public", joinMode: "open", modules: defaultModules() });
    const body = form({ file: [file(await png(), "image/png"), "notulen.png"] });
    const shared = await api.request("POST", `/api/plein/v1/groups/${group.actor.id}/files`, { token: alice.token, body });
    expect(shared.status, shared.text).toBe(200);
    const media = await db.selectFrom("media").select("id").where("purpose", "=", "file").executeTakeFirstOrThrow();
    expect((await fetchFile(`${ORIGIN}/uploads/${media.id}/original`, alice.token)).status).toBe(404);
    expect((await api.request("GET", `/api/v1/media/${media.id}`, { token: alice.token })).status).toBe(404);
  });

  test("an unattached upload is served to its owner only", async () => {
    const media = await uploaded(alice);
    expect((await fetchFile(media.url, alice.token)).status).toBe(200);
    expect((await fetchFile(media.url, bob.token)).status).toBe(404);
    expect((await fetchFile(media.url)).status).toBe(404);
  });
});

describe("statuses with media", () => {
  test("media_ids attach in order; a status may be its media alone; the files are public with a public status", async () => {
    const first = await uploaded(alice, { description: "een" });
    const second = await uploaded(alice, { description: "twee" });
    const status = await api.post(alice, { media_ids: [second.id, first.id] });
    expect(status.content).toBe("");
    expect(status.media_attachments.map((m) => [m.id, m.description, m.url])).toEqual([
      [second.id, "twee", second.url], [first.id, "een", first.url],
    ]);
    expect(status.media_attachments[0]).toMatchObject({ type: "image", preview_url: second.preview_url, blurhash: second.blurhash });
    const served = await fetchFile(first.url);
    expect(served.status).toBe(200);
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("cache-control")).toBe("private, no-store");
    // Attached: deleting and re-describing it are refused.
    expect((await api.request("DELETE", `/api/v1/media/${first.id}`, { token: alice.token })).status).toBe(422);
    expect((await api.request("PUT", `/api/v1/media/${first.id}`, { token: alice.token, json: { description: "x" } })).status).toBe(422);
  });

  test("media_ids also come as a form's media_ids[]", async () => {
    const media = await uploaded(alice);
    const res = await api.request<MastodonStatus>("POST", "/api/v1/statuses", { token: alice.token, form: { status: "form", "media_ids[]": [media.id] } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.media_attachments.map((m) => m.id)).toEqual([media.id]);
  });

  test("more than four, someone else's, an attached one, an unknown one: 422, and nothing is attached", async () => {
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => uploaded(alice)));
    const tooMany = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "vijf", media_ids: five.map((m) => m.id) } });
    expect(tooMany.status).toBe(422);
    const bobs = await uploaded(bob);
    const others = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "van bob", media_ids: [five[0]!.id, bobs.id] } });
    expect(others.status).toBe(422);
    const unknown = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "?", media_ids: ["99999999"] } });
    expect(unknown.status).toBe(422);
    await api.post(alice, { status: "eerst", media_ids: [five[1]!.id] });
    const again = await api.request("POST", "/api/v1/statuses", { token: alice.token, json: { status: "nog eens", media_ids: [five[1]!.id] } });
    expect(again.status).toBe(422);
    // five[0] was in two refused statuses: still free.
    const ok = await api.post(alice, { status: "nu wel", media_ids: [five[0]!.id] });
    expect(ok.media_attachments.map((m) => m.id)).toEqual([five[0]!.id]);
  });

  test("an edit replaces the media; the replaced upload is free again (owner only); an edit without media_ids keeps them", async () => {
    const before = await uploaded(alice, { description: "voor" });
    const after = await uploaded(alice, { description: "na" });
    const status = await api.post(alice, { status: "bewerk mij", media_ids: [before.id] });
    const edited = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${status.id}`, {
      token: alice.token, json: { status: "bewerkt", media_ids: [after.id] },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.media_attachments.map((m) => m.id)).toEqual([after.id]);
    expect((await fetchFile(before.url)).status).toBe(404);
    expect((await fetchFile(before.url, alice.token)).status).toBe(200);
    const textOnly = await api.request<MastodonStatus>("PUT", `/api/v1/statuses/${status.id}`, { token: alice.token, json: { status: "alleen tekst" } });
    expect(textOnly.body.media_attachments.map((m) => m.id)).toEqual([after.id]);
    // Someone else's upload cannot come in by an edit either.
    const bobs = await uploaded(bob);
    const stolen = await api.request("PUT", `/api/v1/statuses/${status.id}`, { token: alice.token, json: { status: "x", media_ids: [bobs.id] } });
    expect(stolen.status).toBe(422);
  });

  test("deleting a status frees its media for a redraft", async () => {
    const media = await uploaded(alice);
    const status = await api.post(alice, { status: "weg", media_ids: [media.id] });
    expect((await api.request("DELETE", `/api/v1/statuses/${status.id}`, { token: alice.token })).status).toBe(200);
    const redraft = await api.post(alice, { status: "opnieuw", media_ids: [media.id] });
    expect(redraft.media_attachments.map((m) => m.id)).toEqual([media.id]);
  });

  test("a followers-only status's media: its followers get them, a stranger and anonymous get 404", async () => {
    const follow = await api.request("POST", `/api/v1/accounts/${alice.id}/follow`, { token: bob.token });
    expect(follow.status).toBe(200);
    const media = await uploaded(alice);
    const status = await api.post(alice, { status: "alleen volgers", visibility: "private", media_ids: [media.id] });
    expect(status.media_attachments[0]!.url).toBe(media.url);
    for (const url of [media.url, media.preview_url]) {
      expect((await fetchFile(url, bob.token)).status).toBe(200);
      expect((await fetchFile(url, carol.token)).status).toBe(404);
      expect((await fetchFile(url)).status).toBe(404);
    }
    const forbidden = await fetchFile(media.url, carol.token);
    const absent = await fetchFile(`${ORIGIN}/uploads/99999999/original`, carol.token);
    expect([forbidden.status, await forbidden.text()]).toEqual([absent.status, await absent.text()]);
  });

  test("a closed group's status's media: a member gets them, a stranger (even a follower of the author) gets 404", async () => {
    const { db } = api.running.deps;
    const origin = api.running.config.origin;
    const owner = await api.user("owner");
    const member = await api.user("member");
    const council = await createGroup(db, origin, owner.actor, { name: "raad", visibility: "closed", joinMode: "approval", modules: defaultModules() });
    for (const u of [alice, member]) {
      await join(db, origin, council, u.actor);
      await decideRequest(db, council, owner.actor, u.actor, true);
    }
    const media = await uploaded(alice, { description: "vertrouwelijk" });
    const status = await api.post(alice, { status: "@raad het concept", media_ids: [media.id] });
    expect(status.media_attachments.map((m) => m.id)).toEqual([media.id]);
    for (const url of [media.url, media.preview_url]) {
      expect((await fetchFile(url, member.token)).status).toBe(200);
      expect((await fetchFile(url, owner.token)).status).toBe(200);
      // bob follows alice but is not a member; carol is nobody to the group.
      expect((await fetchFile(url, bob.token)).status).toBe(404);
      expect((await fetchFile(url, carol.token)).status).toBe(404);
      expect((await fetchFile(url)).status).toBe(404);
    }
  });
});
