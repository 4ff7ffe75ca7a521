/**
 * Uploaded images, made safe to show: only JPEG, PNG, WebP and GIF, told by
 * their bytes (whatever type or name the upload claims); turned upright by
 * their EXIF orientation, then re-encoded, which drops every piece of
 * metadata (EXIF with GPS positions, XMP, IPTC, comments); scaled down to
 * Mastodon's limits; with a small preview and its blurhash. Video and audio
 * are refused: without a transcoder their metadata could not be stripped.
 */
import { encode } from "blurhash";
import type { Sharp } from "sharp";
import { loadSharp } from "./sharp.ts";

/** Mastodon's limits: originals of at most 3840x2160 pixels' worth, previews about 640 px on their longest side. */
export const IMAGE_LIMITS = {
  maxPixels: 3840 * 2160,
  previewSide: 640,
  /**
   * Mastodon's matrix limit (7680x4320): a larger image is refused before it
   * is decoded (a small file can claim a huge size and take the memory).
   */
  maxInputPixels: 7680 * 4320,
  avatar: { width: 400, height: 400 },
  header: { width: 1500, height: 500 },
} as const;

/** The types an upload may be, as sharp names their decoders. */
export const IMAGE_TYPES = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif" } as const;
type ImageFormat = keyof typeof IMAGE_TYPES;

/** The bytes are not an image this server takes (not one of the four types, corrupt, too large). */
export class UnsupportedImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedImageError";
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return prefix.every((b, i) => bytes[at + i] === b);
}

/**
 * The format the first bytes announce, before any decoder sees them: no
 * other decoder of libvips (SVG, PDF, TIFF, HEIF...) is ever run on an upload.
 */
function sniff(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return "gif";
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

export interface ImageVersion {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
}

export interface ProcessedImage {
  original: ImageVersion;
  /** a status's image has one; a profile's image is shown as it is */
  preview: ImageVersion | null;
  blurhash: string | null;
}

/** What an image is for: a status's attachment (fits the limits), an avatar or a header (cropped to their size). */
export type ImageUse = "attachment" | "avatar" | "header";

/** Runs sharp; its failures (a corrupt or truncated file) are the upload's fault. */
async function run<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnsupportedImageError) throw error;
    if (error instanceof Error) throw new UnsupportedImageError(`The file could not be read as an image (${what})`);
    throw error;
  }
}

function encodeAs(image: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case "jpeg": return image.jpeg({ quality: 85 });
    case "png": return image.png();
    case "webp": return image.webp({ quality: 85 });
    case "gif": return image.gif();
  }
}

/** Width and height within `maxPixels`, keeping the aspect. */
function fitPixels(width: number, height: number, maxPixels: number): { width: number; height: number } {
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

async function toVersion(image: Sharp, format: ImageFormat): Promise<ImageVersion> {
  const { data, info } = await encodeAs(image, format).toBuffer({ resolveWithObject: true });
  // An animated image's height is the whole strip of frames; a frame's is what clients show.
  const height = info.pageHeight ?? info.height;
  return { bytes: data, contentType: IMAGE_TYPES[format], width: info.width, height };
}

/** Mastodon's blurhash: 4x4 components, computed on a thumbnail. */
async function blurhashOf(preview: Buffer): Promise<string> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(preview, { pages: 1 }).resize(32, 32, { fit: "inside" }).ensureAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  return encode(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, 4, 4);
}

/**
 * Processes an uploaded image. Throws UnsupportedImageError for anything
 * that is not a JPEG, PNG, WebP or GIF that decodes whole.
 */
export async function processImage(input: Uint8Array, use: ImageUse): Promise<ProcessedImage> {
  const format = sniff(input);
  if (!format) throw new UnsupportedImageError("The file is not an image of a supported type (JPEG, PNG, WebP or GIF)");
  // A status's GIF keeps its animation; a profile's image is its first frame.
  const animated = format === "gif" && use === "attachment";
  const sharp = await loadSharp();
  const open = (): Sharp => sharp(input, { animated, limitInputPixels: IMAGE_LIMITS.maxInputPixels, failOn: "error" }).autoOrient();
  // Headers only: the size is checked below, with a message that says so.
  const meta = await run("metadata", () => sharp(input, { animated, limitInputPixels: false }).metadata());
  // The decoder that will run must be the one the bytes announced.
  if (meta.format !== format) throw new UnsupportedImageError("The file is not an image of a supported type (JPEG, PNG, WebP or GIF)");
  const frameHeight = animated ? meta.pageHeight ?? meta.autoOrient.height : meta.autoOrient.height;
  const width = meta.autoOrient.width;
  if (width * frameHeight > IMAGE_LIMITS.maxInputPixels) {
    throw new UnsupportedImageError(`The image is larger than ${IMAGE_LIMITS.maxInputPixels} pixels`);
  }

  if (use !== "attachment") {
    const size = IMAGE_LIMITS[use];
    const original = await run("resize", () => toVersion(open().resize(size.width, size.height, { fit: "cover" }), format));
    return { original, preview: null, blurhash: null };
  }
  const target = fitPixels(width, frameHeight, IMAGE_LIMITS.maxPixels);
  const original = await run("resize", () => toVersion(
    target.width === width ? open() : open().resize(target.width, target.height, { fit: "fill" }), format));
  const side = IMAGE_LIMITS.previewSide;
  const preview = await run("preview", () => toVersion(
    sharp(original.bytes, { animated }).resize(side, side, { fit: "inside", withoutEnlargement: true }), format));
  const blurhash = await run("blurhash", () => blurhashOf(preview.bytes));
  return { original, preview, blurhash };
}

/**
 * The small version and blurhash of a custom thumbnail (`thumbnail` of an
 * upload), encoded in the format of the image it stands for (an upload's
 * versions share one content type).
 */
export async function processThumbnail(input: Uint8Array, of: ImageVersion): Promise<{ preview: ImageVersion; blurhash: string }> {
  const { original } = await processImage(input, "attachment");
  const format = (Object.keys(IMAGE_TYPES) as ImageFormat[]).find((f) => IMAGE_TYPES[f] === of.contentType) ?? "png";
  const sharp = await loadSharp();
  const side = IMAGE_LIMITS.previewSide;
  const preview = await run("thumbnail", () => toVersion(
    sharp(original.bytes, { pages: 1 }).resize(side, side, { fit: "inside", withoutEnlargement: true }), format));
  return { preview, blurhash: await run("blurhash", () => blurhashOf(preview.bytes)) };
}
