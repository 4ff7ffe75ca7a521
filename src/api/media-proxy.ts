/**
 * GET /media_proxy/:kind/:id/:mac: another server's avatar, header or
 * attachment, served from this server's origin (src/media/remote-cache.ts),
 * so that a member's app never contacts other servers.
 *
 * Only URLs this server rendered open (src/media/proxy-urls.ts: the mac),
 * and only for files it already knows: a remote actor's avatar or header,
 * an attachment of a remote post anyone may read. The route reads no
 * credentials (an app loads these in an <img>, without its token) and serves
 * only what anyone may see, for the anonymous viewer of the visibility rule;
 * attachments of posts not everyone may read stay at
 * /api/plein/v1/attachments/:id, which asks for the viewer's token. Every
 * other request, a wrong mac included, gets the one 404 and fetches nothing.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { notFound } from "../domain/errors.ts";
import { isRowId } from "../domain/ids.ts";
import { findRemoteMediaSource, isRemoteMediaKind } from "../domain/remote-media.ts";
import { ANONYMOUS } from "../domain/visibility.ts";
import { isMediaProxyMac, MEDIA_PROXY_PREFIX } from "../media/proxy-urls.ts";
import { type CachedMedia, remoteMediaCache, RemoteMediaUnavailableError } from "../media/remote-cache.ts";
import { attachmentDisposition, FILE_CSP, OCTET_STREAM } from "../media/serving.ts";

/** A day: the bytes behind one URL rarely change, and a new avatar gets a new URL. */
const MAX_AGE_SECONDS = 86_400;

function proxiedHeaders(file: CachedMedia): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": file.contentType,
    // Pictures, sound and video are shown; anything else only downloaded.
    "Content-Disposition": file.contentType === OCTET_STREAM ? attachmentDisposition("file") : "inline",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_CSP,
    // The same for every requester: only what anyone may see is served here.
    "Cache-Control": `public, max-age=${MAX_AGE_SECONDS}`,
    "Content-Length": String(file.size),
  };
  if (file.sha256) headers.ETag = `"sha256-${file.sha256}"`;
  return headers;
}

export function mountMediaProxy(app: Hono<AppEnv>): void {
  const r = new Hono<AppEnv>();
  r.get("/:kind/:id/:mac", async (c) => {
    const deps = c.get("deps");
    const { kind, id, mac } = c.req.param();
    if (!isRemoteMediaKind(kind) || !isRowId(id)) throw notFound();
    const source = await findRemoteMediaSource(deps.db, ANONYMOUS, kind, id);
    if (!source || !(await isMediaProxyMac(deps.db, kind, id, source.url, mac))) throw notFound();
    let file: CachedMedia;
    try {
      file = await remoteMediaCache(deps).open(source);
    } catch (error) {
      if (!(error instanceof RemoteMediaUnavailableError)) throw error;
      return c.json({ error: "The file could not be fetched from the server it is on" }, 502);
    }
    if (c.req.method === "HEAD") {
      await file.body.cancel();
      return new Response(null, { headers: proxiedHeaders(file) });
    }
    return new Response(file.body, { headers: proxiedHeaders(file) });
  });
  app.route(MEDIA_PROXY_PREFIX, r);
}
