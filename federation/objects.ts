/**
 * Local posts as ActivityPub objects, one dispatcher per type at the paths of
 * src/domain/urls.ts. Who may fetch what is the visibility rule's answer for
 * the viewer derived from the request signature (federation/viewer.ts).
 *
 * Forbidden and absent are one path: the lookup itself carries the visibility
 * condition, so both run the same single query and the dispatcher returns
 * null, which Fedify turns into a fall-through to the Hono routes
 * (mountObjectFallbacks, then the web pages), which end in the same 404.
 * (Fedify's `.authorize()` would answer 401 for a forbidden object, which
 * tells the asker the object exists; that is why the rule is applied in the
 * lookup and not in `.authorize()`.)
 */
import type { Federation, RequestContext } from "@fedify/fedify";
import { Article, Document, Event, Note, Object as APObject, Page, Question } from "@fedify/vocab";
import type { Hono } from "hono";
import type { AppEnv } from "../src/context.ts";
import type { ObjectType } from "../src/db/schema.ts";
import { localObjectIri, objectPathPrefix } from "../src/domain/urls.ts";
import { findDeletedLocalPost, findVisibleLocalPost } from "../src/domain/posts/read.ts";
import { findActorById } from "../src/domain/remote-actors.ts";
import { federates, readableByAnyone } from "../src/domain/visibility.ts";
import type { AppContext } from "../src/context.ts";
import { NotFederatedError, renderPost, tombstone } from "./translate/outbound.ts";
import { markPrivate } from "./private-answers.ts";
import { viewerOfSignedRequest } from "./signed-requests.ts";

async function dispatchPost(ctx: RequestContext<AppContext>, type: ObjectType, slug: string): Promise<APObject | null> {
  const { db, config } = ctx.data;
  const iri = localObjectIri(config.origin, type, slug);
  if (iri === null) return null;
  // Our person's post in a group on another server: that group says which servers may read it.
  const viewer = await viewerOfSignedRequest(ctx, { postIri: iri });
  const post = await findVisibleLocalPost(db, viewer, { iri });
  if (!post || !federates(post.visibility)) return null;
  if (!readableByAnyone(post.visibility)) markPrivate(ctx.request);
  const author = await findActorById(db, post.actor_id);
  if (!author) return null;
  try {
    return await renderPost(ctx, post, author);
  } catch (error) {
    if (error instanceof NotFederatedError) return null;
    throw error;
  }
}

export function registerObjects(federation: Federation<AppContext>): void {
  federation.setObjectDispatcher<APObject, "id">(Note, "/notes/{id}", (ctx, v) => dispatchPost(ctx, "Note", v.id));
  federation.setObjectDispatcher<APObject, "id">(Article, "/articles/{id}", (ctx, v) => dispatchPost(ctx, "Article", v.id));
  federation.setObjectDispatcher<APObject, "id">(Page, "/pages/{id}", (ctx, v) => dispatchPost(ctx, "Page", v.id));
  federation.setObjectDispatcher<APObject, "id">(Event, "/events/{id}", (ctx, v) => dispatchPost(ctx, "Event", v.id));
  federation.setObjectDispatcher<APObject, "id">(Document, "/documents/{id}", (ctx, v) => dispatchPost(ctx, "Document", v.id));
  federation.setObjectDispatcher<APObject, "id">(Question, "/questions/{id}", (ctx, v) => dispatchPost(ctx, "Question", v.id));
}

/** The object types and their path prefixes, for routes that mirror the dispatchers. */
export const OBJECT_TYPES = Object.keys(objectPathPrefix) as ObjectType[];

/**
 * Does the client prefer an ActivityPub representation? The same negotiation
 * Fedify applies before dispatching: the most preferred type being HTML
 * means no; otherwise any JSON-LD (or plain JSON) type in the list means yes.
 * A request without Accept is answered as a browser.
 */
export function wantsActivityPub(request: Request): boolean {
  const accept = request.headers.get("accept");
  if (!accept) return false;
  const ranked = accept.split(",").flatMap((part, index) => {
    const [type = "", ...params] = part.split(";").map((s) => s.trim());
    if (!/^[^\s/]+\/[^\s/]+$/.test(type)) return [];
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key?.trim().toLowerCase() === "q") q = Number.parseFloat(value ?? "");
    }
    return Number.isFinite(q) && q > 0 ? [{ type: type.toLowerCase(), q, index }] : [];
  }).sort((a, b) => b.q - a.q || a.index - b.index).map((r) => r.type);
  if (ranked[0] === "text/html" || ranked[0] === "application/xhtml+xml") return false;
  return ranked.some((t) => t === "application/activity+json" || t === "application/ld+json" || t === "application/json");
}

/**
 * Hono routes behind Fedify for the object paths, registered before the web
 * pages. Fedify falls through to them when the dispatcher found nothing the
 * viewer may see, or when the client does not want JSON-LD. Browsers go on
 * to the web pages (src/web/posts.ts). ActivityPub clients get 410 with a
 * Tombstone for a deleted public or unlisted post, and otherwise the one 404
 * (absent and forbidden alike; deleted followers-only and direct posts too).
 */
export function mountObjectFallbacks(app: Hono<AppEnv>): void {
  for (const type of OBJECT_TYPES) {
    app.get(`${objectPathPrefix[type]}:slug`, async (c, next) => {
      if (!wantsActivityPub(c.req.raw)) return next();
      const { db, config } = c.get("deps");
      const iri = localObjectIri(config.origin, type, c.req.param("slug"));
      const post = iri === null ? undefined : await findDeletedLocalPost(db, iri);
      if (!post || !readableByAnyone(post.visibility)) return c.notFound();
      const body = JSON.stringify(await tombstone(post).toJsonLd());
      return new Response(body, {
        status: 410,
        headers: { "Content-Type": "application/activity+json", Vary: "Accept" },
      });
    });
  }
}
