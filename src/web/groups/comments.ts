/**
 * The thread under a post's page: its comments (a question's answers, with
 * the accepted one marked and, for the asker or a moderator of its group, a
 * button to accept one) and a comment form for those who may comment (the
 * group's members for a post in a group; anyone signed in for a public post
 * outside groups). The forms post to comment-routes.ts.
 */
import { html } from "hono/html";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { isMember, isModerator, membershipOf } from "../../domain/membership.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { isQuestion, questionFields } from "../../modules/question/rules.ts";
import { csrfField } from "../forms.ts";
import type { Html, PageState } from "../layout.ts";
import { postPagePath } from "../page-basics.ts";
import type { PageRow } from "../posts.ts";
import { postList } from "../render.ts";
import { describedBy, formError, groupTexts } from "./group-page.ts";

export interface CommentDraft {
  text: string;
  error: string;
}

/** May the viewer comment here (the domain checks again when they do)? */
async function mayComment(db: Db, s: PageState, post: Post): Promise<boolean> {
  if (!s.me) return false;
  if (post.group_id) return isMember(await membershipOf(db, post.group_id, s.me.id));
  return post.visibility === "public";
}

function commentForm(s: PageState, row: PageRow, draft: CommentDraft | undefined): Html {
  const t = groupTexts(s);
  const question = isQuestion(row.post);
  return html`<section aria-labelledby="write-comment"><h2 id="write-comment">${question ? t.writeAnswer : t.writeComment}</h2>
${formError(draft?.error)}
<form class="stack" method="post" action="${postPagePath(row.author.username, row.post.id)}/comments">
${csrfField(s)}
<label for="comment-text">${question ? t.yourAnswer : t.yourComment}</label>
<textarea id="comment-text" name="text" rows="5" required${describedBy(draft?.error)}>${draft?.text ?? ""}</textarea>
<button type="submit">${question ? t.sendAnswer : t.sendComment}</button>
</form></section>`;
}

/** A question's answers: each as a post, the accepted one marked, the others with an accept button for who may choose. */
async function answers(db: Db, s: PageState, viewer: Viewer, row: PageRow, descendants: Post[]): Promise<Html> {
  const t = groupTexts(s);
  const question = row.post;
  const accepted = (await questionFields(db, [question], viewer)).get(question.id)?.accepted_answer_id ?? null;
  const chooses = s.me !== undefined && (s.me.id === question.actor_id
    || (question.group_id !== null && isModerator(await membershipOf(db, question.group_id, s.me.id))));
  const items = await Promise.all(descendants.map(async (p) => {
    const direct = p.in_reply_to_id === question.id;
    const mark = p.id === accepted ? html`<p class="accepted"><strong>${t.acceptedAnswer}</strong></p>` : "";
    const button = chooses && direct && p.id !== accepted
      ? html`<form method="post" action="${postPagePath(row.author.username, question.id)}/accept">${csrfField(s)}<input type="hidden" name="answer_id" value="${p.id}"><button type="submit">${t.accept}</button></form>`
      : "";
    return html`<div class="answer${p.id === accepted ? " accepted" : ""}">${mark}${await postList(db, s, [p])}${button}</div>`;
  }));
  return html`${items}`;
}

/** The comments (or answers) under a post and the form to add one. */
export async function threadSection(db: Db, s: PageState, viewer: Viewer, row: PageRow, descendants: Post[], draft?: CommentDraft): Promise<Html> {
  const t = groupTexts(s);
  const question = isQuestion(row.post);
  const list = descendants.length === 0 ? ""
    : html`<section aria-labelledby="comments"><h2 id="comments">${question ? t.answersHeading : s.t.comments}</h2>
${question ? await answers(db, s, viewer, row, descendants) : await postList(db, s, descendants)}</section>`;
  const form = await mayComment(db, s, row.post) ? commentForm(s, row, draft) : "";
  return html`${list}${form}`;
}
