/**
 * The group's people, for its admins: membership requests (approve or
 * reject: `decideRequest`), invitations (`invite`, a local or remote account
 * by its handle), members and their roles (`setRole`, `removeMember`, bans,
 * `unban`, `transferOwnership` for the owner). Every action is the domain's.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv, AppContext } from "../../context.ts";
import type { Actor, MembershipRole } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import {
  decideRequest, invite, listMemberships, type MemberEntry, removeMember, ROLES, setRole, transferOwnership, unban,
} from "../../domain/membership.ts";
import { accountByHandle } from "../../domain/handles.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { csrfField, formText } from "../forms.ts";
import { actorHref, actorName } from "../render.ts";
import { acting, type AdminState, described, formError, olderLink, pageOf } from "./common.ts";
import { GROUP_ADMIN_ROUTE, type GroupAdmin, groupAdmin, groupAdminForm, groupAdminPage } from "./group-frame.ts";

/** The account a typed handle names; unknown is `invalid`, so the form is shown again with the message. */
async function accountNamed(deps: AppContext, input: string, s: AdminState): Promise<Actor> {
  const actor = await accountByHandle(deps.db, deps.config.origin, deps.resolver, input);
  if (!actor) throw invalid(s.a.unknownAccount);
  return actor;
}

/** The account named in the path (`:account`), or a 404. */
async function pathAccount(c: Context<AppEnv>): Promise<Actor | undefined> {
  const id = c.req.param("account") ?? "";
  return isRowId(id) ? findActorById(c.get("deps").db, id) : undefined;
}

function who(a: Actor) {
  return html`<a href="${actorHref(a)}">${actorName(a)}</a> <span class="muted">@${a.username}@${a.domain}</span>`;
}

function button(g: GroupAdmin, action: string, label: string, name?: string) {
  return html`<form class="inline" method="post" action="${action}">${csrfField(g.s)}<button type="submit"${name ? html` aria-label="${label}: ${name}"` : ""}>${label}</button></form>`;
}

async function requestsPage(c: Context<AppEnv>, g: GroupAdmin) {
  const entries = await listMemberships(c.get("deps").db, g.group.actor.id, "pending", pageOf(c));
  const { a } = g.s;
  const list = entries.length === 0 ? html`<p>${a.noRequests}</p>` : html`<ul class="admin-list">
${entries.map((e) => html`<li>${who(e.actor)}
${button(g, `${g.base}/requests/${e.actor.id}/approve`, a.approve, actorName(e.actor))}
${button(g, `${g.base}/requests/${e.actor.id}/reject`, a.reject, actorName(e.actor))}</li>`)}
</ul>`;
  return groupAdminPage(g, "requests", html`${list}${olderLink(g.s, entries.map((e) => e.cursor), (id) => `${g.base}/requests?max_id=${id}`)}`);
}

async function invitesPage(c: Context<AppEnv>, g: GroupAdmin, error?: string, typed = "") {
  const entries = await listMemberships(c.get("deps").db, g.group.actor.id, "invited", pageOf(c));
  const { a } = g.s;
  return groupAdminPage(g, "invites", html`${formError(error)}
<form class="stack" method="post" action="${g.base}/invites">
${csrfField(g.s)}
<label for="handle">${a.inviteWho}</label>
<input type="text" id="handle" name="handle" value="${typed}" required autocapitalize="none" spellcheck="false"${described(error)}>
<button type="submit">${a.invite}</button>
</form>
<h2>${a.invited}</h2>
${entries.length === 0 ? html`<p>${a.noInvites}</p>` : html`<ul class="admin-list">${entries.map((e) => html`<li>${who(e.actor)}</li>`)}</ul>`}
${olderLink(g.s, entries.map((e) => e.cursor), (id) => `${g.base}/invites?max_id=${id}`)}`);
}

function memberRow(g: GroupAdmin, e: MemberEntry) {
  const { a } = g.s;
  const name = actorName(e.actor);
  const id = e.actor.id;
  if (e.membership.role === "owner" || id === g.me.id) return html`<li>${who(e.actor)} <span class="role">${a.roles[e.membership.role]}</span></li>`;
  return html`<li>${who(e.actor)}
<form class="inline" method="post" action="${g.base}/members/${id}/role">${csrfField(g.s)}
<label class="inline" for="role-${id}">${a.roleFor(name)}</label>
<select id="role-${id}" name="role">${ROLES.filter((r) => r !== "owner").map((r) => html`<option value="${r}"${r === e.membership.role ? html` selected` : ""}>${a.roles[r]}</option>`)}</select>
<button type="submit" aria-label="${a.setRole}: ${name}">${a.setRole}</button></form>
${button(g, `${g.base}/members/${id}/remove`, a.remove, name)}
${button(g, `${g.base}/members/${id}/ban`, a.ban, name)}</li>`;
}

