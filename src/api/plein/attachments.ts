/**
 * GET /api/plein/v1/attachments/:id: the file of a post's attachment, for
 * whoever may see the post (the bearer token's account; without one, only
 * attachments of posts anyone may read).
 *
 * The attachments of a post not everyone may read (followers-only, direct, a
 * closed group's) are shown to clients at this URL rather than at their own
 * server's address: that server serves them only to a signed request of a
 * server it trusts with the post, never to a member's app. This server
 * fetches the file signed as itself (only from the post's own server), keeps
 * a copy (src/media/remote-cache.ts: kept apart from unsigned copies of the
 * same URL), and serves it with the forced safe headers of every file it serves.
 * Forbidden and absent answer the same 404. No token in the URL: a link to
 * closed content must not open it for whoever it is passed on to.
 */
import type { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { notFound } from "../../domain/errors.ts";
import { findAttachment } from "../../domain/post-details.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { remoteMediaCache, RemoteMediaUnavailableError } from "../../media/remote-cache.ts";
import { fileHeaders, OCTET_STREAM, safeFileName } from "../../media/serving.ts";
import { type ApiEnv, optionalAuth, viewerOf } from "../mastodon/auth.ts";
import { pathId } from "../mastodon/params.ts";

const logger = getLogger(["plein", "api", "attachments"]);

/** The last path segment, decoded when it can be. */
function fileNameOf(url: URL): string {
  const last = url.pathname.split("/").pop() ?? "";
  try {
    return safeFileName(decodeURIComponent(last));
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    return safeFileName(last);
  }
}

export function mountAttachmentRoutes(r: Hono<ApiEnv>): void {
  r.get("/attachments/:id", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const attachment = await findAttachment(deps.db, pathId(c));
    if (!attachment) throw notFound();
    const post = await getVisiblePost(deps.db, viewerOf(c), attachment.post_id);
    if (!URL.canParse(attachment.url)) throw notFound();
    const source = new URL(attachment.url);
    // Never a request to ourselves.
    if (source.origin === deps.config.origin.origin) throw notFound();
    const fileName = fileNameOf(source);
    if (c.req.method === "HEAD") {
      return new Response(null, { headers: fileHeaders({ contentType: attachment.media_type ?? OCTET_STREAM, fileName }) });
    }
    try {
      const file = await remoteMediaCache(deps).open(
        { kind: "attachment", url: attachment.url, declaredType: attachment.media_type },
        { maxBytes: deps.config.maxFileBytes, signedOrigin: new URL(post.iri).origin },
      );
      const contentType = attachment.media_type ?? file.contentType;
      return new Response(file.body, { headers: fileHeaders({ contentType, fileName, size: file.size, sha256: file.sha256 }) });
    } catch (error) {
      if (!(error instanceof RemoteMediaUnavailableError)) throw error;
      logger.info("Could not fetch attachment {url} of post {post}: {error}", { url: attachment.url, post: post.id, error: error.message });
      return c.json({ error: "The file could not be fetched from the server it is on" }, 502);
    }
  });
}
