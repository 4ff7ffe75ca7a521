/**
 * An upload of a form (Plein's API or the web page) becomes a file post:
 * the `file` part (one, not empty, at most the configured size), an optional
 * `title` and `description`. The caller checks first that the sharer may
 * share in the group (`checkMayShare`), before the body is read.
 */
import type { AppContext } from "../../context.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import { mediaStorage, MediaTooLargeError } from "../../media/index.ts";
import { composeText } from "../../api/mastodon/compose.ts";
import { optionalString, type Params } from "../../api/mastodon/params.ts";
import { shareFile } from "./files.ts";

/** Longest description (the same cap as a post's text in the Plein API). */
export const MAX_DESCRIPTION_CHARS = 50_000;

function fileParam(params: Params): File {
  const value = params.file;
  if (value === undefined || value === null || value === "") {
    throw invalid("file is required: send the file as a multipart/form-data part named file");
  }
  if (Array.isArray(value)) throw invalid("file: send one file per request");
  if (!(value instanceof File)) throw invalid("file must be a file part of a multipart/form-data body");
  if (value.size === 0) throw invalid("file is empty");
  return value;
}

async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Throws MediaTooLargeError for a file over the configured size, DomainError for the rest. */
export async function shareUpload(deps: AppContext, me: Actor, groupId: string, params: Params): Promise<Post> {
  const file = fileParam(params);
  const maxBytes = deps.config.maxFileBytes;
  if (file.size > maxBytes) throw new MediaTooLargeError(maxBytes);
  const title = optionalString(params, "title")?.trim() || null;
  const description = optionalString(params, "description") ?? "";
  if (description.length > MAX_DESCRIPTION_CHARS) throw invalid(`description is longer than ${MAX_DESCRIPTION_CHARS} characters`);
  const formatted = description.trim() === "" ? { html: "", mentionIds: [], tags: [] } : await composeText(deps, description);
  return shareFile(deps.db, deps.config.origin, mediaStorage(deps.config), me, groupId, {
    body: chunksOf(file.stream()), fileName: file.name, contentType: file.type, maxBytes,
  }, { title, contentHtml: formatted.html, contentSource: description, mentionIds: formatted.mentionIds, tags: formatted.tags });
}
