/**
 * The pictures of accounts without an avatar or header. The Account entity
 * names Mastodon's paths for them (`/avatars/original/missing.png`,
 * `/headers/original/missing.png`), and apps load them like any picture:
 * without these routes every such account showed a broken image (found with
 * Phanpy). Plain grey PNGs, made once per process.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { FILE_CSP } from "../media/serving.ts";
import { loadSharp } from "../media/sharp.ts";

const GREY = { r: 0xd9, g: 0xe1, b: 0xe8 };
const PICTURES = {
  "/avatars/original/missing.png": { width: 400, height: 400 },
  "/headers/original/missing.png": { width: 1500, height: 500 },
} as const;

const made = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function picture(path: keyof typeof PICTURES): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = made.get(path);
  if (!bytes) {
    const { width, height } = PICTURES[path];
    bytes = loadSharp()
      .then((sharp) => sharp({ create: { width, height, channels: 3, background: GREY } }).png().toBuffer())
      .then((b) => new Uint8Array(b));
    made.set(path, bytes);
  }
  return bytes;
}

export function mountDefaultImages(app: Hono<AppEnv>): void {
  for (const path of Object.keys(PICTURES) as Array<keyof typeof PICTURES>) {
    app.get(path, async (c) => c.body(await picture(path), 200, {
      "Content-Type": "image/png",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": FILE_CSP,
      "Cache-Control": "public, max-age=86400",
    }));
  }
}
