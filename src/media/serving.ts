/**
 * How uploaded files are named, typed and served. A file is someone's upload:
 * whatever it claims to be, we never let a browser run it or another server
 * take it for an ActivityPub document (Mastodon CVE-2024-25623). It is served
 * with a type from a short list of inert ones (anything else is
 * application/octet-stream), as an attachment, with nosniff and a sandboxing
 * Content-Security-Policy.
 */

export const OCTET_STREAM = "application/octet-stream";

/** Longest content type kept; real ones are far shorter. */
const MAX_TYPE_CHARS = 127;
/** RFC 9110 token characters. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);

/**
 * A declared content type (a form part's, a remote Document's mediaType)
 * reduced to `type/subtype`, lower case, without parameters; anything that
 * is not one is application/octet-stream.
 */
export function normaliseContentType(declared: string | null | undefined): string {
  const base = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  return base.length <= MAX_TYPE_CHARS && MEDIA_TYPE.test(base) ? base : OCTET_STREAM;
}

/**
 * Types a file may be served as: ones no browser executes and no server
 * reads as ActivityPub. Not HTML, SVG, XML, JavaScript, JSON of any kind.
 */
const SERVABLE = new Set([
  "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
  "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "video/mp4", "video/webm", "video/ogg",
  "application/pdf", "text/plain", "text/csv", "application/zip",
  "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation",
]);

/** The type a file with this declared type is served as. */
export function servedContentType(declared: string | null | undefined): string {
  const type = normaliseContentType(declared);
  return SERVABLE.has(type) ? type : OCTET_STREAM;
}

const MAX_NAME_CHARS = 255;

/**
 * A file name as shown and offered for saving: its last path segment (either
 * separator), without control characters or quotes, trimmed, at most 255
 * characters; "file" when nothing is left.
 */
export function safeFileName(name: string | null | undefined): string {
  const last = (name ?? "").split(/[/\\]/).pop() ?? "";
  // C0 and C1 controls, DEL, quotes, and the bidirectional overrides that disguise extensions.
  const cleaned = last.replace(/[\u0000-\u001f\u007f-\u009f"\u202a-\u202e\u2066-\u2069]/g, "").trim();
  const capped = [...cleaned].slice(0, MAX_NAME_CHARS).join("");
  return capped === "" || capped === "." || capped === ".." ? "file" : capped;
}

/** RFC 6266: an ASCII fallback and the exact name in RFC 8187 encoding. */
export function attachmentDisposition(fileName: string): string {
  const name = safeFileName(fileName);
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/[\\"]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Nothing in a served file may run, load, submit or be framed, even if a browser were to render it. */
export const FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

export interface ServedFile {
  /** the declared type (it is served as `servedContentType` of it) */
  contentType: string;
  fileName: string;
  /** bytes, when known */
  size?: number | null;
  /** hex, when known */
  sha256?: string | null;
}

/** The response headers of a file download. */
export function fileHeaders(file: ServedFile): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": servedContentType(file.contentType),
    "Content-Disposition": attachmentDisposition(file.fileName),
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_CSP,
    // What a request may see depends on who made it (closed groups): never in shared caches.
    "Cache-Control": "private, no-store",
    Vary: "Authorization, Signature",
  };
  if (file.size !== null && file.size !== undefined) headers["Content-Length"] = String(file.size);
  if (file.sha256) headers.ETag = `"sha256-${file.sha256}"`;
  return headers;
}
