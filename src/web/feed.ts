/**
 * The Atom feed of a person or a public group: what the visibility rule
 * shows the anonymous viewer (public and unlisted posts, as Mastodon's
 * feeds), without replies and boosts.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../context.ts";
import type { Actor } from "../db/schema.ts";
import { groupScope, viewOf } from "../domain/groups.ts";
import { findActorsByIds } from "../domain/remote-actors.ts";
import { actorPosts, groupPosts } from "../domain/timelines.ts";
import { ANONYMOUS, readableByAnyone } from "../domain/visibility.ts";
import { htmlToParagraphs } from "./html-text.ts";
import { actorHref, actorName, PAGE_SIZE, postHref } from "./render.ts";

export async function atomFeed(c: Context<AppEnv>, actor: Actor): Promise<Response> {
  const { db, config } = c.get("deps");
  if (actor.type === "Group") {
    const group = await viewOf(db, actor);
    if (!readableByAnyone(groupScope(group))) return c.json({ error: "Not found" }, 404);
  }
  const page = { limit: PAGE_SIZE };
  const posts = (actor.type === "Group"
    ? await groupPosts(db, ANONYMOUS, actor.id, page, { excludeReplies: true })
    : await actorPosts(db, ANONYMOUS, actor.id, page, { excludeReblogs: true }))
    .filter((p) => !p.reblog_of_id);
  const authors = new Map((await findActorsByIds(db, [...new Set(posts.map((p) => p.actor_id))])).map((a) => [a.id, a]));
  const self = new URL(`${actorHref(actor)}.atom`, config.origin).href;
  const updated = (posts[0]?.published_at ?? actor.created_at).toISOString();
  const body = html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${self}</id>
<title>${actorName(actor)}</title>
<updated>${updated}</updated>
<link rel="self" href="${self}"/>
<link rel="alternate" type="text/html" href="${new URL(actorHref(actor), config.origin).href}"/>
${posts.map((p) => {
  const author = authors.get(p.actor_id);
  const text = htmlToParagraphs(p.content_html).join("\n\n");
  return html`<entry>
<id>${p.iri}</id>
<title>${p.name || text.slice(0, 80)}</title>
<updated>${(p.edited_at ?? p.published_at).toISOString()}</updated>
<published>${p.published_at.toISOString()}</published>
<author><name>${author ? actorName(author) : ""}</name></author>
<link rel="alternate" type="text/html" href="${new URL(postHref(p, author), config.origin).href}"/>
<content type="text">${text}</content>
</entry>
`;
})}</feed>
`;
  c.header("Content-Type", "application/atom+xml; charset=utf-8");
  return c.body(await body.toString());
}
