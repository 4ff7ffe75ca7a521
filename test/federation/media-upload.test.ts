/**
 * Uploaded images travel: alice on A posts a status with an image; bob on B
 * follows her. B shows the attachment through its remote-attachment path:
 * a public status's image at A's URL (anyone may fetch it there), a
 * followers-only status's image at B's own attachment URL, which B fetches
 * from A signed (A serves it only to a server that may see the status).
 * An edit replacing the image reaches B too. alice's new avatar reaches B
 * as the icon of her actor.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import type { MastodonMediaAttachment } from "../../src/api/mastodon/entities/media.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { followAndWait, waitForHome } from "../support/mastodon.ts";

let A: TestInstance;
let B: TestInstance;
let alice: TestUser;
let bob: TestUser;
let instances: TestInstance[];
let aliceOnB: string;

async function image(width: number, height: number, colour: string): Promise<Blob> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
  return new Blob([new Uint8Array(bytes)], { type: "image/png" });
}

async function upload(user: TestUser, description: string, blob: Blob): Promise<MastodonMediaAttachment> {
  const body = new FormData();
  body.append("file", blob, "plan.png");
  body.append("description", description);
  const res = await fetch(new URL("/api/v2/media", user.api.origin), { method: "POST", headers: { authorization: `Bearer ${user.token}` }, body });
  expect(res.status).toBe(200);
  return await res.json() as MastodonMediaAttachment;
}

async function post(user: TestUser, fields: Record<string, unknown>): Promise<MastodonStatus> {
  const res = await user.api.post<MastodonStatus>("/api/v1/statuses", fields);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function fetchBytes(url: string, token?: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** The status as bob's instance shows it. */
async function onB(uri: string): Promise<MastodonStatus> {
  const seen = await waitForHome(bob, uri);
  const res = await bob.api.get<MastodonStatus>(`/api/v1/statuses/${seen.id}`);
  expect(res.status).toBe(200);
  return res.body;
}

beforeAll(async () => {
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
  alice = await A.createUser("alice");
  bob = await B.createUser("bob");
  aliceOnB = (await followAndWait(bob, alice.handle)).id;
});

afterAll(async () => {
  await closeInstances(instances);
});

describe("an uploaded image on another instance", () => {
  test("a public status's image is shown on B through B's origin (A's URL as remote_url), with its description and size", async () => {
    const media = await upload(alice, "De kaart", await image(800, 600, "#336699"));
    const status = await post(alice, { status: "Kijk", media_ids: [media.id] });
    const [attachment] = (await onB(status.uri)).media_attachments;
    expect(attachment).toMatchObject({ type: "image", remote_url: media.url, description: "De kaart", meta: { original: { width: 800, height: 600 } } });
    expect(new URL(attachment!.url).origin).toBe(B.origin);
    const anonymous = await fetchBytes(attachment!.url);
    expect(anonymous.status).toBe(200);
    expect((await sharp(anonymous.bytes).metadata()).width).toBe(800);
  });

  test("a followers-only status's image: B serves it to bob (fetched from A, signed); A refuses it to anyone unsigned", async () => {
    const media = await upload(alice, "Alleen volgers", await image(300, 200, "#993366"));
    const status = await post(alice, { status: "Voor volgers", visibility: "private", media_ids: [media.id] });
    const [attachment] = (await onB(status.uri)).media_attachments;
    expect(attachment!.description).toBe("Alleen volgers");
    expect(new URL(attachment!.url).origin).toBe(B.origin);
    const viaB = await fetchBytes(attachment!.url, bob.token);
    expect(viaB.status).toBe(200);
    expect((await sharp(viaB.bytes).metadata()).width).toBe(300);
    expect((await fetchBytes(media.url)).status).toBe(404);
    expect((await fetchBytes(attachment!.url)).status).toBe(404);
  });

  test("an edit replacing the image reaches B", async () => {
    const first = await upload(alice, "eerste", await image(100, 100, "#111111"));
    const second = await upload(alice, "tweede", await image(120, 90, "#222222"));
    const status = await post(alice, { status: "Wordt vervangen", media_ids: [first.id] });
    await waitForHome(bob, status.uri);
    const edited = await alice.api.put<MastodonStatus>(`/api/v1/statuses/${status.id}`, { status: "Vervangen", media_ids: [second.id] });
    expect(edited.status, edited.text).toBe(200);
    await settle(instances);
    const shown = await waitFor(async () => {
      const current = await onB(status.uri);
      return current.media_attachments[0]?.description === "tweede" ? current : undefined;
    });
    expect(shown.media_attachments.map((m) => m.remote_url)).toEqual([second.url]);
  });

  test("alice's avatar reaches B as her actor's icon, shown through B's origin", async () => {
    const body = new FormData();
    body.append("avatar", await image(600, 600, "#ffcc00"), "me.png");
    const res = await fetch(new URL("/api/v1/accounts/update_credentials", A.origin), {
      method: "PATCH", headers: { authorization: `Bearer ${alice.token}` }, body,
    });
    expect(res.status).toBe(200);
    const avatar = (await res.json() as MastodonAccount).avatar;
    expect(new URL(avatar).origin).toBe(A.origin);
    await settle(instances);
    const shown = await waitFor(async () => {
      const account = (await bob.api.get<MastodonAccount>(`/api/v1/accounts/${aliceOnB}`)).body;
      return account.avatar.startsWith(`${B.origin}/media_proxy/avatar/`) ? account : undefined;
    });
    expect(shown.avatar_static).toBe(shown.avatar);
    expect((await fetchBytes(avatar)).status).toBe(200);
    const fetched = await fetchBytes(shown.avatar);
    expect(fetched.status).toBe(200);
    expect((await sharp(fetched.bytes).metadata()).width).toBe(400);
  });
});
