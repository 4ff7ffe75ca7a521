/**
 * The file module's routes under /api/plein/v1:
 * - POST /groups/:id/files (multipart: `file`, `title`, `description`) shares a file in a group;
 * - GET /posts/:id/file downloads a file post's file, for whoever may see the post.
 */
import type { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import type { Post } from "../../db/schema.ts";
import { notFound } from "../../domain/errors.ts";
import { findMedia } from "../../domain/media.ts";
import { getPost, getVisiblePost } from "../../domain/posts/read.ts";
import { RemoteMediaError } from "../../domain/resolver.ts";
import { allowLargeBody } from "../../http/body-limit.ts";
import { mediaStorage, MediaTooLargeError } from "../../media/index.ts";
import { fileHeaders } from "../../media/serving.ts";
import { fileViewer } from "../../api/file-viewer.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "../../api/mastodon/auth.ts";
import { pathId, readParams } from "../../api/mastodon/params.ts";
import { renderContent } from "../../api/plein/entities.ts";
import { visibleGroup } from "../../api/plein/groups.ts";
import { checkMayShare, fileOfPost, MODULE } from "./files.ts";
import { shareUpload } from "./upload.ts";

const logger = getLogger(["plein", "modules", "file"]);

/** Room for the form's other fields and the multipart framing around the file. */
export const FORM_OVERHEAD_BYTES = 1024 * 1024;

function tooLarge(c: ApiContext, error: MediaTooLargeError): Response {
  return c.json({ error: error.message }, 413);
}

export function mountFileRoutes(r: Hono<ApiEnv>): void {
  allowLargeBody({ method: "POST", path: "/api/plein/v1/groups/:id/files", maxBytes: (config) => config.maxFileBytes + FORM_OVERHEAD_BYTES });

  r.post("/groups/:id/files", requireAuth("write:statuses", "write:media"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const me = currentAccount(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    // Before the body is read: a non-member's upload is refused without taking it in.
    await checkMayShare(deps.db, me, group.actor.id);
    const params = await readParams(c);
    let post: Post;
    try {
      post = await shareUpload(deps, me, group.actor.id, params);
    } catch (error) {
      if (error instanceof MediaTooLargeError) return tooLarge(c, error);
      throw error;
    }
    const [json] = await renderContent(deps, [post], viewer);
    if (!json) throw notFound();
    return c.json(json);
  });

  r.get("/posts/:id/file", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const id = pathId(c);
    const viewer = await fileViewer(c, () => getPost(deps.db, id));
    // Absent, forbidden, not a file post, no file: the same 404.
    const post = await getVisiblePost(deps.db, viewer, id);
    const file = post.module === MODULE ? await fileOfPost(deps.db, post.id) : undefined;
    if (!file) throw notFound();
    if (file.media_id !== null) {
      const media = await findMedia(deps.db, file.media_id);
      const bytes = media ? await mediaStorage(deps.config).get(media.storage_key) : null;
      if (!media || !bytes) {
        logger.error("The bytes of file post {post} are missing from the media storage", { post: post.id });
        throw notFound();
      }
      const headers = fileHeaders({ contentType: media.content_type, fileName: media.file_name, size: bytes.size, sha256: media.sha256 });
      if (c.req.method === "HEAD") {
        await bytes.body.cancel(); // closes the file
        return new Response(null, { headers });
      }
      return new Response(bytes.body, { headers });
    }
    // Another server's file: fetched for the member, signed as this server (its
    // members' server may read the group's files), never from ourselves.
    if (file.url === null || file.media_type === null) throw notFound();
    if (new URL(file.url).origin === deps.config.origin.origin) throw notFound();
    if (c.req.method === "HEAD") return new Response(null, { headers: fileHeaders({ contentType: file.media_type, fileName: file.file_name }) });
    try {
      const remote = await deps.resolver.fetchMedia(file.url, { maxBytes: deps.config.maxFileBytes, signedOrigin: new URL(post.iri).origin });
      return new Response(remote.body, { headers: fileHeaders({ contentType: file.media_type, fileName: file.file_name, size: remote.size }) });
    } catch (error) {
      if (!(error instanceof RemoteMediaError)) throw error;
      logger.info("Could not fetch {url} for post {post}: {error}", { url: file.url, post: post.id, error: error.message });
      return c.json({ error: "The file could not be fetched from the server it is on" }, 502);
    }
  });
}
