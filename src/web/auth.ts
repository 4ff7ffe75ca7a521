/** Signing in and out of the site, and the language switch: every POST carries the CSRF token. */
import type { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { html } from "hono/html";
import { SignInThrottle } from "../api/oauth/throttle.ts";
import type { AppEnv } from "../context.ts";
import { registrationSettings } from "../domain/registrations.ts";
import { checkCredentials } from "../domain/sessions.ts";
import { accountTexts } from "./account/texts.ts";
import { clientAddress } from "../http/client-address.ts";
import { LANG_COOKIE, layout, pageState, type PageState } from "./layout.ts";
import { csrfField, expiredForm, formText, localPath, readForm } from "./forms.ts";
import { signInSite, signOutSite } from "./session.ts";


function signInForm(s: PageState, back: string, error?: string, login = "", signUp = false) {
  const { t } = s;
  const described = error ? html` aria-describedby="form-error"` : "";
  return layout(s, t.signIn, html`
${error ? html`<p id="form-error" class="error" role="alert">${error}</p>` : ""}
<form class="stack" method="post" action="/auth/sign_in">
${csrfField(s)}
<input type="hidden" name="back" value="${back}">
<label for="username">${t.login}</label>
<input type="text" id="username" name="username" value="${login}" autocomplete="username" autocapitalize="none" spellcheck="false" required${described}>
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${described}>
<button type="submit">${t.signIn}</button>
</form>
${signUp ? html`<p><a href="/auth/sign_up">${accountTexts(s.lang).signUp}</a></p>` : ""}`);
}

export function mountWebAuth(app: Hono<AppEnv>): void {
  const throttle = new SignInThrottle();

  app.get("/auth/sign_in", async (c) => {
    const s = await pageState(c);
    if (s.me) return c.redirect("/", 303);
    const { mode } = await registrationSettings(c.get("deps").db);
    return c.html(signInForm(s, localPath(c.req.query("back")), undefined, "", mode !== "closed" && mode !== "invite"));
  });

  app.post("/auth/sign_in", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const s = await pageState(c);
    const back = localPath(formText(form, "back"));
    const login = formText(form, "username") ?? "";
    const password = formText(form, "password") ?? "";
    const account = login.trim().toLowerCase().slice(0, 320);
    const address = clientAddress(c);
    const wait = throttle.retryAfter(account, address);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return c.html(signInForm(s, back, s.t.tooMany, login), 429);
    }
    const { db, config } = c.get("deps");
    const found = await checkCredentials(db, config.origin, login, password);
    if (!found) {
      throttle.fail(account, address);
      return c.html(signInForm(s, back, s.t.wrongPassword, login), 401);
    }
    throttle.succeed(account);
    // A registration that waits for an admin's approval (src/domain/registrations.ts) cannot sign in yet.
    if (found.approvalPending) return c.html(signInForm(s, back, accountTexts(s.lang).waitingSignIn, login), 403);
    await signInSite(c, found.actor);
    return c.redirect(back, 303);
  });

  app.post("/auth/sign_out", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    await signOutSite(c);
    return c.redirect("/", 303);
  });

  app.post("/settings/language", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const lang = formText(form, "lang");
    if (lang !== "nl" && lang !== "en") return c.json({ error: "lang must be nl or en" }, 400);
    setCookie(c, LANG_COOKIE, lang, {
      path: "/", httpOnly: true, sameSite: "Lax", secure: c.get("deps").config.origin.protocol === "https:", maxAge: 365 * 24 * 3600,
    });
    return c.redirect(localPath(formText(form, "back")), 303);
  });
}
