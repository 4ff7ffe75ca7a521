/**
 * A group's about page at /@group: its description, member count, the
 * viewer's membership action and its newest threads. A closed group shows
 * those who may not read it its name and description only; a secret one is a
 * 404 to those it does not know (src/web/groups/group-page.ts).
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { groupScope } from "../../domain/groups.ts";
import { isRowId } from "../../domain/ids.ts";
import { countMembers } from "../../domain/membership.ts";
import { groupPosts } from "../../domain/timelines.ts";
import { readableByAnyone } from "../../domain/visibility.ts";
import type { Alternate } from "../layout.ts";
import { notFoundPage } from "../page-basics.ts";
import { actorHref, PAGE_SIZE, paragraphs, postList } from "../render.ts";
import { closedNotice, groupFrame, groupPageOf } from "./group-page.ts";
import { membershipAction } from "./membership.ts";

export async function groupAboutPage(c: Context<AppEnv>, actor: Actor): Promise<Response> {
  const g = await groupPageOf(c, actor);
  if (!g) return notFoundPage(c);
  const { db } = c.get("deps");
  const { s, group } = g;
  c.header("Vary", "Accept, Cookie");
  if (!g.readable) return c.html(groupFrame(g, "about", html`${closedNotice(g)}${membershipAction(g)}`));
  const alternates: Alternate[] = readableByAnyone(groupScope(group))
    ? [{ type: "application/atom+xml", href: `${actorHref(actor)}.atom`, title: s.t.feed }]
    : [];
  const maxId = c.req.query("max_id");
  const [members, posts] = await Promise.all([
    countMembers(db, actor.id),
    groupPosts(db, g.viewer, actor.id, { maxId: maxId && isRowId(maxId) ? maxId : undefined, limit: PAGE_SIZE }, { excludeReplies: true }),
  ]);
  return c.html(groupFrame(g, "about", html`${paragraphs(actor.summary_html)}
<p>${s.t.members(members)}</p>
${membershipAction(g)}
<h2>${s.t.posts}</h2>
${await postList(db, s, posts, (id) => `${actorHref(actor)}?max_id=${id}`)}`, alternates));
}