async function membersPage(c: Context<AppEnv>, g: GroupAdmin, error?: string) {
  const { db } = c.get("deps");
  const [members, banned] = await Promise.all([
    listMemberships(db, g.group.actor.id, "member", pageOf(c)),
    listMemberships(db, g.group.actor.id, "banned", { limit: 100 }),
  ]);
  const { a } = g.s;
  const owner = g.membership.role === "owner";
  return groupAdminPage(g, "members", html`${formError(error)}
<ul class="admin-list">${members.map((e) => memberRow(g, e))}</ul>
${olderLink(g.s, members.map((e) => e.cursor), (id) => `${g.base}/members?max_id=${id}`)}
<h2>${a.banned}</h2>
${banned.length === 0 ? html`<p>${a.noBanned}</p>` : html`<ul class="admin-list">${banned.map((e) => html`<li>${who(e.actor)} ${button(g, `${g.base}/members/${e.actor.id}/unban`, a.unban, actorName(e.actor))}</li>`)}</ul>`}
${owner ? html`<h2>${a.transfer}</h2>
<form class="stack" method="post" action="${g.base}/transfer">${csrfField(g.s)}
<label for="new_owner">${a.transferTo}</label>
<input type="text" id="new_owner" name="handle" required autocapitalize="none" spellcheck="false"${described(error)}>
<button type="submit">${a.transfer}</button></form>` : ""}`);
}

const ASSIGNABLE = ROLES.filter((r): r is Exclude<MembershipRole, "owner"> => r !== "owner");

export function mountGroupMembers(app: Hono<AppEnv>): void {
  app.get(`${GROUP_ADMIN_ROUTE}/requests`, async (c) => {
    const g = await groupAdmin(c, "requests");
    return g instanceof Response ? g : c.html(await requestsPage(c, g));
  });

  for (const decision of ["approve", "reject"] as const) {
    app.post(`${GROUP_ADMIN_ROUTE}/requests/:account/${decision}`, async (c) => {
      const r = await groupAdminForm(c, "requests");
      if (r instanceof Response) return r;
      const { g } = r;
      return acting(c, g.s, `${g.base}/requests`, async () => {
        const member = await pathAccount(c);
        if (!member) throw notFound(g.s.a.unknownAccount);
        await decideRequest(c.get("deps").db, g.group, g.me, member, decision === "approve");
        return c.redirect(`${g.base}/requests`, 303);
      });
    });
  }

  app.get(`${GROUP_ADMIN_ROUTE}/invites`, async (c) => {
    const g = await groupAdmin(c, "invites");
    return g instanceof Response ? g : c.html(await invitesPage(c, g));
  });

  app.post(`${GROUP_ADMIN_ROUTE}/invites`, async (c) => {
    const r = await groupAdminForm(c, "invites");
    if (r instanceof Response) return r;
    const { g, form } = r;
    const typed = formText(form, "handle") ?? "";
    return acting(c, g.s, `${g.base}/invites`, async () => {
      const invitee = await accountNamed(c.get("deps"), typed, g.s);
      await invite(c.get("deps").db, g.group, g.me, invitee);
      return c.redirect(`${g.base}/invites`, 303);
    }, async (message) => c.html(await invitesPage(c, g, message, typed), 422));
  });

  app.get(`${GROUP_ADMIN_ROUTE}/members`, async (c) => {
    const g = await groupAdmin(c, "members");
    return g instanceof Response ? g : c.html(await membersPage(c, g));
  });

  app.post(`${GROUP_ADMIN_ROUTE}/members/:account/:action{role|remove|ban|unban}`, async (c) => {
    const r = await groupAdminForm(c, "members");
    if (r instanceof Response) return r;
    const { g, form } = r;
    const { db } = c.get("deps");
    const action = c.req.param("action");
    return acting(c, g.s, `${g.base}/members`, async () => {
      const member = await pathAccount(c);
      if (!member) throw notFound(g.s.a.unknownAccount);
      if (action === "role") {
        const role = ASSIGNABLE.find((x) => x === formText(form, "role"));
        if (!role) throw invalid(g.s.a.unknownRole);
        await setRole(db, g.group, g.me, member, role);
      } else if (action === "unban") {
        await unban(db, g.group, g.me, member);
      } else {
        await removeMember(db, g.group, g.me, member, { ban: action === "ban" });
      }
      return c.redirect(`${g.base}/members`, 303);
    }, async (message) => c.html(await membersPage(c, g, message), 422));
  });

  app.post(`${GROUP_ADMIN_ROUTE}/transfer`, async (c) => {
    const r = await groupAdminForm(c, "members");
    if (r instanceof Response) return r;
    const { g, form } = r;
    return acting(c, g.s, `${g.base}/members`, async () => {
      const to = await accountNamed(c.get("deps"), formText(form, "handle") ?? "", g.s);
      await transferOwnership(c.get("deps").db, g.group, g.me, to);
      return c.redirect(`${g.base}/members`, 303);
    }, async (message) => c.html(await membersPage(c, g, message), 422));
  });
}
