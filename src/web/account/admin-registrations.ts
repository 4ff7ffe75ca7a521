/**
 * `/admin/registrations`, for the instance's admins only: the registration
 * mode and allowed e-mail domains, invite links (make, revoke), accounts
 * waiting for approval (approve, reject). Anyone else gets a 403 page;
 * someone signed out goes to sign in first.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { isInstanceAdmin } from "../../domain/admins.ts";
import { DomainError } from "../../domain/errors.ts";
import { patternText } from "../../domain/policy.ts";
import {
  approveAccount, createInvite, type Invite, listInvites, listPendingAccounts, MAX_INVITE_DAYS, MAX_INVITE_USES,
  REGISTRATION_MODES, registrationSettings, rejectAccount, revokeInvite, updateRegistrationSettings,
} from "../../domain/registrations.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { actorHref, actorName } from "../render.ts";
import { describedBy, forbiddenPage, formError, formStatus } from "./common.ts";
import { accountTexts, shortTime } from "./texts.ts";

const PATH = "/admin/registrations";

interface Problem {
  /** which form it is about */
  form: "settings" | "invite" | "list";
  message: string;
  /** the settings form as typed */
  mode?: string;
  domains?: string;
}

function inviteLink(origin: URL, invite: Invite): string {
  return new URL(`/auth/sign_up?invite=${encodeURIComponent(invite.code)}`, origin).href;
}

async function adminPage(c: Context<AppEnv>, s: PageState, problem?: Problem): Promise<Html> {
  const a = accountTexts(s.lang);
  const { db, config } = c.get("deps");
  const [settings, invites, pending] = await Promise.all([registrationSettings(db), listInvites(db), listPendingAccounts(db)]);
  const mode = problem?.mode ?? settings.mode;
  const domains = problem?.domains ?? settings.allowedDomains.map(patternText).join("\n");
  const err = (form: Problem["form"]) => (problem?.form === form ? problem.message : undefined);
  const saved = c.req.query("saved") === "1" ? html`<p role="status">${a.saved}</p>` : "";
  return layout(s, a.admin, html`
${saved}
${err("list") ? formError(err("list")) : ""}
<section aria-labelledby="mode-heading">
<h2 id="mode-heading">${a.modeHeading}</h2>
${err("settings") ? formError(err("settings")) : ""}
<form class="stack" method="post" action="${PATH}/settings">
${csrfField(s)}
<fieldset${describedBy(err("settings"))}>
<legend>${a.mode}</legend>
${REGISTRATION_MODES.map((m) => html`<div class="choice"><input type="radio" id="mode-${m}" name="mode" value="${m}"${m === mode ? html` checked` : ""}><label for="mode-${m}">${a.modes[m]}</label></div>`)}
</fieldset>
<label for="allowed_domains">${a.allowedDomains}</label>
<textarea id="allowed_domains" name="allowed_domains" rows="4"${describedBy(err("settings"), "domains-hint")}>${domains}</textarea>
<p id="domains-hint" class="hint">${a.allowedDomainsHint}</p>
<button type="submit">${a.save}</button>
</form>
</section>
<section aria-labelledby="invites-heading">
<h2 id="invites-heading">${a.invites}</h2>
${invites.length === 0 ? html`<p>${a.noInvites}</p>` : html`<ul class="rows">${invites.map((i) => html`<li>
<code>${inviteLink(config.origin, i)}</code>
<span class="muted">${a.uses(i.uses, i.maxUses)}; ${a.expires} <time datetime="${i.expiresAt.toISOString()}">${shortTime(i.expiresAt)}</time></span>
<form method="post" action="${PATH}/invites/${i.id}/revoke">${csrfField(s)}<button type="submit" aria-label="${a.revokeInviteOf(i.code.slice(0, 6))}">${a.revokeInvite}</button></form>
</li>`)}</ul>`}
<h3>${a.newInvite}</h3>
${err("invite") ? formError(err("invite")) : ""}
<form class="stack" method="post" action="${PATH}/invites">
${csrfField(s)}
<label for="max_uses">${a.maxUses}</label>
<input type="number" id="max_uses" name="max_uses" value="1" min="1" max="${MAX_INVITE_USES}" required${describedBy(err("invite"))}>
<label for="days">${a.days}</label>
<input type="number" id="days" name="days" value="7" min="1" max="${MAX_INVITE_DAYS}" required${describedBy(err("invite"))}>
<button type="submit">${a.makeInvite}</button>
</form>
</section>
<section aria-labelledby="pending-heading">
<h2 id="pending-heading">${a.pending}</h2>
${pending.length === 0 ? html`<p>${a.noPending}</p>` : html`<ul class="rows">${pending.map((p) => html`<li>
<a href="${actorHref(p.actor)}">${actorName(p.actor)}</a> <span class="muted">@${p.actor.username}, ${p.email}, <time datetime="${p.registeredAt.toISOString()}">${shortTime(p.registeredAt)}</time></span>
<form method="post" action="${PATH}/pending/${p.actor.id}/approve">${csrfField(s)}<button type="submit" aria-label="${a.approveOf(`@${p.actor.username}`)}">${a.approve}</button></form>
<form method="post" action="${PATH}/pending/${p.actor.id}/reject">${csrfField(s)}<button type="submit" aria-label="${a.rejectOf(`@${p.actor.username}`)}">${a.reject}</button></form>
</li>`)}</ul>`}
</section>`);
}

