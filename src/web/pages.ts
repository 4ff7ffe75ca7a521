/**
 * Home, profiles (a person's or a group's, at /@name), tag pages and the
 * Atom feed of a profile. Every list of posts goes through the domain's
 * timelines, so the visibility rule decides what each viewer sees. A
 * group's page is src/web/groups/about.ts.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../context.ts";
import type { Actor } from "../db/schema.ts";
import { findLocalActor } from "../domain/accounts.ts";
import { listGroups } from "../domain/group-content.ts";
import { isRowId } from "../domain/ids.ts";
import { actorPosts, homeTimeline, tagTimeline } from "../domain/timelines.ts";
import { atomFeed } from "./feed.ts";
import { groupAboutPage } from "./groups/about.ts";
import { groupTexts } from "./groups/group-page.ts";
import { type Alternate, type Html, layout, pageState, type PageState } from "./layout.ts";
import { notFoundPage, viewerOf } from "./page-basics.ts";
import { actorHref, actorName, PAGE_SIZE, paragraphs, postList } from "./render.ts";

// Moved to page-basics.ts; still exported here for code written against the first slice.
export { notFoundPage, viewerOf };

function olderQuery(c: Context<AppEnv>): string | undefined {
  const maxId = c.req.query("max_id");
  return maxId && isRowId(maxId) ? maxId : undefined;
}

function groupLinks(s: PageState, groups: Actor[]): Html {
  if (groups.length === 0) return html`<p>${s.t.noGroups}</p>`;
  return html`<ul class="groups">${groups.map((g) => html`<li><a href="${actorHref(g)}">${actorName(g)}</a></li>`)}</ul>`;
}

export function mountWebPages(app: Hono<AppEnv>): void {
  app.get("/", async (c) => {
    const { db } = c.get("deps");
    const s = await pageState(c);
    const viewer = viewerOf(s.me);
    if (!s.me) {
      const groups = await listGroups(db, viewer, {}, { limit: 50 });
      return c.html(layout(s, "Plein", html`<p><a href="/auth/sign_in">${s.t.signIn}</a></p>
<h2>${s.t.publicGroups}</h2>
${groupLinks(s, groups)}`));
    }
    const [mine, home] = await Promise.all([
      listGroups(db, viewer, { mine: true }, { limit: 50 }),
      homeTimeline(db, s.me.id, { maxId: olderQuery(c), limit: PAGE_SIZE }),
    ]);
    return c.html(layout(s, s.t.home, html`<h2>${s.t.yourGroups}</h2>
${groupLinks(s, mine)}
<p><a href="/groups/new">${groupTexts(s).newGroup}</a></p>
<h2>${s.t.newest}</h2>
${await postList(db, s, home, (id) => `/?max_id=${id}`)}`));
  });

  // Browsers opening an actor's id (Fedify answered "not acceptable" and handed the request on) go to its page.
  app.get("/users/:name", async (c) => {
    const { db, config } = c.get("deps");
    const actor = await findLocalActor(db, config.origin, c.req.param("name"));
    // The app's JSON 404: this id may have been asked for by an ActivityPub client.
    if (!actor || actor.gone_at || (actor.type !== "Person" && actor.type !== "Group")) return c.notFound();
    c.header("Vary", "Accept");
    return c.redirect(actorHref(actor), 302);
  });

  app.get("/tags/:name", async (c) => {
    const { db } = c.get("deps");
    const name = c.req.param("name").toLowerCase();
    if (!/^[\p{L}\p{N}_]{1,100}$/u.test(name)) return notFoundPage(c);
    const s = await pageState(c);
    const posts = await tagTimeline(db, viewerOf(s.me), { any: [name], all: [], none: [] }, { maxId: olderQuery(c), limit: PAGE_SIZE });
    return c.html(layout(s, s.t.tag(name), await postList(db, s, posts, (id) => `/tags/${encodeURIComponent(name)}?max_id=${id}`)));
  });

  app.get("/:handle{@[^/]+}", async (c) => {
    const { db, config } = c.get("deps");
    const handle = c.req.param("handle").slice(1);
    const feed = handle.endsWith(".atom");
    const actor = await findLocalActor(db, config.origin, feed ? handle.slice(0, -5) : handle);
    if (!actor || actor.gone_at || (actor.type !== "Person" && actor.type !== "Group")) return notFoundPage(c);
    if (feed) return atomFeed(c, actor);
    if (actor.type === "Group") return groupAboutPage(c, actor);
    const s = await pageState(c);
    const viewer = viewerOf(s.me);
    const alternates: Alternate[] = [{ type: "application/activity+json", href: actor.iri }];
    alternates.push({ type: "application/atom+xml", href: `${actorHref(actor)}.atom`, title: s.t.feed });
    const posts = await actorPosts(db, viewer, actor.id, { maxId: olderQuery(c), limit: PAGE_SIZE }, { excludeReblogs: true });
    return c.html(layout(s, actorName(actor), html`<p class="muted">@${actor.username}@${actor.domain}</p>
${paragraphs(actor.summary_html)}
<h2>${s.t.posts}</h2>
${await postList(db, s, posts, (id) => `${actorHref(actor)}?max_id=${id}`)}`, alternates));
  });
}
