/**
 * Mastodon's media API: POST /api/v2/media (and the older /api/v1/media)
 * uploads an image (multipart `file`, `description`, `focus`, `thumbnail`);
 * GET, PUT and DELETE /api/v1/media/:id read, describe and drop one's own
 * upload. Processing is synchronous, so v2 answers 200 with the finished
 * attachment. Only images are taken (src/media/images.ts says why).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid } from "../../domain/errors.ts";
import { deleteUnattachedUpload, findOwnUpload, type Focus, updateUpload } from "../../domain/uploads.ts";
import { allowLargeBody } from "../../http/body-limit.ts";
import { UnsupportedImageError } from "../../media/images.ts";
import { mediaStorage, MediaTooLargeError } from "../../media/index.ts";
import { dropStored, storeUpload } from "../../media/uploads.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { renderUpload } from "./entities/media.ts";
import { optionalString, type Params, pathId, readParams } from "./params.ts";

/** Room for the form's other fields and the multipart framing around the files. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;
const WRITE = "write:media";

/** A file part, or undefined when the parameter is absent; anything else is a 422. */
export function optionalFile(params: Params, name: string): File | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (!(value instanceof File)) throw invalid(`${name} must be a file part of a multipart/form-data body`);
  if (value.size === 0) throw invalid(`${name} is empty`);
  return value;
}

/** `focus` as Mastodon takes it: "x,y", each from -1 to 1. Absent is undefined, "" clears it. */
export function focusParam(params: Params): Focus | null | undefined {
  const value = optionalString(params, "focus");
  if (value === undefined) return undefined;
  if (value.trim() === "") return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value);
  const focus = m ? { x: Number(m[1]), y: Number(m[2]) } : null;
  if (!focus || Math.abs(focus.x) > 1 || Math.abs(focus.y) > 1) throw invalid("focus must be two numbers from -1 to 1, as \"x,y\"");
  return focus;
}

/** The bytes of an uploaded file part, within the configured limit. */
export async function fileBytes(file: File, maxBytes: number): Promise<Uint8Array> {
  if (file.size > maxBytes) throw new MediaTooLargeError(maxBytes);
  return new Uint8Array(await file.arrayBuffer());
}

/** The answer to an upload that failed for a reason of its own. */
export function uploadFailure(c: ApiContext, error: unknown): Response {
  if (error instanceof MediaTooLargeError) return c.json({ error: error.message }, 413);
  if (error instanceof UnsupportedImageError) return c.json({ error: `Validation failed: ${error.message}` }, 422);
  throw error;
}

export function mountMedia(app: Hono<AppEnv>): void {
  const maxBytes = (config: { maxFileBytes: number }) => 2 * config.maxFileBytes + FORM_OVERHEAD_BYTES;
  allowLargeBody({ method: "POST", path: "/api/v1/media", maxBytes });
  allowLargeBody({ method: "POST", path: "/api/v2/media", maxBytes });

  const upload = async (c: ApiContext) => {
    const deps = c.get("deps");
    const params = await readParams(c);
    const file = optionalFile(params, "file");
    if (!file) throw invalid("file is required: send the image as a multipart/form-data part named file");
    const thumbnail = optionalFile(params, "thumbnail");
    const description = optionalString(params, "description") ?? null;
    const focus = focusParam(params) ?? null;
    const limit = deps.config.maxFileBytes;
    try {
      const media = await storeUpload(deps.db, mediaStorage(deps.config), currentAccount(c), {
        purpose: "attachment",
        bytes: await fileBytes(file, limit),
        fileName: file.name,
        description,
        focus,
        thumbnail: thumbnail ? await fileBytes(thumbnail, limit) : null,
        maxBytes: limit,
      });
      return c.json(renderUpload(deps.config.origin, media));
    } catch (error) {
      return uploadFailure(c, error);
    }
  };

  const v1 = new Hono<ApiEnv>();
  v1.post("/", requireAuth(WRITE), upload);

  v1.get("/:id", requireAuth(WRITE), async (c) => {
    const deps = c.get("deps");
    return c.json(renderUpload(deps.config.origin, await findOwnUpload(deps.db, currentAccount(c), pathId(c))));
  });

  v1.put("/:id", requireAuth(WRITE), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const id = pathId(c);
    // Others' ids are the 404 of absent ones, before the body is read.
    await findOwnUpload(deps.db, me, id);
    const params = await readParams(c);
    const description = optionalString(params, "description");
    const focus = focusParam(params);
    const media = await updateUpload(deps.db, me, id, {
      ...(description !== undefined ? { description } : {}),
      ...(focus !== undefined ? { focus } : {}),
    });
    return c.json(renderUpload(deps.config.origin, media));
  });

  v1.delete("/:id", requireAuth(WRITE), async (c) => {
    const deps = c.get("deps");
    const media = await deleteUnattachedUpload(deps.db, currentAccount(c), pathId(c));
    await dropStored(mediaStorage(deps.config), [media.storage_key, media.preview_storage_key]);
    return c.json(renderUpload(deps.config.origin, media));
  });

  const v2 = new Hono<ApiEnv>();
  v2.post("/", requireAuth(WRITE), upload);

  app.route("/api/v1/media", v1);
  app.route("/api/v2/media", v2);
}
