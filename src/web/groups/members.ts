/**
 * /@group/members: the group's current members with their roles, newest
 * first, paged, for those who may see them (canSeeMembers); a closed group
 * shows others its notice, a secret one is a 404 to those it does not know.
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { isRowId } from "../../domain/ids.ts";
import { canSeeMembers, listMemberships } from "../../domain/membership.ts";
import { groupSectionHref } from "../group-nav.ts";
import { notFoundPage } from "../page-basics.ts";
import { actorHref, actorName, PAGE_SIZE } from "../render.ts";
import { closedNotice, findGroupPage, groupFrame, groupTexts } from "./group-page.ts";

export function mountGroupMembers(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/members", async (c) => {
    const g = await findGroupPage(c, c.req.param("handle"));
    if (!g) return notFoundPage(c);
    const { db } = c.get("deps");
    const { s, group } = g;
    const t = groupTexts(s);
    c.header("Vary", "Accept, Cookie");
    if (!(await canSeeMembers(db, g.viewer, group))) return c.html(groupFrame(g, "members", closedNotice(g)));
    const maxId = c.req.query("max_id");
    const entries = await listMemberships(db, group.actor.id, "member", { maxId: maxId && isRowId(maxId) ? maxId : undefined, limit: PAGE_SIZE });
    const last = entries.at(-1);
    const more = last && entries.length >= PAGE_SIZE
      ? html`<p><a href="${groupSectionHref(group, "members")}?max_id=${last.cursor}">${t.moreMembers}</a></p>`
      : "";
    const list = entries.length === 0 ? html`<p>${t.noMembers}</p>` : html`<ul class="members">
${entries.map(({ actor, membership }) => html`<li><a href="${actorHref(actor)}">${actorName(actor)}</a>
<span class="muted">@${actor.username}@${actor.domain}</span> · ${t.roles[membership.role]}${membership.title ? html` · ${membership.title}` : ""}${membership.organisation ? html` · ${membership.organisation}` : ""}</li>`)}
</ul>`;
    return c.html(groupFrame(g, "members", html`${list}${more}`));
  });
}
