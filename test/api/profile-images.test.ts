/**
 * Avatars and headers: `avatar` and `header` files of PATCH
 * /api/v1/accounts/update_credentials, cropped and stripped of metadata,
 * served to anyone, rendered on the Account, and removed with DELETE
 * /api/v1/profile/avatar and /header. Each change queues an Update of the actor.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { type Api, ORIGIN, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
let bob: User;

async function photo(width: number, height: number): Promise<Blob> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: { r: 10, g: 150, b: 90 } } })
    .jpeg().withExif({ IFD0: { Make: "SpyCam" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "52/1 5/1 0/1" } }).toBuffer();
  return new Blob([new Uint8Array(bytes)], { type: "image/jpeg" });
}

function form(fields: Record<string, string | [Blob, string]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) data.append(name, value[0], value[1]);
    else data.append(name, value);
  }
  return data;
}

const queuedUpdates = async () => {
  const rows = await api.running.deps.db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute();
  return rows.filter((r) => (r.payload as { type?: string }).type === "actor.update").length;
};

async function served(url: string): Promise<{ status: number; width?: number; height?: number; exif?: Buffer }> {
  const res = await api.running.app.request(url);
  if (res.status !== 200) return { status: res.status };
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  return { status: 200, width: meta.width, height: meta.height, exif: meta.exif };
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob] = await Promise.all([api.user("alice"), api.user("bob")]);
});

afterAll(async () => {
  await api?.close();
});

describe("avatar and header", () => {
  test("are cropped (400x400, 1500x500), stripped of EXIF, rendered on the account, served to anyone, and federated by an Update", async () => {
    const before = await queuedUpdates();
    const res = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: alice.token,
      body: form({ display_name: "Alice", avatar: [await photo(1000, 600), "me.jpg"], header: [await photo(2000, 1200), "banner.jpg"] }),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.display_name).toBe("Alice");
    expect(res.body.avatar).toMatch(new RegExp(`^${ORIGIN}/uploads/\\d+/original$`));
    expect(res.body.avatar_static).toBe(res.body.avatar);
    expect(res.body.header).toMatch(new RegExp(`^${ORIGIN}/uploads/\\d+/original$`));
    expect(res.body.header_static).toBe(res.body.header);
    expect(await served(res.body.avatar)).toEqual({ status: 200, width: 400, height: 400, exif: undefined });
    expect(await served(res.body.header)).toEqual({ status: 200, width: 1500, height: 500, exif: undefined });
    // avatar, header, and the text fields: each change tells followers' servers.
    expect(await queuedUpdates()).toBeGreaterThan(before);
    const shown = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`, { token: bob.token });
    expect(shown.body.avatar).toBe(res.body.avatar);
  });

  test("a new avatar replaces the old one, whose file is gone", async () => {
    const first = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: bob.token, body: form({ avatar: [await photo(300, 300), "one.jpg"] }),
    });
    const second = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: bob.token, body: form({ avatar: [await photo(500, 500), "two.jpg"] }),
    });
    expect(second.status).toBe(200);
    expect(second.body.avatar).not.toBe(first.body.avatar);
    expect((await served(first.body.avatar)).status).toBe(404);
    expect((await served(second.body.avatar)).status).toBe(200);
  });

  test("DELETE /api/v1/profile/avatar and /header go back to none", async () => {
    const set = await api.request<MastodonAccount>("PATCH", "/api/v1/accounts/update_credentials", {
      token: bob.token, body: form({ avatar: [await photo(200, 200), "a.jpg"], header: [await photo(900, 300), "h.jpg"] }),
    });
    for (const image of ["avatar", "header"] as const) {
      const before = await queuedUpdates();
      const res = await api.request<MastodonAccount>("DELETE", `/api/v1/profile/${image}`, { token: bob.token });
      expect(res.status, res.text).toBe(200);
      expect(res.body[image]).toMatch(/\/missing\.png$/);
      expect((await served(set.body[image])).status).toBe(404);
      expect(await queuedUpdates()).toBe(before + 1);
    }
    expect((await api.request("DELETE", "/api/v1/profile/avatar")).status).toBe(401);
  });

  test("a file that is not an image is a 422 and changes nothing", async () => {
    const before = await api.request<MastodonAccount>("GET", "/api/v1/accounts/verify_credentials", { token: alice.token });
    const res = await api.request("PATCH", "/api/v1/accounts/update_credentials", {
      token: alice.token, body: form({ avatar: [new Blob(["<html>hi</html>"], { type: "image/png" }), "a.png"] }),
    });
    expect(res.status).toBe(422);
    const after = await api.request<MastodonAccount>("GET", "/api/v1/accounts/verify_credentials", { token: alice.token });
    expect(after.body.avatar).toBe(before.body.avatar);
  });
});
