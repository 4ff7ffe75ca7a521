/** https://docs.joinmastodon.org/entities/MediaAttachment/ for this server's own uploads. */
import type { Media } from "../../../db/schema.ts";
import type { PostAttachment } from "../../../domain/post-details.ts";
import { mediaFileUrl } from "../../../domain/urls.ts";

export interface MediaDimensions {
  width: number;
  height: number;
  size: string;
  aspect: number;
}

export interface MastodonMediaMeta {
  original?: MediaDimensions;
  small?: MediaDimensions;
  focus?: { x: number; y: number };
}

export interface MastodonMediaAttachment {
  id: string;
  type: "image" | "gifv" | "video" | "audio" | "unknown";
  url: string;
  preview_url: string;
  remote_url: string | null;
  meta: MastodonMediaMeta;
  description: string | null;
  blurhash: string | null;
}

export function dimensions(width: number | null, height: number | null): MediaDimensions | undefined {
  if (!width || !height) return undefined;
  return { width, height, size: `${width}x${height}`, aspect: width / height };
}

function meta(v: { width: number | null; height: number | null; preview_width: number | null; preview_height: number | null; focus_x: number | null; focus_y: number | null }): MastodonMediaMeta {
  const original = dimensions(v.width, v.height);
  const small = dimensions(v.preview_width, v.preview_height);
  return {
    ...(original ? { original } : {}),
    ...(small ? { small } : {}),
    ...(v.focus_x !== null && v.focus_y !== null ? { focus: { x: v.focus_x, y: v.focus_y } } : {}),
  };
}

/** An upload as its owner sees it (POST/GET/PUT /api/v1/media). Only images are taken (src/media/images.ts). */
export function renderUpload(origin: URL, media: Media): MastodonMediaAttachment {
  const url = mediaFileUrl(origin, media.id, "original");
  return {
    id: media.id,
    type: "image",
    url,
    preview_url: media.preview_storage_key ? mediaFileUrl(origin, media.id, "small") : url,
    remote_url: null,
    meta: meta(media),
    description: media.description,
    blurhash: media.blurhash,
  };
}

/** A local status's attachment: the upload it shows (its id is the upload's), as it was when attached. */
export function renderAttachedUpload(a: PostAttachment & { media_id: string }): MastodonMediaAttachment {
  return {
    id: a.media_id,
    type: "image",
    url: a.url,
    preview_url: a.preview_url ?? a.url,
    remote_url: null,
    meta: meta(a),
    description: a.description,
    blurhash: a.blurhash,
  };
}
