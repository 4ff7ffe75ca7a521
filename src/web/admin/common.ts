/**
 * What the admin pages share: their frame (the layout with a sub-navigation
 * between the admin pages), the 403 and 404 pages, a form's error line, and
 * turning the domain's refusals into pages (never a 500): a form with
 * invalid input is shown again with status 422 and what was typed.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { DomainError } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import type { Page } from "../../domain/paging.ts";
import { statusOf } from "../../http/errors.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { PAGE_SIZE } from "../render.ts";
import { localized } from "../texts.ts";
import { type AdminTexts, ADMIN_TEXTS } from "./texts.ts";

export interface AdminState extends PageState {
  a: AdminTexts;
}

export async function adminState(c: Context<AppEnv>): Promise<AdminState> {
  const s = await pageState(c);
  return { ...s, a: localized(s.lang, ADMIN_TEXTS) };
}

export interface NavLink {
  href: string;
  label: string;
}

/** The navigation between admin pages, the current one marked. */
export function subNav(s: AdminState, links: NavLink[], current: string): Html {
  return html`<nav class="admin-nav" aria-label="${s.a.adminPages}"><ul>
${links.map((l) => html`<li><a href="${l.href}"${l.href === current ? html` aria-current="page"` : ""}>${l.label}</a></li>`)}
</ul></nav>`;
}

export function forbiddenPage(c: Context<AppEnv>, s: AdminState, message = s.a.forbiddenText): Response | Promise<Response> {
  return c.html(layout(s, s.a.forbidden, html`<p>${message}</p>`), 403);
}

export function notFoundPage(c: Context<AppEnv>, s: AdminState): Response | Promise<Response> {
  return c.html(layout(s, s.t.notFound, html`<p>${s.t.notFoundText}</p>`), 404);
}

/** The error line of a form that was not accepted (fields name it with `described`). */
export function formError(error: string | undefined): Html | string {
  return error ? html`<p id="form-error" class="error" role="alert">${error}</p>` : "";
}

export function described(error: string | undefined): Html | string {
  return error ? html` aria-describedby="form-error"` : "";
}

/**
 * Runs a form's action. A domain refusal becomes a page: invalid input goes
 * to `again` (the form with the message, 422) when there is one; anything
 * else is a page with the domain's status and message, linking `back`.
 */
export async function acting(
  c: Context<AppEnv>, s: AdminState, back: string, run: () => Promise<Response>, again?: (message: string) => Promise<Response>,
): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.kind === "invalid" && again) return again(err.message);
    const status = statusOf[err.kind];
    const title = status === 404 ? s.t.notFound : status === 403 ? s.a.forbidden : s.a.refused;
    return c.html(layout(s, title, html`<p class="error" role="alert">${err.message}</p><p><a href="${back}">${s.a.overview}</a></p>`), status);
  }
}

/** The page of a list a page shows: `max_id` from the query when it is an id. */
export function pageOf(c: Context<AppEnv>): Page {
  const maxId = c.req.query("max_id");
  return maxId && isRowId(maxId) ? { maxId, limit: PAGE_SIZE } : { limit: PAGE_SIZE };
}

/** A link to the next (older) page, when this one was full. */
export function olderLink(s: AdminState, ids: string[], href: (lastId: string) => string): Html | string {
  const last = ids.at(-1);
  return last && ids.length >= PAGE_SIZE ? html`<p><a href="${href(last)}">${s.a.more}</a></p>` : "";
}

export function when(d: Date): Html {
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace("T", " ")} UTC</time>`;
}
