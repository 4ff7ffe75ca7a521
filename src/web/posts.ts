/**
 * The web page of a post, and the redirect browsers get when they open a
 * post's ActivityPub id (Fedify hands requests that do not ask for JSON-LD
 * on to the Hono routes). A page shows what the visibility rule shows its
 * viewer (anonymous, or the person signed in on the site), with the
 * comments that viewer may see; everything else gets the same 404 as a post
 * that does not exist.
 */
import type { Hono } from "hono";
import { isRowId } from "../domain/ids.ts";
import type { AppEnv } from "../context.ts";
import type { Db } from "../db/database.ts";
import type { Actor, ObjectType, Post } from "../db/schema.ts";
import { localObjectIri, objectPathPrefix } from "../domain/urls.ts";
import { findVisibleLocalPost } from "../domain/posts/read.ts";
import { findActorById } from "../domain/remote-actors.ts";
import { context } from "../domain/timelines.ts";
import type { Viewer } from "../domain/visibility.ts";
import { html } from "hono/html";
import { type Html, layout, pageState, type PageState } from "./layout.ts";
import { htmlToParagraphs } from "./html-text.ts";
import { postPagePath, viewerOf } from "./page-basics.ts";
import { actorHref, actorName, paragraphs, postList } from "./render.ts";
import { type CommentDraft, threadSection } from "./groups/comments.ts";
import { postActions, postPlace } from "./groups/post-place.ts";
import { siteActor } from "./session.ts";
import { moduleDetails } from "./modules/details.ts";


export { htmlToParagraphs, postPagePath };

export interface PageRow {
  post: Post;
  author: Actor;
}

export async function withAuthor(db: Db, post: Post | undefined): Promise<PageRow | undefined> {
  if (!post) return undefined;
  const author = await findActorById(db, post.actor_id);
  if (!author?.local) return undefined;
  return { post, author };
}

/** A post's page; `draft` is a comment that was refused, shown again in the comment form with its error. */
export async function renderPage(db: Db, s: PageState, viewer: Viewer, row: PageRow, draft?: CommentDraft): Promise<Html> {
  const { post, author } = row;
  const name = actorName(author);
  const title = post.name || `${name}: ${htmlToParagraphs(post.content_html).join(" ").slice(0, 80)}`;
  const lang = post.language && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(post.language) ? post.language : undefined;
  const published = post.published_at.toISOString();
  const body = paragraphs(post.content_html);
  const { ancestors, descendants } = await context(db, viewer, post);
  const thread = await threadSection(db, s, viewer, row, descendants, draft);
  return layout(s, title, html`${await postPlace(db, s, post)}
${ancestors.length > 0 ? html`<nav aria-label="${s.t.thread}">${await postList(db, s, ancestors)}</nav>` : ""}
<article${lang ? html` lang="${lang}"` : ""}>
<header>
<p><a href="${actorHref(author)}">${name}</a> <span>@${author.username}@${author.domain}</span></p>
</header>
${post.summary ? html`<p><strong>${post.summary}</strong></p>
<details><summary>${s.t.showContent}</summary>
${body}
</details>` : body}
<footer><time datetime="${published}">${published.slice(0, 16).replace("T", " ")} UTC</time></footer>
</article>
${await moduleDetails(db, s, post)}
${await postActions(db, s, row)}
${thread}`, [{ type: "application/activity+json", href: post.iri }]);
}

export function mountPostPages(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/:id", async (c, next) => {
    const { db } = c.get("deps");
    const username = c.req.param("handle").slice(1);
    const id = c.req.param("id");
    // Not a post's id: a group's section (src/web/group-nav.ts) or nothing.
    if (!isRowId(id)) return next();
    const s = await pageState(c);
    const viewer = viewerOf(s.me);
    const row = await withAuthor(db, await findVisibleLocalPost(db, viewer, { id }));
    if (!row || row.author.username.toLowerCase() !== username.toLowerCase()) return c.notFound();
    c.header("Vary", "Accept, Cookie");
    return c.html(await renderPage(db, s, viewer, row));
  });

  // Browsers opening an object id: Fedify answered "not acceptable" and handed the request on.
  for (const type of Object.keys(objectPathPrefix) as ObjectType[]) {
    app.get(`${objectPathPrefix[type]}:slug`, async (c) => {
      const { db, config } = c.get("deps");
      const iri = localObjectIri(config.origin, type, c.req.param("slug"));
      if (iri === null) return c.notFound();
      const row = await withAuthor(db, await findVisibleLocalPost(db, viewerOf(await siteActor(c)), { iri }));
      if (!row) return c.notFound();
      c.header("Vary", "Accept, Cookie");
      return c.redirect(postPagePath(row.author.username, row.post.id), 302);
    });
  }
}
