/**
 * `/admin/users` (local accounts, paged; suspend and lift), `/admin/reports`
 * (received and filed, open or all; resolve and reopen) and `/admin/audit`
 * (the whole delivery log, by server), for the instance's admins.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { auditFilter, instanceDeliveryAudit } from "../../domain/audit.ts";
import { notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { resolveReport, reviewReports } from "../../domain/report-review.ts";
import { listLocalUsers, setSuspended } from "../../domain/user-admin.ts";
import { csrfField } from "../forms.ts";
import { actorHref, actorName } from "../render.ts";
import { acting, olderLink, pageOf, when } from "./common.ts";
import { auditTable, reportList } from "./lists.ts";
import { type InstanceAdmin, instanceAdmin, instanceAdminForm, instanceAdminPage } from "./instance-frame.ts";

function button(i: InstanceAdmin, action: string, label: string, about: string) {
  return html`<form class="inline" method="post" action="${action}">${csrfField(i.s)}<button type="submit" aria-label="${label}: ${about}">${label}</button></form>`;
}

async function usersPage(c: Context<AppEnv>, i: InstanceAdmin) {
  const users = await listLocalUsers(c.get("deps").db, i.me, pageOf(c));
  const { a } = i.s;
  return instanceAdminPage(i.s, "users", html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${a.account}</th><th scope="col">${a.email}</th><th scope="col">${a.when}</th><th scope="col">${a.status}</th></tr></thead>
<tbody>${users.map((u) => html`<tr>
<td><a href="${actorHref(u.actor)}">${actorName(u.actor)}</a> <span class="muted">@${u.actor.username}</span>${u.admin ? html` · ${a.isAdmin}` : ""}</td>
<td>${u.email}</td><td>${when(u.createdAt)}</td>
<td>${u.suspendedAt ? a.suspended : a.active}
${u.actor.id === i.me.id ? "" : u.suspendedAt
    ? button(i, `/admin/users/${u.actor.id}/unsuspend`, a.unsuspend, u.actor.username)
    : button(i, `/admin/users/${u.actor.id}/suspend`, a.suspend, u.actor.username)}</td></tr>`)}</tbody>
</table></div>
${olderLink(i.s, users.map((u) => u.actor.id), (id) => `/admin/users?max_id=${id}`)}`);
}

async function reportsPage(c: Context<AppEnv>, i: InstanceAdmin) {
  const all = c.req.query("all") === "1";
  const reports = await reviewReports(c.get("deps").db, i.me, { open: !all }, pageOf(c));
  const { a } = i.s;
  const back = all ? "/admin/reports?all=1" : "/admin/reports";
  return instanceAdminPage(i.s, "reports", html`<p><a href="${all ? "/admin/reports" : "/admin/reports?all=1"}">${all ? a.showOpen : a.showAll}</a></p>
${reportList(i.s, reports, (r) => html`<form class="inline" method="post" action="/admin/reports/${r.id}/${r.resolvedAt ? "reopen" : "resolve"}">${csrfField(i.s)}<input type="hidden" name="back" value="${back}"><button type="submit">${r.resolvedAt ? a.reopen : a.resolve}</button></form>`)}
${olderLink(i.s, reports.map((r) => r.id), (id) => `${back}${all ? "&" : "?"}max_id=${id}`)}`);
}

export function mountInstanceLists(app: Hono<AppEnv>): void {
  app.get("/admin/users", async (c) => {
    const i = await instanceAdmin(c);
    return i instanceof Response ? i : c.html(await usersPage(c, i));
  });

  app.post("/admin/users/:account/:action{suspend|unsuspend}", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i } = r;
    return acting(c, i.s, "/admin/users", async () => {
      const id = c.req.param("account");
      if (!isRowId(id)) throw notFound("There is no such account");
      await setSuspended(c.get("deps").db, i.me, id, c.req.param("action") === "suspend");
      return c.redirect("/admin/users", 303);
    });
  });

  app.get("/admin/reports", async (c) => {
    const i = await instanceAdmin(c);
    return i instanceof Response ? i : c.html(await reportsPage(c, i));
  });

  app.post("/admin/reports/:report/:action{resolve|reopen}", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i, form } = r;
    return acting(c, i.s, "/admin/reports", async () => {
      const id = c.req.param("report");
      if (!isRowId(id)) throw notFound("There is no such report");
      await resolveReport(c.get("deps").db, i.me, id, c.req.param("action") === "resolve");
      return c.redirect(form.back === "/admin/reports?all=1" ? "/admin/reports?all=1" : "/admin/reports", 303);
    });
  });

  app.get("/admin/audit", async (c) => {
    const i = await instanceAdmin(c);
    if (i instanceof Response) return i;
    const server = c.req.query("server")?.trim() || undefined;
    const { a } = i.s;
    return acting(c, i.s, "/admin/audit", async () => {
      const records = await instanceDeliveryAudit(c.get("deps").db, i.me, auditFilter({ server }), pageOf(c));
      const more = (id: string) => `/admin/audit?${server ? `server=${encodeURIComponent(server)}&` : ""}max_id=${id}`;
      return c.html(instanceAdminPage(i.s, "audit", html`<form class="stack" method="get" action="/admin/audit">
<label for="server">${a.serverFilter}</label>
<input type="text" id="server" name="server" value="${server ?? ""}" autocapitalize="none" spellcheck="false">
<button type="submit">${a.filter}</button>
</form>
${auditTable(i.s, records)}
${olderLink(i.s, records.map((r) => r.id), more)}`));
    });
  });
}
