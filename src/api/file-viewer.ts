import { getCookie } from "hono/cookie";
import type { ApiContext } from "./mastodon/auth.ts";
import { viewerOf } from "./mastodon/auth.ts";
import { sessionActor } from "../domain/sessions.ts";
import { ANONYMOUS, type Viewer } from "../domain/visibility.ts";
import { SITE_SESSION } from "../web/session.ts";

/**
 * Who is downloading a file of a post: a signed-in account (bearer token,
 * or the site's session cookie: the web pages link here), else the server or actor that signed the request (another server fetching
 * a file of a post it was trusted with), else anonymous.
 */
export async function fileViewer(c: ApiContext, postOf: () => Promise<{ iri: string } | undefined>): Promise<Viewer> {
  const viewer = viewerOf(c);
  if (viewer.kind !== "anonymous") return viewer;
  const site = getCookie(c, SITE_SESSION);
  const person = site ? await sessionActor(c.get("deps").db, site) : undefined;
  if (person) return { kind: "local", actorId: person.id };
  const headers = c.req.raw.headers;
  if (!headers.has("signature") && !headers.has("signature-input")) return ANONYMOUS;
  // The post is read only for a signed request: its id tells the resolver which server it is about.
  const post = await postOf();
  return c.get("deps").resolver.requestViewer(c.req.raw, post ? { postIri: post.iri } : {});
}
