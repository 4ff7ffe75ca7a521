/**
 * A signed-in person's settings: `/settings` (an index), `/settings/password`
 * (current and new password; the other web sessions end, OAuth tokens stay)
 * and `/settings/sessions` (web sessions and apps with access, each ended or
 * revoked by its own POST button).
 */
import type { Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { changePassword, WrongPassword } from "../../domain/accounts.ts";
import { DomainError } from "../../domain/errors.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "../../domain/passwords.ts";
import { endOtherSessions, endSessionById, listSessions } from "../../domain/sessions.ts";
import { listAuthorizedApps, revokeOwnToken } from "../../domain/tokens.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { SITE_SESSION } from "../session.ts";
import { describedBy, formError, formStatus, notFoundPage } from "./common.ts";
import { accountTexts, shortTime } from "./texts.ts";

function time(d: Date): Html {
  return html`<time datetime="${d.toISOString()}">${shortTime(d)}</time>`;
}

function passwordPage(s: PageState, error?: string, done = false): Html {
  const a = accountTexts(s.lang);
  const d = (hint?: string) => describedBy(error, hint);
  return layout(s, a.changePassword, html`
${done ? html`<p role="status">${a.passwordChanged}</p>` : ""}
<p id="password-note">${a.passwordChangeNote}</p>
${formError(error)}
<form class="stack" method="post" action="/settings/password">
${csrfField(s)}
<input type="text" name="username" value="${s.me!.username}" autocomplete="username" hidden>
<label for="current_password">${a.currentPassword}</label>
<input type="password" id="current_password" name="current_password" autocomplete="current-password" required maxlength="${PASSWORD_MAX}"${d()}>
<label for="new_password">${a.newPassword}</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${d("password-hint")}>
<p id="password-hint" class="hint">${a.passwordHint(PASSWORD_MIN)}</p>
<label for="new_password_again">${a.newPasswordAgain}</label>
<input type="password" id="new_password_again" name="new_password_again" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${d()}>
<button type="submit">${a.changePassword}</button>
</form>`);
}

async function sessionsPage(c: Context<AppEnv>, s: PageState): Promise<Html> {
  const a = accountTexts(s.lang);
  const { db } = c.get("deps");
  const me = s.me!;
  const [sessions, apps] = await Promise.all([listSessions(db, me.id, getCookie(c, SITE_SESSION)), listAuthorizedApps(db, me.id)]);
  return layout(s, a.sessions, html`
<h2>${a.browserSessions}</h2>
<ul class="rows">${sessions.map((x) => html`<li>
${a.started} ${time(x.createdAt)}; ${a.lastUsed} ${x.lastUsedAt ? time(x.lastUsedAt) : a.unknown}${x.current ? html` <strong>(${a.thisSession})</strong>` : ""}
<form method="post" action="/settings/sessions/${x.id}/end">${csrfField(s)}<button type="submit" aria-label="${a.endSessionOf(shortTime(x.createdAt))}">${a.endSession}</button></form>
</li>`)}</ul>
<h2>${a.apps}</h2>
${apps.length === 0 ? html`<p>${a.noApps}</p>` : html`<ul class="rows">${apps.map((app) => {
    const name = app.appName ?? a.unnamedApp;
    return html`<li>
<strong>${app.website ? html`<a href="${app.website}" rel="nofollow noopener">${name}</a>` : name}</strong>
<span class="muted">${a.scopes}: ${app.scopes.join(" ")}; ${a.since} ${time(app.since)}${app.lastUsedAt ? html`; ${a.lastUsed} ${time(app.lastUsedAt)}` : ""}</span>
<form method="post" action="/settings/apps/${app.tokenId}/revoke">${csrfField(s)}<button type="submit" aria-label="${a.revokeOf(name)}">${a.revoke}</button></form>
</li>`;
  })}</ul>`}`);
}

/** The page state of a signed-in person and, for a POST, the checked form; otherwise the answer. */
async function signedIn(c: Context<AppEnv>, post: boolean): Promise<{ s: PageState; form?: Form } | Response> {
  const form = post ? await readForm(c) : undefined;
  if (post && !form) return expiredForm(c);
  const s = await pageState(c);
  if (!s.me) return toSignIn(c, s);
  return form ? { s, form } : { s };
}

export function mountSettings(app: Hono<AppEnv>): void {
  app.get("/settings", async (c) => {
    const g = await signedIn(c, false);
    if (g instanceof Response) return g;
    const a = accountTexts(g.s.lang);
    return c.html(layout(g.s, a.settings, html`<h2>${a.settingsIntro}</h2>
<ul>
<li><a href="/settings/password">${a.changePassword}</a></li>
<li><a href="/settings/sessions">${a.sessions}</a></li>
</ul>`));
  });

  app.get("/settings/password", async (c) => {
    const g = await signedIn(c, false);
    if (g instanceof Response) return g;
    return c.html(passwordPage(g.s, undefined, c.req.query("done") === "1"));
  });

  app.post("/settings/password", async (c) => {
    const g = await signedIn(c, true);
    if (g instanceof Response) return g;
    const { s, form } = g;
    const a = accountTexts(s.lang);
    const current = formText(form!, "current_password") ?? "";
    const next = formText(form!, "new_password") ?? "";
    if (next !== (formText(form!, "new_password_again") ?? "")) return c.html(passwordPage(s, a.passwordsDiffer), 422);
    if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) return c.html(passwordPage(s, a.passwordLength(PASSWORD_MIN, PASSWORD_MAX)), 422);
    const { db } = c.get("deps");
    try {
      await changePassword(db, s.me!.id, current, next);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const message = error instanceof WrongPassword ? a.wrongCurrent : error.message;
      return c.html(passwordPage(s, message), formStatus(error));
    }
    await endOtherSessions(db, s.me!.id, getCookie(c, SITE_SESSION));
    return c.redirect("/settings/password?done=1", 303);
  });

  app.get("/settings/sessions", async (c) => {
    const g = await signedIn(c, false);
    if (g instanceof Response) return g;
    return c.html(await sessionsPage(c, g.s));
  });

  app.post("/settings/sessions/:id/end", async (c) => {
    const g = await signedIn(c, true);
    if (g instanceof Response) return g;
    if (!(await endSessionById(c.get("deps").db, g.s.me!.id, c.req.param("id")))) return notFoundPage(c);
    return c.redirect("/settings/sessions", 303);
  });

  app.post("/settings/apps/:id/revoke", async (c) => {
    const g = await signedIn(c, true);
    if (g instanceof Response) return g;
    if (!(await revokeOwnToken(c.get("deps").db, g.s.me!.id, c.req.param("id")))) return notFoundPage(c);
    return c.redirect("/settings/sessions", 303);
  });
}
