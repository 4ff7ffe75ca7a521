/**
 * `/search?q=`: people and groups by name (secret groups only for those they
 * know of), hashtags used in posts the viewer may see, and, for the
 * signed-in, a post by its address (fetched from its server if need be),
 * shown only when the viewer may see it. A GET form; results as lists.
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { findActorByIri } from "../../domain/remote-actors.ts";
import { findableActors, findPostForSearch, searchActors, searchTags } from "../../domain/search.ts";
import { layout, pageState } from "../layout.ts";
import { viewerOf } from "../pages.ts";
import { actorHref, actorName, PAGE_SIZE, postList } from "../render.ts";
import { accountTexts } from "./texts.ts";

const MAX_QUERY = 512;
const TAG = /^#?([\p{L}\p{M}\p{N}_]{1,100})$/u;
const HANDLE = /^@?([^@\s/]*)(?:@([^@\s/]+))?$/;

const isUrl = (q: string) => /^https?:\/\//i.test(q) && URL.canParse(q);

export function mountSearchPage(app: Hono<AppEnv>): void {
  app.get("/search", async (c) => {
    const s = await pageState(c);
    const a = accountTexts(s.lang);
    const { db, resolver } = c.get("deps");
    const viewer = viewerOf(s.me);
    const q = (c.req.query("q") ?? "").trim().slice(0, MAX_QUERY);
    let accounts: Actor[] = [];
    let tags: string[] = [];
    let posts: Post[] = [];
    if (q !== "" && isUrl(q)) {
      const [actor, post] = await Promise.all([findActorByIri(db, q), findPostForSearch(db, resolver, viewer, q, viewer.kind === "local")]);
      if (actor) accounts = await findableActors(db, viewer, [actor]);
      if (post) posts = [post];
    } else if (q !== "") {
      const handle = HANDLE.exec(q);
      const tag = TAG.exec(q);
      const [found, foundTags] = await Promise.all([
        handle && handle[1] ? searchActors(db, { username: handle[1], ...(handle[2] ? { domain: handle[2] } : {}), limit: PAGE_SIZE, offset: 0 }) : [],
        tag ? searchTags(db, viewer, tag[1]!.toLowerCase(), PAGE_SIZE, 0) : [],
      ]);
      accounts = await findableActors(db, viewer, found);
      tags = foundTags;
    }
    const nothing = q !== "" && accounts.length === 0 && tags.length === 0 && posts.length === 0;
    return c.html(layout(s, a.search, html`
<form role="search" method="get" action="/search" class="search">
<label for="q">${a.query}</label>
<input type="search" id="q" name="q" value="${q}" aria-describedby="q-hint" maxlength="${MAX_QUERY}">
<p id="q-hint" class="hint">${a.searchHint}</p>
<button type="submit">${a.search}</button>
</form>
${nothing ? html`<p role="status">${a.nothingFound}</p>` : ""}
${accounts.length ? html`<h2>${a.accounts}</h2><ul class="rows">${accounts.map((x) => html`<li><a href="${actorHref(x)}">${actorName(x)}</a> <span class="muted">@${x.username}@${x.domain}</span></li>`)}</ul>` : ""}
${tags.length ? html`<h2>${a.hashtags}</h2><ul class="rows">${tags.map((t) => html`<li><a href="/tags/${encodeURIComponent(t)}">#${t}</a></li>`)}</ul>` : ""}
${posts.length ? html`<h2>${a.post}</h2>${await postList(db, s, posts)}` : ""}`));
  });
}
