/**
 * An account without an avatar or header names Mastodon's default pictures;
 * they are served, so apps show a grey picture instead of a broken image.
 */
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MastodonAccount } from "../../src/api/mastodon/entities/account.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
});

afterAll(async () => {
  await api?.close();
});

it.each([["avatar", 400, 400], ["header", 1500, 500]] as const)("serves the default %s the Account entity names", async (field, width, height) => {
  const account = await api.request<MastodonAccount>("GET", `/api/v1/accounts/${alice.id}`);
  const url = account.body[field];
  expect(url).toMatch(/\/original\/missing\.png$/);
  expect(account.body[`${field}_static`]).toBe(url);
  const res = await api.running.app.request(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const meta = await sharp(new Uint8Array(await res.arrayBuffer())).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(["png", width, height]);
});
