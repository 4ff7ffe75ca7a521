/**
 * GET /uploads/:id/original and /uploads/:id/small: the bytes of this
 * server's own uploads (statuses' images, avatars, headers). A profile's
 * images are anyone's to see; a status's image is served to whoever the
 * visibility rule lets see the status (a bearer token's account, or the
 * server that signed the request); an unattached upload to its owner
 * only. Forbidden and absent answer the same 404. Served with the forced
 * safe headers of every file (src/media/serving.ts).
 */
import { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import type { AppEnv } from "../../context.ts";
import { notFound } from "../../domain/errors.ts";
import { getPost } from "../../domain/posts/read.ts";
import { checkMayFetchUpload, findServableUpload } from "../../domain/uploads.ts";
import { mediaStorage } from "../../media/index.ts";
import { fileHeaders } from "../../media/serving.ts";
import { fileViewer } from "../file-viewer.ts";
import { type ApiEnv, optionalAuth } from "./auth.ts";
import { pathId } from "./params.ts";

const logger = getLogger(["plein", "api", "media-files"]);

export function mountMediaFiles(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  r.get("/:id/:variant{original|small}", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const upload = await findServableUpload(deps.db, pathId(c));
    if (!upload) throw notFound();
    const postId = upload.postId;
    const viewer = await fileViewer(c, async () => (postId === undefined ? undefined : getPost(deps.db, postId)));
    await checkMayFetchUpload(deps.db, viewer, upload);
    const { media } = upload;
    const key = c.req.param("variant") === "small" ? media.preview_storage_key ?? media.storage_key : media.storage_key;
    const bytes = await mediaStorage(deps.config).get(key);
    if (!bytes) {
      logger.error("The bytes of upload {id} are missing from the media storage", { id: media.id });
      throw notFound();
    }
    const headers = fileHeaders({ contentType: media.content_type, fileName: media.file_name, size: bytes.size });
    if (c.req.method === "HEAD") {
      await bytes.body.cancel();
      return new Response(null, { headers });
    }
    return new Response(bytes.body, { headers });
  });
  app.route("/uploads", r);
}
