/** Lists more than one admin page shows: reports, and delivery log records. */
import { html } from "hono/html";
import type { DeliveryRecord } from "../../domain/audit.ts";
import type { ReportEntry } from "../../domain/report-review.ts";
import type { Html } from "../layout.ts";
import { actorHref, actorName } from "../render.ts";
import { type AdminState, when } from "./common.ts";

export function reportList(s: AdminState, reports: ReportEntry[], actions?: (r: ReportEntry) => Html): Html {
  const { a } = s;
  if (reports.length === 0) return html`<p>${a.noReports}</p>`;
  const who = (x: ReportEntry["reporter"]) => (x ? html`<a href="${actorHref(x)}">${actorName(x)}</a> <span class="muted">@${x.username}@${x.domain}</span>` : "?");
  return html`<ul class="admin-list">
${reports.map((r) => html`<li class="report">
<p>${when(r.createdAt)} · <strong>${r.resolvedAt ? a.resolved : a.open}</strong> · ${r.received ? a.receivedFrom : a.filedHere} · ${r.category}</p>
<p>${a.reporter}: ${who(r.reporter)}${r.target ? html` · ${a.about}: ${who(r.target)}` : ""} · ${a.postsCount(r.postIds.length)}</p>
${r.comment ? html`<blockquote>${r.comment}</blockquote>` : ""}
${actions ? actions(r) : ""}
</li>`)}
</ul>`;
}

export function auditTable(s: AdminState, records: DeliveryRecord[]): Html {
  const { a } = s;
  if (records.length === 0) return html`<p>${a.noAudit}</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${a.when}</th><th scope="col">${a.server}</th><th scope="col">${a.object}</th><th scope="col">${a.result}</th></tr></thead>
<tbody>
${records.map((r) => html`<tr><td>${when(r.created_at)}</td><td>${r.server}</td><td><a href="${r.object_iri}">${r.activity_type}</a></td><td>${r.result}${r.status_code ? html` (${r.status_code})` : ""}</td></tr>`)}
</tbody></table></div>`;
}
