/**
 * A file post as ActivityStreams: a `Document` whose `url` is a Link to the
 * file (with its `mediaType` and file name), with `mediaType` on the Document
 * too; its title is `name` and its description `content` (the core renders
 * those). The link answers like the post does: for a closed group's file,
 * only a member's server's signed request (federation/signed-requests.ts).
 */
import { Document, Link, type Object as APObject } from "@fedify/vocab";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { normaliseContentType, safeFileName } from "../../media/serving.ts";
import { type FileData, fileOfPost } from "./files.ts";

/** Where a post's file is downloaded on this server (the Plein API route in routes.ts). */
export function downloadUrl(origin: URL, postId: string): URL {
  return new URL(`/api/plein/v1/posts/${postId}/file`, origin);
}

export async function renderFile(db: Db, post: Post): Promise<Record<string, unknown>> {
  const file = await fileOfPost(db, post.id);
  if (!file || file.media_id === null) return {};
  const mediaType = file.media_type ?? undefined;
  return {
    url: new Link({ href: downloadUrl(new URL(post.iri), post.id), mediaType, name: file.file_name }),
    mediaType,
  };
}

function httpUrl(value: URL | null | undefined): string | null {
  if (!value || (value.protocol !== "http:" && value.protocol !== "https:")) return null;
  if (value.username || value.password) return null;
  return value.href.length <= LIMITS.urlChars ? value.href : null;
}

/** The name a URL's last path segment suggests, if any. */
function nameFromUrl(url: URL): string | null {
  const last = url.pathname.split("/").pop() ?? "";
  try {
    return last ? decodeURIComponent(last) : null;
  } catch {
    return last || null; // malformed %-escapes: the segment as it is
  }
}

/**
 * What a remote Document carries for this module: its file's URL (its `url`,
 * a Link or a plain URL), the declared media type (the Link's, else the
 * Document's; none means a link to a page, such as a Mobilizon resource) and
 * a file name (the Link's name, else the URL's last segment). Null when it
 * names no http(s) URL.
 */
export async function readFile(object: APObject): Promise<FileData | null> {
  if (!(object instanceof Document)) return null;
  const value = object.url;
  const link = value instanceof Link ? value : null;
  const url = httpUrl(link ? link.href : value instanceof URL ? value : null);
  if (url === null) return null;
  const declared = link?.mediaType ?? object.mediaType ?? null;
  const linkName = link?.name?.toString() ?? null;
  return {
    kind: "remote",
    url,
    fileName: safeFileName(linkName || nameFromUrl(new URL(url))),
    mediaType: declared === null ? null : normaliseContentType(declared),
  };
}
