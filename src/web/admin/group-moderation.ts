/**
 * Keeping order in a group: the moderation queue (`pendingPosts`, approve or
 * remove), the reports about the group's content (`groupReports`), and the
 * group's delivery log (`groupDeliveryAudit`: which servers received what).
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { groupDeliveryAudit } from "../../domain/audit.ts";
import { notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { approvePost, pendingPosts, removePost } from "../../domain/moderation.ts";
import { groupReports } from "../../domain/report-review.ts";
import { csrfField } from "../forms.ts";
import { postList } from "../render.ts";
import { acting, olderLink, pageOf } from "./common.ts";
import { auditTable, reportList } from "./lists.ts";
import { GROUP_ADMIN_ROUTE, type GroupAdmin, groupAdmin, groupAdminForm, groupAdminPage } from "./group-frame.ts";

async function moderationPage(c: Context<AppEnv>, g: GroupAdmin) {
  const { db } = c.get("deps");
  const posts = await pendingPosts(db, g.group, g.me, pageOf(c));
  const { a } = g.s;
  if (posts.length === 0) return groupAdminPage(g, "moderation", html`<p>${a.noPending}</p>`);
  const items = await Promise.all(posts.map(async (p, i) => html`<li class="pending">
${await postList(db, g.s, [p])}
<form class="inline" method="post" action="${g.base}/moderation/${p.id}/approve">${csrfField(g.s)}<button type="submit" aria-describedby="pending-${i}">${a.approve}</button></form>
<form class="inline" method="post" action="${g.base}/moderation/${p.id}/remove">${csrfField(g.s)}<button type="submit" aria-describedby="pending-${i}">${a.remove}</button></form>
<span id="pending-${i}" class="muted">${a.pending} ${i + 1}</span></li>`));
  return groupAdminPage(g, "moderation", html`<ol class="admin-list">${items}</ol>
${olderLink(g.s, posts.map((p) => p.id), (id) => `${g.base}/moderation?max_id=${id}`)}`);
}

export function mountGroupModeration(app: Hono<AppEnv>): void {
  app.get(`${GROUP_ADMIN_ROUTE}/moderation`, async (c) => {
    const g = await groupAdmin(c, "moderation");
    return g instanceof Response ? g : acting(c, g.s, g.base, async () => c.html(await moderationPage(c, g)));
  });

  app.post(`${GROUP_ADMIN_ROUTE}/moderation/:post/:action{approve|remove}`, async (c) => {
    const r = await groupAdminForm(c, "moderation");
    if (r instanceof Response) return r;
    const { g } = r;
    const { db } = c.get("deps");
    return acting(c, g.s, `${g.base}/moderation`, async () => {
      const postId = c.req.param("post");
      if (!isRowId(postId)) throw notFound();
      if (c.req.param("action") === "approve") await approvePost(db, g.group, g.me, postId);
      else await removePost(db, g.group, g.me, postId);
      return c.redirect(`${g.base}/moderation`, 303);
    });
  });

  app.get(`${GROUP_ADMIN_ROUTE}/reports`, async (c) => {
    const g = await groupAdmin(c, "reports");
    if (g instanceof Response) return g;
    return acting(c, g.s, g.base, async () => {
      const reports = await groupReports(c.get("deps").db, g.group, g.me, pageOf(c));
      return c.html(groupAdminPage(g, "reports", html`${reportList(g.s, reports)}
${olderLink(g.s, reports.map((r) => r.id), (id) => `${g.base}/reports?max_id=${id}`)}`));
    });
  });

  app.get(`${GROUP_ADMIN_ROUTE}/audit`, async (c) => {
    const g = await groupAdmin(c, "audit");
    if (g instanceof Response) return g;
    return acting(c, g.s, g.base, async () => {
      const records = await groupDeliveryAudit(c.get("deps").db, g.me, g.group.actor.id, {}, pageOf(c));
      return c.html(groupAdminPage(g, "audit", html`<p>${g.s.a.auditIntro}</p>
${auditTable(g.s, records)}
${olderLink(g.s, records.map((r) => r.id), (id) => `${g.base}/audit?max_id=${id}`)}`));
    });
  });
}