type Gate = { s: PageState; form?: Form } | Response;

/** The page state of an admin (and the posted form, for a POST); otherwise the answer for everyone else. */
async function gate(c: Context<AppEnv>, post: boolean): Promise<Gate> {
  const form = post ? await readForm(c) : undefined;
  if (post && !form) return expiredForm(c);
  const s = await pageState(c);
  if (!s.me) return toSignIn(c, s);
  if (!(await isInstanceAdmin(c.get("deps").db, s.me))) return forbiddenPage(c);
  return form ? { s, form } : { s };
}

/** Runs an admin's change; a refusal re-renders the page with the message (422, or 404 for something gone). */
async function change(c: Context<AppEnv>, where: Problem["form"], work: (form: Form, s: PageState) => Promise<unknown>, typed?: (form: Form) => Partial<Problem>): Promise<Response> {
  const g = await gate(c, true);
  if (g instanceof Response) return g;
  const form = g.form!;
  try {
    await work(form, g.s);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const status = formStatus(error);
    return c.html(await adminPage(c, g.s, { form: where, message: error.message, ...typed?.(form) }), status === 403 ? 422 : status);
  }
  return c.redirect(`${PATH}?saved=1`, 303);
}

export function mountRegistrationAdmin(app: Hono<AppEnv>): void {
  app.get(PATH, async (c) => {
    const g = await gate(c, false);
    if (g instanceof Response) return g;
    return c.html(await adminPage(c, g.s));
  });

  app.post(`${PATH}/settings`, (c) => change(c, "settings", async (form) => {
    const domains = (formText(form, "allowed_domains") ?? "").split(/[\r\n,]+/);
    await updateRegistrationSettings(c.get("deps").db, formText(form, "mode") ?? "", domains);
  }, (form) => ({ mode: formText(form, "mode"), domains: formText(form, "allowed_domains") })));

  app.post(`${PATH}/invites`, (c) => change(c, "invite", async (form, s) => {
    const number = (name: string) => (/^\d{1,6}$/.test(formText(form, name)?.trim() ?? "") ? Number(formText(form, name)!.trim()) : NaN);
    await createInvite(c.get("deps").db, s.me!, number("max_uses"), number("days"));
  }));

  app.post(`${PATH}/invites/:id/revoke`, (c) => change(c, "list", () => revokeInvite(c.get("deps").db, c.req.param("id"))));
  app.post(`${PATH}/pending/:id/approve`, (c) => change(c, "list", () => approveAccount(c.get("deps").db, c.req.param("id"))));
  app.post(`${PATH}/pending/:id/reject`, (c) => change(c, "list", () => rejectAccount(c.get("deps").db, c.req.param("id"))));
}
