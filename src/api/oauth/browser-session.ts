import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { browserCookieOptions, formToken, formTokenMatches } from "../../http/browser-cookies.ts";
import type { Actor } from "../../db/schema.ts";
import { SESSION_LIFETIME_MS, sessionActor, startSession } from "../../domain/sessions.ts";
import type { ApiEnv } from "../mastodon/auth.ts";
import { SITE_SESSION } from "../../web/session.ts";

// The OAuth pages' only state in the browser: a session cookie (a random
// secret whose digest is in web_sessions) and a CSRF cookie whose value each
// form repeats (double submit). Both HttpOnly, SameSite=Lax, scoped to /oauth,
// Secure when the public origin is https.
const SESSION = "plein_session";
const CSRF = "plein_csrf";

function cookieOptions(c: Context<ApiEnv>) {
  return browserCookieOptions(c.get("deps").config.origin, "/oauth", SESSION_LIFETIME_MS / 1000);
}

/** The person signed in on these pages, or on the site's pages (src/web/session.ts), whose session counts here too. */
export async function signedInActor(c: Context<ApiEnv>): Promise<Actor | undefined> {
  const db = c.get("deps").db;
  const secret = getCookie(c, SESSION);
  const own = secret ? await sessionActor(db, secret) : undefined;
  if (own) return own;
  const site = getCookie(c, SITE_SESSION);
  return site ? sessionActor(db, site) : undefined;
}

export async function signIn(c: Context<ApiEnv>, actor: Actor): Promise<void> {
  const secret = await startSession(c.get("deps").db, actor);
  setCookie(c, SESSION, secret, cookieOptions(c));
}

/** The form token of this browser, made (and set as a cookie) on its first visit. */
export function csrfToken(c: Context<ApiEnv>): string {
  return formToken(c, CSRF, cookieOptions(c));
}

/** Does the form's token equal the browser's cookie? */
export function csrfMatches(c: Context<ApiEnv>, submitted: string | undefined): boolean {
  return formTokenMatches(c, CSRF, submitted);
}
