/**
 * `/notifications` for the signed-in: what happened (who, what, which post,
 * in which group, when), newest first and paged, through the domain's
 * notification list, which leaves out posts the person may no longer see.
 * New ones (past the notifications marker) are marked; one POST moves the
 * marker to the newest shown.
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Actor } from "../../db/schema.ts";
import { isRowId } from "../../domain/ids.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import { getMarkers, setMarkers } from "../../domain/markers.ts";
import { listNotifications, type NotificationView } from "../../domain/notification-list.ts";
import { csrfField, expiredForm, formText, readForm, toSignIn } from "../forms.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { htmlToParagraphs } from "../posts.ts";
import { actorHref, actorName, PAGE_SIZE, postHref } from "../render.ts";
import { accountTexts, shortTime } from "./texts.ts";

// Markers hold row ids (the API checks them); anything else counts as nothing read.
const newer = (a: string, b: string) => !isRowId(b) || BigInt(a) > BigInt(b);

function excerpt(stored: string): string {
  const text = htmlToParagraphs(stored).join(" ");
  return text.length > 140 ? `${text.slice(0, 140)}…` : text;
}

function oneNotification(s: PageState, n: NotificationView, lastRead: string | undefined, authors: Map<string, Actor>): Html {
  const a = accountTexts(s.lang);
  const unread = lastRead === undefined || newer(n.id, lastRead);
  const what = a.notification[n.type] ?? a.otherNotification;
  return html`<li class="${unread ? "unread" : ""}">
${unread ? html`<strong class="badge">${a.unread}</strong> ` : ""}<a href="${actorHref(n.actor)}">${actorName(n.actor)}</a> ${what}${n.group && n.group.id !== n.actor.id ? html` ${a.inGroup} <a href="${actorHref(n.group)}">${actorName(n.group)}</a>` : ""}
<time datetime="${n.createdAt.toISOString()}" class="muted">${shortTime(n.createdAt)}</time>
${n.post ? html`<blockquote><a href="${postHref(n.post, authors.get(n.post.actor_id))}">${n.post.name || excerpt(n.post.content_html) || a.post}</a></blockquote>` : ""}
</li>`;
}

export function mountNotificationsPage(app: Hono<AppEnv>): void {
  app.get("/notifications", async (c) => {
    const s = await pageState(c);
    if (!s.me) return toSignIn(c, s);
    const a = accountTexts(s.lang);
    const { db } = c.get("deps");
    const maxId = c.req.query("max_id");
    const [items, markers] = await Promise.all([
      listNotifications(db, s.me.id, {}, { ...(maxId && isRowId(maxId) ? { maxId } : {}), limit: PAGE_SIZE }),
      getMarkers(db, s.me.id, ["notifications"]),
    ]);
    const lastRead = markers[0]?.lastReadId;
    const authorIds = [...new Set(items.flatMap((n) => (n.post ? [n.post.actor_id] : [])))];
    const authors = new Map((await findActorsByIds(db, authorIds)).map((x) => [x.id, x]));
    const newest = items[0];
    const anyUnread = newest !== undefined && (lastRead === undefined || newer(newest.id, lastRead));
    const last = items.at(-1);
    return c.html(layout(s, a.notifications, html`
${anyUnread ? html`<form method="post" action="/notifications/read">${csrfField(s)}<input type="hidden" name="last_read_id" value="${newest.id}"><button type="submit">${a.markRead}</button></form>` : ""}
${items.length === 0 ? html`<p>${a.noNotifications}</p>` : html`<ul class="rows notifications">${items.map((n) => oneNotification(s, n, lastRead, authors))}</ul>`}
${last && items.length >= PAGE_SIZE ? html`<p><a href="/notifications?max_id=${last.id}">${a.olderNotifications}</a></p>` : ""}`));
  });

  app.post("/notifications/read", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const s = await pageState(c);
    if (!s.me) return toSignIn(c, s);
    const id = formText(form, "last_read_id");
    if (!isRowId(id)) return c.html(layout(s, s.t.notFound, html`<p>${s.t.notFoundText}</p>`), 422);
    const { db } = c.get("deps");
    const [marker] = await getMarkers(db, s.me.id, ["notifications"]);
    if (!marker || newer(id, marker.lastReadId)) await setMarkers(db, s.me.id, { notifications: id });
    return c.redirect("/notifications", 303);
  });
}
