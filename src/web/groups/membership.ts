/**
 * The viewer's own membership of a group on its about page, as POST forms:
 * join (or ask to, where the group's admins approve), withdraw a request,
 * accept or decline an invitation, leave. The domain decides (join/leave in
 * src/domain/membership.ts, as Plein's API calls them).
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { join, leave } from "../../domain/membership.ts";
import { csrfField, expiredForm, readForm, toSignIn } from "../forms.ts";
import type { Html } from "../layout.ts";
import { notFoundPage } from "../page-basics.ts";
import { actorHref } from "../render.ts";
import { findGroupPage, type GroupPage, groupTexts, refusalPage } from "./group-page.ts";

function button(g: GroupPage, action: "join" | "leave", label: string): Html {
  return html`<form class="inline" method="post" action="${actorHref(g.group.actor)}/${action}">${csrfField(g.s)}<button type="submit">${label}</button></form>`;
}

/** What the viewer can do about their membership here (nothing for a ban). */
export function membershipAction(g: GroupPage): Html | string {
  const { s, membership, group } = g;
  const t = groupTexts(s);
  if (!s.me) return html`<p><a href="/auth/sign_in?back=${encodeURIComponent(actorHref(group.actor))}">${t.signInToJoin}</a></p>`;
  switch (membership?.state) {
    case "member":
      return html`<p>${t.youAreMember}</p>${membership.role === "owner" ? "" : button(g, "leave", t.leave)}`;
    case "pending":
      return html`<p>${t.requested}</p>${button(g, "leave", t.withdraw)}`;
    case "invited":
      return html`<p>${t.invited}</p><div class="actions">${button(g, "join", t.acceptInvite)} ${button(g, "leave", t.decline)}</div>`;
    case "banned":
      return "";
    case undefined: {
      const mode = group.settings?.join_mode ?? "open";
      if (mode === "invite") return html`<p>${t.inviteOnly}</p>`;
      return button(g, "join", mode === "approval" ? t.requestJoin : t.join);
    }
  }
}

export function mountGroupMembership(app: Hono<AppEnv>): void {
  for (const action of ["join", "leave"] as const) {
    app.post(`/:handle{@[^/]+}/${action}`, async (c) => {
      const form = await readForm(c);
      if (!form) return expiredForm(c);
      const g = await findGroupPage(c, c.req.param("handle"));
      if (!g) return notFoundPage(c);
      const back = actorHref(g.group.actor);
      if (!g.s.me) return toSignIn(c, { ...g.s, here: back });
      const { db, config } = c.get("deps");
      try {
        if (action === "join") await join(db, config.origin, g.group, g.s.me);
        else await leave(db, g.group, g.s.me);
      } catch (err) {
        return refusalPage(c, g.s, err, back);
      }
      return c.redirect(back, 303);
    });
  }
}
