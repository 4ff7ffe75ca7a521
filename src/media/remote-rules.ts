/**
 * What this server takes of other servers' files it serves from its own
 * origin (src/media/remote-cache.ts): how large, of which types, for how long.
 * The caps are Mastodon's for the same files (avatars and headers 2 MB,
 * images 16 MB, video and audio 99 MB), so that nothing a Mastodon server
 * publishes is refused here.
 */
import type { RemoteMediaKind } from "../db/schema.ts";
import { normaliseContentType, OCTET_STREAM } from "./serving.ts";

const MiB = 1024 ** 2;

export const REMOTE_MEDIA_LIMITS = {
  avatarBytes: 2 * MiB,
  headerBytes: 2 * MiB,
  imageBytes: 16 * MiB,
  videoBytes: 99 * MiB,
} as const;

/** A copy unused this long is dropped by housekeeping (fetched again when next asked for). */
export const REMOTE_MEDIA_RETENTION_DAYS = 7;

/** Pictures every browser shows and none runs. Not SVG: it may carry script. */
const IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]);
const PLAYABLE = new Set(["audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "audio/mp4", "video/mp4", "video/webm", "video/ogg"]);

/** The largest file of `kind` taken, by the type its post declared for an attachment. */
export function remoteMediaCap(kind: RemoteMediaKind, declaredType: string | null): number {
  if (kind === "avatar") return REMOTE_MEDIA_LIMITS.avatarBytes;
  if (kind === "header") return REMOTE_MEDIA_LIMITS.headerBytes;
  const type = normaliseContentType(declaredType);
  return type.startsWith("video/") || type.startsWith("audio/") ? REMOTE_MEDIA_LIMITS.videoBytes : REMOTE_MEDIA_LIMITS.imageBytes;
}

/**
 * The type a fetched file is kept and served as: the remote server's answer
 * if it is one allowed for `kind`, else the type the post declared if that
 * is. An avatar or header that is no picture is refused (null); an
 * attachment of another type is served as application/octet-stream, to be
 * downloaded, never shown.
 */
export function remoteMediaType(kind: RemoteMediaKind, answered: string | null, declared: string | null): string | null {
  const allowed = kind === "attachment" ? (t: string) => IMAGES.has(t) || PLAYABLE.has(t) : (t: string) => IMAGES.has(t);
  for (const candidate of [answered, declared]) {
    const type = normaliseContentType(candidate);
    if (allowed(type)) return type;
  }
  return kind === "attachment" ? OCTET_STREAM : null;
}
