/**
 * On a post's page (src/web/posts.ts): the group and section it is in, as a
 * breadcrumb back to them, and the edit and delete links for those who may
 * (its author; a moderator of its group deletes too; the domain checks again).
 */
import { html } from "hono/html";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { findGroup, type GroupView } from "../../domain/groups.ts";
import { mayDeleteContent } from "../../modules/edit-content.ts";
import { type GroupSection, groupSectionHref, groupSectionName } from "../group-nav.ts";
import type { Html, PageState } from "../layout.ts";
import { postPagePath } from "../page-basics.ts";
import type { PageRow } from "../posts.ts";
import { actorHref, actorName } from "../render.ts";
import { groupTexts } from "./group-page.ts";

/** The section of a group that lists a module's posts. */
const MODULE_SECTIONS: Record<string, GroupSection> = {
  discussion: "discussions", blog: "blog", question: "questions", event: "events", file: "files", wiki: "wiki",
};

/** The modules whose fields the edit form has (title, content warning, text); none: a comment or a status. */
export const EDITABLE_MODULES: ReadonlySet<string> = new Set(["discussion", "blog", "question"]);

export function sectionOfPost(post: Post): GroupSection | undefined {
  return post.module ? MODULE_SECTIONS[post.module] : undefined;
}

/** Where to go after a post is gone: its group's section, its group, or its author's page. */
export async function placeOf(db: Db, post: Post): Promise<{ group: GroupView; section: GroupSection | undefined } | undefined> {
  const group = post.group_id ? await findGroup(db, post.group_id) : undefined;
  return group?.actor.local ? { group, section: sectionOfPost(post) } : undefined;
}

/**
 * "Group › Section" above a post in a local group (nothing for other posts),
 * and after a comment that waits for a moderator (`?waiting`), a notice saying so.
 */
export async function postPlace(db: Db, s: PageState, post: Post): Promise<Html | string> {
  const waiting = new URL(s.here, "http://page").searchParams.has("waiting")
    ? html`<p class="notice" role="status">${groupTexts(s).waiting}</p>` : "";
  const place = await placeOf(db, post);
  if (!place) return waiting;
  const { group, section } = place;
  const crumbs = html`<li><a href="${actorHref(group.actor)}">${actorName(group.actor)}</a></li>${section
    ? html`<li><a href="${groupSectionHref(group, section)}">${groupSectionName(s.lang, section)}</a></li>`
    : ""}`;
  return html`<nav class="breadcrumb" aria-label="${groupTexts(s).breadcrumb}"><ul>${crumbs}</ul></nav>${waiting}`;
}

export function mayEditOnPage(s: PageState, post: Post): boolean {
  return s.me !== undefined && post.actor_id === s.me.id && !post.reblog_of_id
    && (post.module === null || EDITABLE_MODULES.has(post.module));
}

/** Edit and delete links under a post, for who may. */
export async function postActions(db: Db, s: PageState, row: PageRow): Promise<Html | string> {
  if (!s.me) return "";
  const t = groupTexts(s);
  const path = postPagePath(row.author.username, row.post.id);
  const edit = mayEditOnPage(s, row.post) ? html`<li><a href="${path}/edit">${t.edit}</a></li>` : "";
  const remove = await mayDeleteContent(db, s.me, row.post) ? html`<li><a href="${path}/delete">${t.delete}</a></li>` : "";
  return edit || remove ? html`<ul class="post-actions">${edit}${remove}</ul>` : "";
}
