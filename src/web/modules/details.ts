/**
 * What the post page (src/web/posts.ts) shows of a module's own fields: an
 * event's times, place, organiser, counts and RSVP form; a wiki page's
 * revision, parent and links to edit it and to its history; a file's name,
 * size, type and download link. Nothing for other posts.
 */
import { html } from "hono/html";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { findGroup, type GroupView } from "../../domain/groups.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { detailsOf, isOver } from "../../modules/event/details.ts";
import { mayRespond, rsvpOf } from "../../modules/event/rsvp.ts";
import { RSVP_STATUSES } from "../../modules/event/tables.ts";
import { fileOfPost } from "../../modules/file/files.ts";
import { mayEditPage } from "../../modules/wiki/editing.ts";
import { findPage } from "../../modules/wiki/pages.ts";
import { csrfField } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import type { Html, PageState } from "../layout.ts";
import { actorHref, actorName } from "../render.ts";
import { localized } from "../texts.ts";
import { fileLink, fileSize } from "./file-format.ts";
import { MODULE_TEXTS, type ModuleTexts } from "./texts.ts";
import { clockText, datetimeAttr, dayText } from "./time.ts";

async function localGroupOf(db: Db, post: Post): Promise<GroupView | undefined> {
  const group = post.group_id ? await findGroup(db, post.group_id) : undefined;
  return group?.actor.local ? group : undefined;
}

function when(s: PageState, at: Date): Html {
  return html`<time datetime="${datetimeAttr(at)}">${dayText(at, s.lang)} ${clockText(at)}</time>`;
}

async function eventDetails(db: Db, s: PageState, m: ModuleTexts, post: Post): Promise<Html | string> {
  const d = await detailsOf(db, post.id);
  if (!d) return "";
  const [organiser, group] = await Promise.all([findActorById(db, post.actor_id), localGroupOf(db, post)]);
  const place = [d.location_name, d.location_address].filter((v) => v).join(", ");
  const over = isOver(d);
  const mine = s.me ? await rsvpOf(db, post.id, s.me.iri) : undefined;
  const statuses = d.rsvp_style === "join" ? (["going", "not_going"] as const) : RSVP_STATUSES;
  const mayAnswer = s.me && group && !over && await mayRespond(db, post, s.me);
  const answer = mine
    ? html`<p>${m.youAnswered(m[mine.status])}${mine.waitlist_position !== null ? html` ${m.waitlisted(mine.waitlist_position)}` : ""}${mine.pending ? html` ${m.pending}` : ""}</p>`
    : "";
  const form = mayAnswer && group
    ? html`<form method="post" action="${groupSectionHref(group, "events")}/${post.id}/rsvp">
${csrfField(s)}<input type="hidden" name="back" value="${s.here}">
<fieldset><legend>${m.yourAnswer}</legend>
${statuses.map((st) => html`<label class="choice"><input type="radio" name="status" value="${st}"${mine?.status === st ? " checked" : ""} required> ${m[st]}</label>`)}
</fieldset>
<button type="submit">${m.answer}</button>
</form>`
    : "";
  return html`<section class="module-details" aria-labelledby="event-details"><h2 id="event-details">${m.when}</h2>
<dl>
<dt>${m.start}</dt><dd>${when(s, d.starts_at)}</dd>
${d.ends_at ? html`<dt>${m.endsAt}</dt><dd>${when(s, d.ends_at)}</dd>` : ""}
${place ? html`<dt>${m.where}</dt><dd>${place}</dd>` : ""}
${organiser ? html`<dt>${m.organiser}</dt><dd><a href="${actorHref(organiser)}">${actorName(organiser)}</a></dd>` : ""}
${d.going_count !== null ? html`<dt>${m.attendees}</dt><dd>${m.counts(d.going_count, d.maybe_count ?? 0, d.not_going_count ?? 0, d.waitlist_count ?? 0)}</dd>` : ""}
</dl>
${over ? html`<p>${m.over}</p>` : ""}
${answer}
${form}
</section>`;
}

async function wikiDetails(db: Db, s: PageState, m: ModuleTexts, post: Post): Promise<Html | string> {
  const [page, group] = await Promise.all([findPage(db, post.id), localGroupOf(db, post)]);
  if (!page || !group) return "";
  const base = `${groupSectionHref(group, "wiki")}/${post.id}`;
  const editable = s.me ? await mayEditPage(db, post, s.me) : false;
  return html`<nav class="module-details" aria-label="${m.wikiOf}"><ul>
<li>${m.revision(page.revision)}</li>
<li><a href="${groupSectionHref(group, "wiki")}">${m.wikiPages}</a></li>
<li><a href="${base}/revisions">${m.history}</a></li>
${editable ? html`<li><a href="${base}/edit">${m.edit}</a></li>
<li><a href="${groupSectionHref(group, "wiki")}/new?parent_id=${post.id}">${m.newSubPage}</a></li>` : ""}
</ul></nav>`;
}

async function fileDetails(db: Db, m: ModuleTexts, post: Post): Promise<Html | string> {
  const file = await fileOfPost(db, post.id);
  if (!file) return "";
  return html`<section class="module-details" aria-labelledby="file-details"><h2 id="file-details">${m.file}</h2>
<dl>
<dt>${m.name}</dt><dd>${fileLink(m, post.id, file)}</dd>
<dt>${m.size}</dt><dd>${fileSize(file.size)}</dd>
<dt>${m.type}</dt><dd>${file.media_type ?? "?"}</dd>
</dl>
</section>`;
}

/** The module block of a post's page (empty for posts of no module or a module without one). */
export async function moduleDetails(db: Db, s: PageState, post: Post): Promise<Html | string> {
  const m = localized(s.lang, MODULE_TEXTS);
  switch (post.module) {
    case "event":
      return eventDetails(db, s, m, post);
    case "wiki":
      return wikiDetails(db, s, m, post);
    case "file":
      return fileDetails(db, m, post);
    default:
      return "";
  }
}
