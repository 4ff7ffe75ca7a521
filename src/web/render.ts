/** Pieces shared by the pages: a list of posts, a pager, text of stored HTML. */
import { html } from "hono/html";
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { findActorsByIds } from "../domain/remote-actors.ts";
import type { Html, PageState } from "./layout.ts";
import { htmlToParagraphs } from "./html-text.ts";
import { postPagePath } from "./page-basics.ts";

export const PAGE_SIZE = 20;

/** Stored HTML as escaped paragraphs of plain text. */
export function paragraphs(stored: string): Html {
  return html`${htmlToParagraphs(stored).map((p) => html`<p>${p}</p>\n`)}`;
}

export function actorName(a: Actor): string {
  return a.display_name || a.username;
}

/** The page of an account: ours at /@name, another server's at its own address. */
export function actorHref(a: Actor): string {
  return a.local ? `/@${encodeURIComponent(a.username)}` : (a.url ?? a.iri);
}

export function postHref(p: Post, author: Actor | undefined): string {
  return author?.local ? postPagePath(author.username, p.id) : (p.url ?? p.iri);
}

function onePost(p: Post, author: Actor | undefined): Html {
  const published = p.published_at.toISOString();
  return html`<article class="post">
<p>${author ? html`<a href="${actorHref(author)}">${actorName(author)}</a>` : ""}
<a href="${postHref(p, author)}"><time datetime="${published}">${published.slice(0, 16).replace("T", " ")} UTC</time></a></p>
${p.name ? html`<h3>${p.name}</h3>` : ""}
${p.summary ? html`<p><strong>${p.summary}</strong></p><details><summary>…</summary>${paragraphs(p.content_html)}</details>` : paragraphs(p.content_html)}
</article>`;
}

/** Posts with their authors (boosts are left out: the page shows what was written). */
export async function postList(db: Db, s: PageState, posts: Post[], olderHref?: (lastId: string) => string): Promise<Html> {
  const shown = posts.filter((p) => !p.reblog_of_id);
  if (shown.length === 0) return html`<p>${s.t.noPosts}</p>`;
  const authors = new Map((await findActorsByIds(db, [...new Set(shown.map((p) => p.actor_id))])).map((a) => [a.id, a]));
  const last = posts.at(-1);
  const older = olderHref && last && posts.length >= PAGE_SIZE ? html`<p><a href="${olderHref(last.id)}">${s.t.older}</a></p>` : "";
  return html`${shown.map((p) => onePost(p, authors.get(p.actor_id)))}${older}`;
}
