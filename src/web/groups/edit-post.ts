/**
 * Editing and deleting one's own post from its page: `/@name/:id/edit` (the
 * fields the module takes: title, content warning, text) and
 * `/@name/:id/delete` (a confirmation, then a POST). Both go through the
 * functions Plein's API uses (src/modules/edit-content.ts); a moderator of
 * the post's group may delete it too. Anyone else gets 403 and nothing changes.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Post } from "../../db/schema.ts";
import { DomainError } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { findVisibleLocalPost } from "../../domain/posts/read.ts";
import { MAX_TEXT_CHARS } from "../../modules/create-content.ts";
import { deleteContent, editContent, mayDeleteContent } from "../../modules/edit-content.ts";
import { MAX_TITLE_CHARS } from "../../modules/shared/titled.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { notFoundPage, postPagePath, viewerOf } from "../page-basics.ts";
import { type PageRow, withAuthor } from "../posts.ts";
import { actorHref } from "../render.ts";
import { postRow } from "./comment-routes.ts";
import { domainMessage } from "./domain-texts.ts";
import { describedBy, formError, groupTexts, refusalPage } from "./group-page.ts";
import { mayEditOnPage, placeOf } from "./post-place.ts";

interface EditDraft {
  title: string;
  summary: string;
  text: string;
  error?: string;
}

function titled(post: Post): boolean {
  return post.module !== null;
}

function editForm(s: PageState, row: PageRow, draft: EditDraft): Html {
  const t = groupTexts(s);
  const d = describedBy(draft.error);
  const path = postPagePath(row.author.username, row.post.id);
  return layout(s, t.editPost, html`${formError(draft.error)}
<form class="stack" method="post" action="${path}/edit">
${csrfField(s)}
${titled(row.post) ? html`<label for="title">${t.title}</label>
<input type="text" id="title" name="title" value="${draft.title}" maxlength="${MAX_TITLE_CHARS}" required${d}>` : ""}
<label for="summary">${t.summary}</label>
<input type="text" id="summary" name="summary" value="${draft.summary}" maxlength="${LIMITS.summaryChars}"${d}>
<label for="text">${t.text}</label>
<textarea id="text" name="text" rows="10" required${d}>${draft.text}</textarea>
<button type="submit">${t.save}</button>
</form>
<p><a href="${path}">${t.cancel}</a></p>`);
}

/** The form's own checks in the reader's language; the module and the domain check again. */
function draftError(s: PageState, post: Post, draft: EditDraft): string | undefined {
  const t = groupTexts(s);
  if (titled(post) && draft.title.trim() === "") return t.titleRequired;
  if ([...draft.title.trim()].length > MAX_TITLE_CHARS) return t.tooLong(t.title, MAX_TITLE_CHARS);
  if (draft.summary.length > LIMITS.summaryChars) return t.tooLong(t.summary, LIMITS.summaryChars);
  if (draft.text.trim() === "") return t.textRequired;
  if (draft.text.length > MAX_TEXT_CHARS) return t.tooLong(t.text, MAX_TEXT_CHARS);
  return undefined;
}

function draftOf(form: Form): EditDraft {
  return { title: formText(form, "title") ?? "", summary: formText(form, "summary") ?? "", text: formText(form, "text") ?? "" };
}

async function refused(c: Context<AppEnv>, s: PageState, why: string, back: string): Promise<Response> {
  const t = groupTexts(s);
  return c.html(layout(s, t.couldNot, html`<p>${why}</p><p><a href="${back}">${t.back}</a></p>`), 403);
}

/** The post the address names as the viewer may see it, and the signed-in person; or the response instead. */
async function target(c: Context<AppEnv>, form?: Form): Promise<{ s: PageState; row: PageRow; back: string } | Response> {
  if (!isRowId(c.req.param("id"))) return notFoundPage(c);
  const s = await pageState(c);
  const row = await postRow(c, viewerOf(s.me));
  if (!row) return notFoundPage(c);
  const back = postPagePath(row.author.username, row.post.id);
  if (!s.me) return toSignIn(c, { ...s, here: form ? back : s.here });
  return { s, row, back };
}

/** Where a deleted post's page sends its reader: a comment's parent, a thread's section of its group, or the author's page. */
async function afterDelete(c: Context<AppEnv>, s: PageState, post: Post): Promise<string> {
  const { db } = c.get("deps");
  const parent = post.in_reply_to_id ? await withAuthor(db, await findVisibleLocalPost(db, viewerOf(s.me), { id: post.in_reply_to_id })) : undefined;
  if (parent) return postPagePath(parent.author.username, parent.post.id);
  const place = await placeOf(db, post);
  if (place) return place.section ? groupSectionHref(place.group, place.section) : actorHref(place.group.actor);
  return actorHref(s.me!);
}

export function mountEditPost(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/:id{[0-9]+}/edit", async (c) => {
    const found = await target(c);
    if (found instanceof Response) return found;
    const { s, row, back } = found;
    if (!mayEditOnPage(s, row.post)) return refused(c, s, groupTexts(s).notYours, back);
    const { post } = row;
    return c.html(editForm(s, row, { title: post.name ?? "", summary: post.summary ?? "", text: post.content_source ?? "" }));
  });

  app.post("/:handle{@[^/]+}/:id{[0-9]+}/edit", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const found = await target(c, form);
    if (found instanceof Response) return found;
    const { s, row, back } = found;
    if (!mayEditOnPage(s, row.post)) return refused(c, s, groupTexts(s).notYours, back);
    const draft = draftOf(form);
    const error = draftError(s, row.post, draft);
    if (error) return c.html(editForm(s, row, { ...draft, error }), 422);
    try {
      await editContent(c.get("deps"), s.me!, row.post, {
        ...(titled(row.post) ? { title: draft.title } : {}), summary: draft.summary, text: draft.text,
      });
    } catch (err) {
      if (err instanceof DomainError && err.kind === "invalid") return c.html(editForm(s, row, { ...draft, error: domainMessage(s, err) }), 422);
      return refusalPage(c, s, err, back);
    }
    return c.redirect(back, 303);
  });

  app.get("/:handle{@[^/]+}/:id{[0-9]+}/delete", async (c) => {
    const found = await target(c);
    if (found instanceof Response) return found;
    const { s, row, back } = found;
    const t = groupTexts(s);
    if (!(await mayDeleteContent(c.get("deps").db, s.me!, row.post))) return refused(c, s, t.mayNotDelete, back);
    return c.html(layout(s, t.deletePost, html`${row.post.name ? html`<p><strong>${row.post.name}</strong></p>` : ""}
<p>${t.deleteWarning}</p>
<form class="inline" method="post" action="${back}/delete">${csrfField(s)}<button type="submit">${t.deleteYes}</button></form>
<a href="${back}">${t.cancel}</a>`));
  });

  app.post("/:handle{@[^/]+}/:id{[0-9]+}/delete", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const found = await target(c, form);
    if (found instanceof Response) return found;
    const { s, row, back } = found;
    const { db } = c.get("deps");
    if (!(await mayDeleteContent(db, s.me!, row.post))) return refused(c, s, groupTexts(s).mayNotDelete, back);
    try {
      await deleteContent(db, s.me!, row.post);
    } catch (err) {
      return refusalPage(c, s, err, back);
    }
    return c.redirect(await afterDelete(c, s, row.post), 303);
  });
}
