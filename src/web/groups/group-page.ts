/**
 * What every page of a group shares: finding the group by its handle as the
 * viewer may know of it (a secret group is absent to those it does not know),
 * the viewer's membership, whether the viewer may read its content, and the
 * frame (name, handle, description, section navigation).
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor, Membership } from "../../db/schema.ts";
import { findLocalActor } from "../../domain/accounts.ts";
import { DomainError } from "../../domain/errors.ts";
import { type GroupView, groupScope, viewOf } from "../../domain/groups.ts";
import { canSeeMembers, knowsOfGroup, membershipOf } from "../../domain/membership.ts";
import { readableByAnyone, type Viewer } from "../../domain/visibility.ts";
import { statusOf } from "../../http/errors.ts";
import { type GroupSection, groupNav, groupSectionName } from "../group-nav.ts";
import { type Alternate, type Html, layout, pageState, type PageState } from "../layout.ts";
import { notFoundPage, viewerOf } from "../page-basics.ts";
import { actorName, paragraphs } from "../render.ts";
import { localized } from "../texts.ts";
import { GROUP_TEXTS } from "./texts.ts";
import { domainMessage } from "./domain-texts.ts";

export interface GroupPage {
  s: PageState;
  viewer: Viewer;
  group: GroupView;
  membership: Membership | undefined;
  /** may the viewer read what is in the group (a public group: anyone; otherwise its current members) */
  readable: boolean;
}

/** The local group `/@handle` names, as the viewer may know of it; undefined for a 404. */
export async function findGroupPage(c: Context<AppEnv>, handle: string, s?: PageState): Promise<GroupPage | undefined> {
  const { db, config } = c.get("deps");
  const actor = await findLocalActor(db, config.origin, handle.replace(/^@/, ""));
  return actor ? groupPageOf(c, actor, s) : undefined;
}

/** The group page of a local Group actor, as the viewer may know of it; undefined for a 404. */
export async function groupPageOf(c: Context<AppEnv>, actor: Actor, s?: PageState): Promise<GroupPage | undefined> {
  if (!actor.local || actor.gone_at || actor.type !== "Group") return undefined;
  const { db } = c.get("deps");
  const state = s ?? await pageState(c);
  const viewer = viewerOf(state.me);
  const group = await viewOf(db, actor);
  if (!group.settings || !(await knowsOfGroup(db, viewer, group))) return undefined;
  const [membership, seesMembers] = await Promise.all([
    state.me ? membershipOf(db, actor.id, state.me.id) : Promise.resolve(undefined),
    canSeeMembers(db, viewer, group),
  ]);
  // Who may see the members may read the content (canSeeMembers: the group's current members).
  const readable = readableByAnyone(groupScope(group)) || seesMembers;
  return { s: state, viewer, group, membership, readable };
}

export function groupTexts(s: PageState) {
  return localized(s.lang, GROUP_TEXTS);
}

/** A group's page: its name as the heading, its handle, the section navigation, then `body`. */
export function groupFrame(g: GroupPage, section: GroupSection, body: Html, alternates: Alternate[] = []): Html {
  const { s, group } = g;
  const name = actorName(group.actor);
  const title = section === "about" ? name : `${groupSectionName(s.lang, section)} · ${name}`;
  return layout(s, title, html`<p class="muted">@${group.actor.username}@${group.actor.domain}</p>
${groupNav(s, group, section, g.membership)}
${body}`, [{ type: "application/activity+json", href: group.actor.iri }, ...alternates]);
}

/** What a closed group shows those who may not read it: its description and the notice. */
export function closedNotice(g: GroupPage): Html {
  return html`${paragraphs(g.group.actor.summary_html)}<p>${g.s.t.closedGroup}</p>`;
}

/** The error above a form, and the attribute that ties a field to it. */
export function formError(error: string | undefined): Html | string {
  return error ? html`<p id="form-error" class="error" role="alert">${error}</p>` : "";
}

export function describedBy(error: string | undefined): Html | string {
  return error ? html` aria-describedby="form-error"` : "";
}

/** A domain refusal as a page with its status (403, 404 like any absent page, ...); anything else is not expected here. */
export async function refusalPage(c: Context<AppEnv>, s: PageState, err: unknown, back: string): Promise<Response> {
  if (!(err instanceof DomainError)) throw err;
  const status = statusOf[err.kind];
  if (status === 404) return notFoundPage(c);
  return c.html(layout(s, groupTexts(s).couldNot, html`<p>${domainMessage(s, err)}</p><p><a href="${back}">${groupTexts(s).back}</a></p>`), status);
}
