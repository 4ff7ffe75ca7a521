/**
 * What every form handler of the site needs: the posted fields as text, the
 * CSRF check (a missing or wrong token is a 403 page and nothing is done),
 * a safe place to go back to, and the sign-in a writing page requires.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../context.ts";
import { layout, pageState, type PageState } from "./layout.ts";
import { siteCsrfMatches } from "./session.ts";

export type Form = Record<string, string | File | (string | File)[]>;

/** A path on this site to go back to; anything else (another origin, "//host") goes home. */
export function localPath(value: string | undefined): string {
  return value && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 2000 ? value : "/";
}

/** One text field of a posted form (a repeated or file field is not text). */
export function formText(form: Form, name: string): string | undefined {
  const v = form[name];
  return typeof v === "string" ? v : undefined;
}

/** The page a form with a missing or wrong token gets: 403, nothing done. */
export async function expiredForm(c: Context<AppEnv>): Promise<Response> {
  const s = await pageState(c);
  return c.html(layout(s, s.t.expiredForm, html`<p><a href="${s.here}">${s.t.home}</a></p>`), 403);
}

/**
 * The posted form when its CSRF token matches the browser's, otherwise
 * undefined (answer with `expiredForm`). `all: true` keeps repeated fields.
 */
export async function readForm(c: Context<AppEnv>): Promise<Form | undefined> {
  const form = await c.req.parseBody({ all: true }) as Form;
  return siteCsrfMatches(c, formText(form, "csrf_token")) ? form : undefined;
}

/** A redirect to the sign-in page that comes back here afterwards. */
export function toSignIn(c: Context<AppEnv>, s: PageState): Response {
  return c.redirect(`/auth/sign_in?back=${encodeURIComponent(s.here)}`, 303);
}

/** The hidden field every form carries. */
export function csrfField(s: PageState) {
  return html`<input type="hidden" name="csrf_token" value="${s.csrf}">`;
}
