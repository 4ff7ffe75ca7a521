import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { browserCookieOptions, formToken, formTokenMatches } from "../http/browser-cookies.ts";
import type { AppEnv } from "../context.ts";
import type { Actor } from "../db/schema.ts";
import { endSession, SESSION_LIFETIME_MS, sessionActor, startSession } from "../domain/sessions.ts";

// The site's browser state: a session cookie (a random secret whose digest is
// in web_sessions, as for the OAuth pages) and a CSRF cookie that every form
// repeats (double submit). Both HttpOnly, SameSite=Lax, for the whole site,
// Secure when the public origin is https. The OAuth pages accept this session
// too (src/api/oauth/browser-session.ts).
export const SITE_SESSION = "plein_site";
const SITE_CSRF = "plein_site_csrf";

type WebContext = Context<AppEnv>;

function cookieOptions(c: WebContext) {
  return browserCookieOptions(c.get("deps").config.origin, "/", SESSION_LIFETIME_MS / 1000);
}

export function siteActor(c: WebContext): Promise<Actor | undefined> {
  const secret = getCookie(c, SITE_SESSION);
  return secret ? sessionActor(c.get("deps").db, secret) : Promise.resolve(undefined);
}

export async function signInSite(c: WebContext, actor: Actor): Promise<void> {
  const secret = await startSession(c.get("deps").db, actor);
  setCookie(c, SITE_SESSION, secret, cookieOptions(c));
}

export async function signOutSite(c: WebContext): Promise<void> {
  const secret = getCookie(c, SITE_SESSION);
  if (secret) await endSession(c.get("deps").db, secret);
  deleteCookie(c, SITE_SESSION, { path: "/", secure: c.get("deps").config.origin.protocol === "https:" });
}

/** The form token of this browser, made (and set as a cookie) on its first visit. */
export function siteCsrfToken(c: WebContext): string {
  return formToken(c, SITE_CSRF, cookieOptions(c));
}

/** Does the form's token equal the browser's cookie? */
export function siteCsrfMatches(c: WebContext, submitted: string | undefined): boolean {
  return formTokenMatches(c, SITE_CSRF, submitted);
}
