/**
 * A group's events: the calendar of one month (`/@group/events?month=YYYY-MM`,
 * in Dutch time, with the previous and next month), the form for a new event
 * (`/@group/events/new`, posted to `/@group/events`) and the RSVP form's
 * target (`/@group/events/:id/rsvp`). Lists and writing go through the event
 * module and the content functions Plein's API uses.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Post } from "../../db/schema.ts";
import { DomainError, invalid, notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import { createIn } from "../../api/plein/content.ts";
import { detailsOfMany } from "../../modules/event/details.ts";
import { groupCalendar } from "../../modules/event/lists.ts";
import { answerEvent } from "../../modules/event/rsvp.ts";
import { RSVP_STATUSES, type RsvpStatus } from "../../modules/event/tables.ts";
import { csrfField, type Form, formText, localPath, toSignIn } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import { type Html } from "../layout.ts";
import { postHref } from "../render.ts";
import { attempt, describedBy, formError, mayPost, openSection, openSectionForm, refusedPage, type Section, sectionPage, statusOf } from "./section.ts";
import { clockText, datetimeAttr, dayKey, dayText, monthName, monthParam, monthWindow, PAGE_TIME_ZONE, thisMonth } from "./time.ts";

const MODULE = "event";
/** Events one month shows at most. */
const MONTH_LIMIT = 200;

type WebContext = Context<AppEnv>;

async function calendar(c: WebContext, x: Section): Promise<Html> {
  const { db } = c.get("deps");
  const month = monthParam(c.req.query("month")) ?? thisMonth();
  const { from, to } = monthWindow(month);
  const posts = await groupCalendar(db, x.viewer, x.group.actor.id, { from, to, limit: MONTH_LIMIT });
  const [details, authors] = await Promise.all([
    detailsOfMany(db, posts.map((p) => p.id)),
    findActorsByIds(db, [...new Set(posts.map((p) => p.actor_id))]),
  ]);
  const authorById = new Map(authors.map((a) => [a.id, a]));
  const days = new Map<string, Post[]>();
  for (const p of posts) {
    const d = details.get(p.id);
    if (!d) continue;
    const key = dayKey(d.starts_at);
    days.set(key, [...(days.get(key) ?? []), p]);
  }
  const base = groupSectionHref(x.group, "events");
  const link = (m: typeof month) => `${base}?month=${m.toString()}`;
  const list = days.size === 0 ? html`<p>${x.m.noEvents}</p>` : html`${[...days.values()].map((dayPosts) => {
    const first = details.get(dayPosts[0]!.id)!;
    return html`<h3>${dayText(first.starts_at, x.s.lang)}</h3>
<ul class="events">${dayPosts.map((p) => {
      const d = details.get(p.id)!;
      const place = [d.location_name, d.location_address].filter((v) => v).join(", ");
      return html`<li><time datetime="${datetimeAttr(d.starts_at)}">${clockText(d.starts_at)}</time>${d.ends_at ? html`–<time datetime="${datetimeAttr(d.ends_at)}">${clockText(d.ends_at)}</time>` : ""}
<a href="${postHref(p, authorById.get(p.actor_id))}">${p.name ?? ""}</a>${place ? html` <span class="muted">${place}</span>` : ""}</li>`;
    })}</ul>`;
  })}`;
  const create = await mayPost(c, x.s.me, x.group, MODULE) ? html`<p><a href="${base}/new">${x.m.newEvent}</a></p>` : "";
  return html`<h2>${monthName(month, x.s.lang)}</h2>
${list}
<nav class="pager" aria-label="${x.m.calendar(monthName(month, x.s.lang))}"><ul>
<li><a href="${link(month.subtract({ months: 1 }))}" rel="prev">${x.m.previousMonth}</a></li>
<li><a href="${link(month.add({ months: 1 }))}" rel="next">${x.m.nextMonth}</a></li>
</ul></nav>
${create}`;
}

function eventForm(x: Section, form: Form = {}, error?: string): Html {
  const v = (name: string) => formText(form, name) ?? "";
  const d = describedBy(error);
  return html`${formError(error)}
<form method="post" action="${groupSectionHref(x.group, "events")}" class="stack">
${csrfField(x.s)}
<label for="ev-title">${x.m.title}</label>
<input type="text" id="ev-title" name="title" required maxlength="500" value="${v("title")}"${d}>
<label for="ev-text">${x.m.description}</label>
<textarea id="ev-text" name="text" required rows="6"${d}>${v("text")}</textarea>
<p id="ev-hint" class="muted">${x.m.dateHint}</p>
<label for="ev-start">${x.m.start}</label>
<input type="datetime-local" id="ev-start" name="start" required value="${v("start")}"${describedBy(error, "ev-hint")}>
<label for="ev-end">${x.m.end}</label>
<input type="datetime-local" id="ev-end" name="end" value="${v("end")}"${describedBy(error, "ev-hint")}>
<label for="ev-place">${x.m.place}</label>
<input type="text" id="ev-place" name="location" maxlength="200" value="${v("location")}"${d}>
<button type="submit">${x.m.create}</button>
</form>`;
}

export function mountEventPages(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/events", async (c) => {
    const x = await openSection(c, MODULE, "events");
    if (x instanceof Response) return x;
    return c.html(sectionPage(x, x.m.allEvents, await calendar(c, x)));
  });

  app.get("/:handle{@[^/]+}/events/new", async (c) => {
    const x = await openSection(c, MODULE, "events");
    if (x instanceof Response) return x;
    if (!x.s.me) return toSignIn(c, x.s);
    if (!(await mayPost(c, x.s.me, x.group, MODULE))) return c.html(sectionPage(x, x.m.newEvent, html`<p>${x.m.mayNot}</p>`), 403);
    return c.html(sectionPage(x, x.m.newEvent, eventForm(x)));
  });

  app.post("/:handle{@[^/]+}/events", async (c) => {
    const opened = await openSectionForm(c, MODULE, "events");
    if (opened instanceof Response) return opened;
    const { form, x, me } = opened;
    const end = formText(form, "end");
    const params = {
      module: MODULE, title: formText(form, "title"), text: formText(form, "text"), start: formText(form, "start"),
      ...(end ? { end } : {}), location: formText(form, "location") ?? "", time_zone: PAGE_TIME_ZONE,
    };
    const post = await attempt(() => createIn(c.get("deps"), me, params, { group: x.group }));
    if (post instanceof DomainError) return c.html(sectionPage(x, x.m.newEvent, eventForm(x, form, post.message)), statusOf(post));
    return c.redirect(postHref(post, me), 303);
  });

  app.post("/:handle{@[^/]+}/events/:id/rsvp", async (c) => {
    const opened = await openSectionForm(c, MODULE, "events");
    if (opened instanceof Response) return opened;
    const { form, x, me } = opened;
    const id = c.req.param("id");
    const back = localPath(formText(form, "back"));
    const done = await attempt(async () => {
      if (!isRowId(id)) throw notFound();
      const post = await getVisiblePost(c.get("deps").db, x.viewer, id);
      if (post.module !== MODULE || post.group_id !== x.group.actor.id) throw notFound();
      const status = formText(form, "status");
      if (!status || !(RSVP_STATUSES as readonly string[]).includes(status)) throw invalid(`status is required: one of ${RSVP_STATUSES.join(", ")}`);
      await answerEvent(c.get("deps").db, post, me, status as RsvpStatus);
    });
    if (done instanceof DomainError) return refusedPage(c, x, done, back);
    return c.redirect(back, 303);
  });
}
