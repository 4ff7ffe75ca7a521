/**
 * What every events, wiki and files page does first: the group at `/@name`
 * (a secret group the viewer does not know of is the same 404 as none), its
 * module switched on (else 404), and whether the viewer may read its content
 * (as the about page decides: anyone for a public group, its members for a
 * closed one; others see the group's name and the closed-group notice).
 * Also the pages of a refused action and the form error paragraph.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor, Membership } from "../../db/schema.ts";
import { findLocalActor } from "../../domain/accounts.ts";
import { DomainError, type DomainErrorKind } from "../../domain/errors.ts";
import { type GroupView, groupScope, moduleEnabled, viewOf } from "../../domain/groups.ts";
import { canSeeMembers, knowsOfGroup, membershipOf } from "../../domain/membership.ts";
import { placeInGroup } from "../../domain/posts/in-groups.ts";
import { readableByAnyone, type Viewer } from "../../domain/visibility.ts";
import { type GroupSection, groupNav, groupSectionName } from "../group-nav.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { expiredForm, type Form, readForm, toSignIn } from "../forms.ts";
import { viewerOf } from "../pages.ts";
import { actorName } from "../render.ts";
import { localized } from "../texts.ts";
import { MODULE_TEXTS, type ModuleTexts } from "./texts.ts";

export interface Section {
  s: PageState;
  m: ModuleTexts;
  viewer: Viewer;
  group: GroupView;
  membership: Membership | undefined;
  section: GroupSection;
}

type WebContext = Context<AppEnv>;

async function notFound(c: WebContext, s: PageState): Promise<Response> {
  return c.html(layout(s, s.t.notFound, html`<p>${s.t.notFoundText}</p>`), 404);
}

/**
 * The section of the group named in the path (`:handle`, "@name"), or the
 * response to send instead: 404, or the closed-group notice for a viewer
 * who may not read the group.
 */
export async function openSection(c: WebContext, module: string, section: GroupSection): Promise<Section | Response> {
  const { db, config } = c.get("deps");
  const s = await pageState(c);
  const handle = c.req.param("handle") ?? "";
  const actor = handle.startsWith("@") ? await findLocalActor(db, config.origin, handle.slice(1)) : undefined;
  if (!actor || actor.gone_at || actor.type !== "Group") return notFound(c, s);
  const group = await viewOf(db, actor);
  const viewer = viewerOf(s.me);
  if (!(await knowsOfGroup(db, viewer, group)) || !moduleEnabled(group, module)) return notFound(c, s);
  const membership = s.me ? await membershipOf(db, actor.id, s.me.id) : undefined;
  if (!readableByAnyone(groupScope(group)) && !(await canSeeMembers(db, viewer, group))) {
    return c.html(layout(s, actorName(actor), html`${groupNav(s, group, section, membership)}<p>${s.t.closedGroup}</p>`));
  }
  return { s, m: localized(s.lang, MODULE_TEXTS), viewer, group, membership, section };
}

/**
 * A form posted to a section: the CSRF check (403 and nothing done), the
 * section as `openSection` opens it, and a signed-in person (else to sign-in).
 */
export async function openSectionForm(c: WebContext, module: string, section: GroupSection): Promise<{ form: Form; x: Section; me: Actor } | Response> {
  const form = await readForm(c);
  if (!form) return expiredForm(c);
  const x = await openSection(c, module, section);
  if (x instanceof Response) return x;
  const me = x.s.me;
  if (!me) return toSignIn(c, x.s);
  return { form, x, me };
}

/** A section page: the group's navigation, then the body. */
export function sectionPage(x: Section, title: string, body: Html): Html {
  return layout(x.s, title, html`<p class="muted">${actorName(x.group.actor)} · ${groupSectionName(x.s.lang, x.section)}</p>
${groupNav(x.s, x.group, x.section, x.membership)}
${body}`);
}

/** May this person start a post of `module` in the group (the domain's rule for new posts)? */
export async function mayPost(c: WebContext, me: Actor | undefined, group: GroupView, module: string): Promise<boolean> {
  if (!me) return false;
  try {
    await placeInGroup(c.get("deps").db, me, group.actor.id, undefined, module);
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false;
    throw error;
  }
}

const STATUS: Record<DomainErrorKind, 401 | 403 | 404 | 409 | 410 | 422> = {
  invalid: 422, not_found: 404, conflict: 409, forbidden: 403, unauthorized: 401, gone: 410,
};

/** The HTTP status of a refused action. */
export function statusOf(error: DomainError): 401 | 403 | 404 | 409 | 410 | 422 {
  return STATUS[error.kind];
}

/** The page of an action the domain refused (not a form to show again): its message and the way back. */
export function refusedPage(c: WebContext, x: Section, error: DomainError, back: string): Response | Promise<Response> {
  const title = error.kind === "not_found" ? x.s.t.notFound : x.m.error;
  const text = error.kind === "not_found" ? x.s.t.notFoundText : error.message;
  return c.html(sectionPage(x, title, html`<p id="form-error" class="error" role="alert">${text}</p>
<p><a href="${back}">${x.m.backToPage}</a></p>`), statusOf(error));
}

/** The error paragraph of a form shown again; fields point at it with aria-describedby. */
export function formError(message: string | undefined): Html | string {
  return message ? html`<p id="form-error" class="error" role="alert">${message}</p>` : "";
}

/** `aria-describedby` of a field when the form has an error (and the field's own hint, if any). */
export function describedBy(error: string | undefined, hint?: string): Html | string {
  const ids = [error ? "form-error" : "", hint ?? ""].filter((x) => x !== "").join(" ");
  return ids ? html` aria-describedby="${ids}"` : "";
}

/** Runs a domain action; a DomainError comes back as a value for the page to show. */
export async function attempt<T>(action: () => Promise<T>): Promise<T | DomainError> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}
