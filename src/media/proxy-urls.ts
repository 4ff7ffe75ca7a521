/**
 * The URLs at which this server serves other servers' files
 * (`/media_proxy/<kind>/<id>/<mac>`, src/api/media-proxy.ts). The id names
 * a row this server holds (an actor, a post's attachment); the mac, an
 * HMAC of kind, id and the remote URL under a key only this server knows,
 * makes the URL unguessable: only a URL this server rendered opens, so no
 * one can make it fetch anything by walking ids, and a URL stops working
 * when the remote URL behind it changes (a new avatar).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../config.ts";
import type { Db } from "../db/database.ts";
import type { Actor, RemoteMediaKind } from "../db/schema.ts";
import { serverSecret } from "../domain/server-secrets.ts";

export const MEDIA_PROXY_PREFIX = "/media_proxy";
const SECRET = "media-proxy";
/** 132 bits */
const MAC_CHARS = 22;

function macOf(key: Uint8Array, kind: RemoteMediaKind, id: string, url: string): string {
  return createHmac("sha256", key).update(`${kind}\n${id}\n${url}`).digest("base64url").slice(0, MAC_CHARS);
}

export interface MediaProxyUrls {
  /** our URL for a remote actor's avatar or header; null for a local actor, none, or one on our own origin */
  picture(actor: Pick<Actor, "id" | "local" | "avatar_url" | "header_url">, kind: "avatar" | "header"): string | null;
  /** our URL for an attachment of a remote post anyone may read; null for one on our own origin */
  attachment(attachment: { id: string; url: string }): string | null;
}

/** The URL builder of one instance (its key is read once per database). */
export async function mediaProxyUrls(deps: { db: Db; config: Config }): Promise<MediaProxyUrls> {
  const key = await serverSecret(deps.db, SECRET);
  const origin = deps.config.origin;
  const build = (kind: RemoteMediaKind, id: string, url: string) => {
    if (!URL.canParse(url) || new URL(url).origin === origin.origin) return null;
    return new URL(`${MEDIA_PROXY_PREFIX}/${kind}/${id}/${macOf(key, kind, id, url)}`, origin).href;
  };
  return {
    picture(actor, kind) {
      const url = kind === "avatar" ? actor.avatar_url : actor.header_url;
      return actor.local || !url ? null : build(kind, actor.id, url);
    },
    attachment: (a) => build("attachment", a.id, a.url),
  };
}

/** Is `mac` the one this server gives for `kind`, `id` and `url`? */
export async function isMediaProxyMac(db: Db, kind: RemoteMediaKind, id: string, url: string, mac: string): Promise<boolean> {
  const expected = Buffer.from(macOf(await serverSecret(db, SECRET), kind, id, url));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
