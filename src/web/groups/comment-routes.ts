/**
 * The comment and accept-an-answer forms of a post's page (the thread itself
 * is comments.ts, which posts.ts renders; this file re-renders the page, so
 * it is apart from the thread to keep the imports one way): a comment through
 * the function Plein's API uses (src/modules/create-content.ts), the accepted
 * answer through the question module's `decide`, as its API route does.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { DomainError } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { findVisibleLocalPost } from "../../domain/posts/read.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { createContent, MAX_TEXT_CHARS } from "../../modules/create-content.ts";
import { decide, visiblePost } from "../../modules/question/rules.ts";
import { expiredForm, formText, readForm, toSignIn } from "../forms.ts";
import { pageState } from "../layout.ts";
import { notFoundPage, postPagePath, viewerOf } from "../page-basics.ts";
import { type PageRow, renderPage, withAuthor } from "../posts.ts";
import { domainMessage } from "./domain-texts.ts";
import { groupTexts, refusalPage } from "./group-page.ts";

/** The post `/@name/:id` names, as the viewer may see it. */
export async function postRow(c: Context<AppEnv>, viewer: Viewer): Promise<PageRow | undefined> {
  const { db } = c.get("deps");
  const row = await withAuthor(db, await findVisibleLocalPost(db, viewer, { id: c.req.param("id") ?? "" }));
  const username = (c.req.param("handle") ?? "").slice(1);
  return row && row.author.username.toLowerCase() === username.toLowerCase() ? row : undefined;
}

/** A form posted to a post's page: the CSRF check, the post as the viewer may see it, a signed-in person. */
async function openPostForm(c: Context<AppEnv>) {
  const form = await readForm(c);
  if (!form) return expiredForm(c);
  const s = await pageState(c);
  const viewer = viewerOf(s.me);
  const row = await postRow(c, viewer);
  if (!row) return notFoundPage(c);
  const back = postPagePath(row.author.username, row.post.id);
  if (!s.me) return toSignIn(c, { ...s, here: back });
  return { form, s, me: s.me, viewer, row, back };
}

export function mountComments(app: Hono<AppEnv>): void {
  app.post("/:handle{@[^/]+}/:id/comments", async (c) => {
    const opened = await openPostForm(c);
    if (opened instanceof Response) return opened;
    const { form, s, me, viewer, row, back } = opened;
    const { db } = c.get("deps");
    const text = formText(form, "text") ?? "";
    const t = groupTexts(s);
    const error = text.trim() === "" ? t.textRequired : text.length > MAX_TEXT_CHARS ? t.tooLong(t.text, MAX_TEXT_CHARS) : undefined;
    if (error) return c.html(await renderPage(db, s, viewer, row, { text, error }), 422);
    try {
      const comment = await createContent(c.get("deps"), me, { text }, { inReplyToId: row.post.id });
      if (comment.moderation === "pending") return c.redirect(`${back}?waiting`, 303);
    } catch (err) {
      if (err instanceof DomainError && err.kind === "invalid") return c.html(await renderPage(db, s, viewer, row, { text, error: domainMessage(s, err) }), 422);
      return refusalPage(c, s, err, back);
    }
    return c.redirect(back, 303);
  });

  app.post("/:handle{@[^/]+}/:id/accept", async (c) => {
    const opened = await openPostForm(c);
    if (opened instanceof Response) return opened;
    const { form, s, me, viewer, row, back } = opened;
    const { db } = c.get("deps");
    const answerId = formText(form, "answer_id") ?? "";
    const chosen = isRowId(answerId) ? await visiblePost(db, viewer, answerId) : undefined;
    if (!chosen) return notFoundPage(c);
    try {
      await decide(db, row.post, chosen, me);
    } catch (err) {
      return refusalPage(c, s, err, back);
    }
    return c.redirect(back, 303);
  });
}
