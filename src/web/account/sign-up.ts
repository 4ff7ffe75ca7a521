/**
 * Registration (`/auth/sign_up`) in the mode the admins chose
 * (src/domain/registrations.ts): closed, open (signed in at once), by
 * approval (a page saying so; sign-in waits), by invite link, or by e-mail
 * domain. Attempts are counted per address, like failed sign-ins.
 */
import type { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { AccountFieldError } from "../../domain/accounts.ts";
import { DomainError } from "../../domain/errors.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "../../domain/passwords.ts";
import { patternText } from "../../domain/policy.ts";
import { findUsableInvite, register, RegistrationRefused, registrationSettings, type RegistrationSettings } from "../../domain/registrations.ts";
import { clientAddress } from "../../http/client-address.ts";
import { FixedWindows } from "../../http/rate-limit.ts";
import { csrfField, expiredForm, type Form, formText, readForm } from "../forms.ts";
import { layout, pageState, type PageState } from "../layout.ts";
import { signInSite } from "../session.ts";
import { describedBy, formError, formStatus } from "./common.ts";
import { accountTexts } from "./texts.ts";

/** Registration attempts (made or refused) per address in a window; a cache per process, like the sign-in throttle. */
export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;
export const SIGN_UP_MAX_PER_ADDRESS = 20;

interface Typed {
  username: string;
  displayName: string;
  email: string;
  invite: string;
}

function typedOf(form: Form): Typed {
  return {
    username: formText(form, "username") ?? "",
    displayName: formText(form, "display_name") ?? "",
    email: formText(form, "email") ?? "",
    invite: formText(form, "invite") ?? "",
  };
}

function intro(s: PageState, settings: RegistrationSettings, invited: boolean) {
  const a = accountTexts(s.lang);
  if (invited) return html`<p>${a.invited}</p>`;
  if (settings.mode === "approval") return html`<p>${a.signUpApproval}</p>`;
  if (settings.mode === "domains") return html`<p>${a.signUpDomains(settings.allowedDomains.map(patternText).join(", "))}</p>`;
  return "";
}

function signUpForm(s: PageState, settings: RegistrationSettings, typed: Typed, error?: string) {
  const a = accountTexts(s.lang);
  const d = (hint?: string) => describedBy(error, hint);
  return layout(s, a.signUp, html`
${intro(s, settings, typed.invite !== "")}
${formError(error)}
<form class="stack" method="post" action="/auth/sign_up">
${csrfField(s)}
${typed.invite ? html`<input type="hidden" name="invite" value="${typed.invite}">` : ""}
<label for="username">${a.username}</label>
<input type="text" id="username" name="username" value="${typed.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="30" pattern="[a-zA-Z0-9_]{1,30}"${d("username-hint")}>
<p id="username-hint" class="hint">${a.usernameHint}</p>
<label for="display_name">${a.displayName}</label>
<input type="text" id="display_name" name="display_name" value="${typed.displayName}" autocomplete="name" maxlength="100"${d()}>
<label for="email">${a.email}</label>
<input type="email" id="email" name="email" value="${typed.email}" autocomplete="email" required maxlength="320"${d()}>
<label for="password">${a.password}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${d("password-hint")}>
<p id="password-hint" class="hint">${a.passwordHint(PASSWORD_MIN)}</p>
<label for="password_again">${a.passwordAgain}</label>
<input type="password" id="password_again" name="password_again" autocomplete="new-password" required minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}"${d()}>
<button type="submit">${a.signUp}</button>
</form>`);
}

/** The page for someone who may not register now: closed, invite only, a bad invite. */
function refusal(s: PageState, text: string) {
  const a = accountTexts(s.lang);
  return layout(s, a.signUp, html`<p>${text}</p><p><a href="/auth/sign_in">${s.t.signIn}</a></p>`);
}

export function mountSignUp(app: Hono<AppEnv>): void {
  const attempts = new FixedWindows();

  app.get("/auth/sign_up", async (c) => {
    const s = await pageState(c);
    if (s.me) return c.redirect("/", 303);
    const a = accountTexts(s.lang);
    const { db } = c.get("deps");
    const settings = await registrationSettings(db);
    if (settings.mode === "closed") return c.html(refusal(s, a.signUpClosed), 403);
    const invite = c.req.query("invite") ?? "";
    if (invite !== "" && !(await findUsableInvite(db, invite))) return c.html(refusal(s, a.badInvite), 403);
    if (invite === "" && settings.mode === "invite") return c.html(refusal(s, a.signUpInviteOnly), 403);
    return c.html(signUpForm(s, settings, { username: "", displayName: "", email: "", invite }));
  });

  app.get("/auth/sign_up/waiting", async (c) => {
    const s = await pageState(c);
    const a = accountTexts(s.lang);
    return c.html(layout(s, a.waiting, html`<p>${a.waitingText}</p>`));
  });

  app.post("/auth/sign_up", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const s = await pageState(c);
    const a = accountTexts(s.lang);
    const { db, config } = c.get("deps");
    const settings = await registrationSettings(db);
    const typed = typedOf(form);
    const again = (status: ContentfulStatusCode, error: string) => c.html(signUpForm(s, settings, typed, error), status);

    const key = `sign-up:${clientAddress(c)}`;
    const now = Date.now();
    const window = attempts.peek(key, now);
    if (window && window.count >= SIGN_UP_MAX_PER_ADDRESS) {
      c.header("Retry-After", String(Math.ceil((window.resetAt - now) / 1000)));
      return again(429, a.tooMany);
    }
    attempts.hit(key, SIGN_UP_WINDOW_MS, now);

    const password = formText(form, "password") ?? "";
    if (password !== (formText(form, "password_again") ?? "")) return again(422, a.passwordsDiffer);
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) return again(422, a.passwordLength(PASSWORD_MIN, PASSWORD_MAX));
    try {
      const made = await register(db, config.origin, { ...typed, password });
      if (made.approvalPending) return c.redirect("/auth/sign_up/waiting", 303);
      await signInSite(c, made.actor);
      return c.redirect("/", 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const words = error instanceof AccountFieldError || error instanceof RegistrationRefused ? a.refusal[error.reason] : error.message;
      return again(formStatus(error), words);
    }
  });
}
