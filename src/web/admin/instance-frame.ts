/**
 * The frame of the instance admin pages (`/admin/...`): for the instance's
 * admins only (`isInstanceAdmin`); anyone else signed in gets a 403, the
 * signed-out are sent to sign in. The domain checks again on every action.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { isInstanceAdmin } from "../../domain/admins.ts";
import { expiredForm, type Form, readForm, toSignIn } from "../forms.ts";
import { type Html, layout } from "../layout.ts";
import { type AdminState, adminState, forbiddenPage, subNav } from "./common.ts";

export type InstanceAdminPage = "overview" | "federation" | "users" | "reports" | "audit" | "settings";

export interface InstanceAdmin {
  s: AdminState;
  me: Actor;
}

export async function instanceAdmin(c: Context<AppEnv>): Promise<InstanceAdmin | Response> {
  const s = await adminState(c);
  if (!s.me) return toSignIn(c, s);
  if (!(await isInstanceAdmin(c.get("deps").db, s.me))) return forbiddenPage(c, s);
  return { s, me: s.me };
}

/** The same for a form: its CSRF token first (a 403 that does nothing), then the right. */
export async function instanceAdminForm(c: Context<AppEnv>): Promise<{ i: InstanceAdmin; form: Form } | Response> {
  const form = await readForm(c);
  if (!form) return expiredForm(c);
  const i = await instanceAdmin(c);
  return i instanceof Response ? i : { i, form };
}

export function instanceAdminPage(s: AdminState, page: InstanceAdminPage, body: Html): Html {
  const { a } = s;
  const pages: Array<[InstanceAdminPage | "registrations", string]> = [
    ["overview", a.overview], ["federation", a.federation], ["users", a.users], ["registrations", a.registrations],
    ["reports", a.reports], ["audit", a.audit], ["settings", a.instanceSettings],
  ];
  const href = (p: string) => (p === "overview" ? "/admin" : `/admin/${p}`);
  const title = page === "overview" ? a.instanceAdmin : pages.find(([p]) => p === page)![1];
  return layout(s, title, html`${subNav(s, pages.map(([p, label]) => ({ href: href(p), label })), href(page))}
${body}`);
}
