/**
 * The frame of a group's admin pages (`/@group/admin/...`): which group, who
 * asks, and may they. A group the viewer may not know of is a 404 (as one
 * that does not exist); a member who is not a moderator gets a 403; the
 * pages of the group's admins (settings, requests, invitations, members,
 * delivery log) are a 403 for moderators too. The domain decides again on
 * every action.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor, Membership } from "../../db/schema.ts";
import { findLocalActor } from "../../domain/accounts.ts";
import { type GroupView, viewOf } from "../../domain/groups.ts";
import { isAdmin, isModerator, knowsOfGroup, membershipOf } from "../../domain/membership.ts";
import { expiredForm, type Form, readForm, toSignIn } from "../forms.ts";
import { groupNav } from "../group-nav.ts";
import { type Html, layout } from "../layout.ts";
import { viewerOf } from "../pages.ts";
import { actorHref, actorName } from "../render.ts";
import { type AdminState, adminState, forbiddenPage, notFoundPage, subNav } from "./common.ts";

export type GroupAdminPage = "overview" | "settings" | "requests" | "invites" | "members" | "moderation" | "reports" | "audit";

/** Pages for the group's admins only; the others are for its moderators too. */
const ADMIN_ONLY: readonly GroupAdminPage[] = ["settings", "requests", "invites", "members", "audit"];

export interface GroupAdmin {
  s: AdminState;
  me: Actor;
  group: GroupView;
  membership: Membership;
  /** `/@group/admin` */
  base: string;
}

export const GROUP_ADMIN_ROUTE = "/:handle{@[^/]+}/admin";

/** The group and the viewer's right to `page`, or the response that refuses. */
export async function groupAdmin(c: Context<AppEnv>, page: GroupAdminPage): Promise<GroupAdmin | Response> {
  const { db, config } = c.get("deps");
  const s = await adminState(c);
  const actor = await findLocalActor(db, config.origin, c.req.param("handle")?.slice(1) ?? "");
  if (!actor || actor.gone_at || actor.type !== "Group") return notFoundPage(c, s);
  const group = await viewOf(db, actor);
  if (!(await knowsOfGroup(db, viewerOf(s.me), group))) return notFoundPage(c, s);
  if (!s.me) return toSignIn(c, s);
  const membership = await membershipOf(db, actor.id, s.me.id);
  if (!membership || !isModerator(membership)) return forbiddenPage(c, s);
  if (ADMIN_ONLY.includes(page) && !isAdmin(membership)) return forbiddenPage(c, s);
  return { s, me: s.me, group, membership, base: `${actorHref(actor)}/admin` };
}

/** The same for a form: its CSRF token first (a 403 that does nothing), then the right. */
export async function groupAdminForm(c: Context<AppEnv>, page: GroupAdminPage): Promise<{ g: GroupAdmin; form: Form } | Response> {
  const form = await readForm(c);
  if (!form) return expiredForm(c);
  const g = await groupAdmin(c, page);
  return g instanceof Response ? g : { g, form };
}

/** An admin page of the group: the group's sections, the admin pages, then `body`. */
export function groupAdminPage(g: GroupAdmin, page: GroupAdminPage, body: Html): Html {
  const { s, group, membership, base } = g;
  const admin = isAdmin(membership);
  const pages: Array<[GroupAdminPage, string]> = [
    ["overview", s.a.overview], ["settings", s.a.settings], ["requests", s.a.requests], ["invites", s.a.invites],
    ["members", s.a.members], ["moderation", s.a.moderation], ["reports", s.a.reports], ["audit", s.a.audit],
  ];
  const href = (p: GroupAdminPage) => (p === "overview" ? base : `${base}/${p}`);
  const links = pages.filter(([p]) => admin || !ADMIN_ONLY.includes(p)).map(([p, label]) => ({ href: href(p), label }));
  const title = page === "overview" ? s.a.groupAdmin(actorName(group.actor)) : `${pages.find(([p]) => p === page)![1]} · ${actorName(group.actor)}`;
  return layout(s, title, html`${groupNav(s, group, "admin", membership)}
${subNav(s, links, href(page))}
${body}`);
}
