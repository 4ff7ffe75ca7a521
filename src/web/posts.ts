/**
 * The web page of a post, and the redirect browsers get when they open a
 * post's ActivityPub id (Fedify hands requests that do not ask for JSON-LD
 * on to the Hono routes). Pages are for anonymous readers: what the
 * visibility rule shows to `ANONYMOUS`, and for everything else the same
 * 404 as for a post that does not exist.
 */
import type { Hono } from "hono";
import { isRowId } from "../domain/ids.ts";
import type { AppEnv } from "../context.ts";
import type { Db } from "../db/database.ts";
import type { ObjectType, Post } from "../db/schema.ts";
import { localObjectIri, objectPathPrefix } from "../domain/urls.ts";
import { findVisibleLocalPost } from "../domain/posts/read.ts";
import { findActorById } from "../domain/remote-actors.ts";
import { ANONYMOUS } from "../domain/visibility.ts";
import { escapeHtml } from "../domain/text.ts";


/** The page of a local post. */
export function postPagePath(username: string, postId: string): string {
  return `/@${encodeURIComponent(username)}/${postId}`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " };

/** Drops tags in one pass (a regex like /<[^>]*>/g goes quadratic on many unclosed "<"). */
function stripTags(html: string): string {
  let out = "";
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf("<", i);
    if (open < 0) break;
    const close = html.indexOf(">", open + 1);
    if (close < 0) break; // no tag closes after this point: the rest is text
    out += html.slice(i, open);
    const tag = html.slice(open + 1, Math.min(close, open + 4)).toLowerCase();
    if (tag.startsWith("br")) out += "\n";
    else if (tag.startsWith("/p")) out += "\n\n";
    i = close + 1;
  }
  return out + html.slice(i);
}

/** Stored HTML to plain text paragraphs (tags dropped, common entities decoded), in linear time. */
export function htmlToParagraphs(html: string): string[] {
  const text = stripTags(html)
    .replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    });
  return text.split(/\n{2,}/).map((p) => p.trim()).filter((p) => p.length > 0);
}

interface PageRow {
  post: Post;
  username: string;
  domain: string;
  displayName: string;
}

async function withAuthor(db: Db, post: Post | undefined): Promise<PageRow | undefined> {
  if (!post) return undefined;
  const author = await findActorById(db, post.actor_id);
  if (!author?.local) return undefined;
  return { post, username: author.username, domain: author.domain, displayName: author.display_name };
}

function renderPage(row: PageRow): string {
  const { post } = row;
  const handle = `@${row.username}@${row.domain}`;
  const author = row.displayName || row.username;
  const title = post.name || `${author}: ${htmlToParagraphs(post.content_html).join(" ").slice(0, 80)}`;
  const body = htmlToParagraphs(post.content_html).map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("\n");
  const lang = post.language && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(post.language) ? ` lang="${escapeHtml(post.language)}"` : "";
  const published = post.published_at.toISOString();
  const warning = post.summary ? `<p><strong>${escapeHtml(post.summary)}</strong></p>\n<details><summary>Show content</summary>\n${body}\n</details>` : body;
  return `<!doctype html>
<html${lang}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="alternate" type="application/activity+json" href="${escapeHtml(post.iri)}">
</head>
<body>
<main>
<article>
<header>
<p><a href="/@${escapeHtml(encodeURIComponent(row.username))}">${escapeHtml(author)}</a> <span>${escapeHtml(handle)}</span></p>
${post.name ? `<h1>${escapeHtml(post.name)}</h1>` : ""}
</header>
${warning}
<footer><time datetime="${published}">${published.slice(0, 16).replace("T", " ")} UTC</time></footer>
</article>
</main>
</body>
</html>
`;
}

export function mountPostPages(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/:id", async (c) => {
    const { db } = c.get("deps");
    const username = c.req.param("handle").slice(1);
    const id = c.req.param("id");
    if (!isRowId(id)) return c.notFound();
    const row = await withAuthor(db, await findVisibleLocalPost(db, ANONYMOUS, { id }));
    if (!row || row.username.toLowerCase() !== username.toLowerCase()) return c.notFound();
    c.header("Vary", "Accept");
    return c.html(renderPage(row));
  });

  // Browsers opening an object id: Fedify answered "not acceptable" and handed the request on.
  for (const type of Object.keys(objectPathPrefix) as ObjectType[]) {
    app.get(`${objectPathPrefix[type]}:slug`, async (c) => {
      const { db, config } = c.get("deps");
      const iri = localObjectIri(config.origin, type, c.req.param("slug"));
      if (iri === null) return c.notFound();
      const row = await withAuthor(db, await findVisibleLocalPost(db, ANONYMOUS, { iri }));
      if (!row) return c.notFound();
      c.header("Vary", "Accept");
      return c.redirect(postPagePath(row.username, row.post.id), 302);
    });
  }
}
