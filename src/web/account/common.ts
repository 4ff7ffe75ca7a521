/** Pieces the account pages share: the form error, its field link, the 403 and 404 pages, domain errors as statuses. */
import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../context.ts";
import { DomainError } from "../../domain/errors.ts";
import { layout, pageState } from "../layout.ts";
import { accountTexts } from "./texts.ts";

/** The error above a form (announced), or nothing. */
export function formError(error: string | undefined) {
  return error ? html`<p id="form-error" class="error" role="alert">${error}</p>` : "";
}

/** `aria-describedby` pointing a field at the form's error, when there is one. */
export function describedBy(error: string | undefined, hint?: string) {
  const ids = [error ? "form-error" : "", hint ?? ""].filter(Boolean).join(" ");
  return ids ? html` aria-describedby="${ids}"` : "";
}

/** The status a domain refusal of a form becomes: 403 when not allowed, 404 when not there, else 422. */
export function formStatus(error: DomainError): ContentfulStatusCode {
  if (error.kind === "forbidden") return 403;
  if (error.kind === "not_found") return 404;
  return 422;
}

export async function notFoundPage(c: Context<AppEnv>): Promise<Response> {
  const s = await pageState(c);
  return c.html(layout(s, s.t.notFound, html`<p>${s.t.notFoundText}</p>`), 404);
}

export async function forbiddenPage(c: Context<AppEnv>): Promise<Response> {
  const s = await pageState(c);
  const a = accountTexts(s.lang);
  return c.html(layout(s, a.forbidden, html`<p>${a.forbiddenText}</p>`), 403);
}
