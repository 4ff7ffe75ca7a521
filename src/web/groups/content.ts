/**
 * A group's discussions, blog and questions (/@group/discussions, /blog,
 * /questions), each there only when the group has that module on: the
 * module's threads in the group, newest first, paged by max_id (the domain's
 * groupPosts, so the visibility rule decides), and for members who may start
 * one a form (title and text, what the module's `parse` takes), posted through
 * the same function as Plein's API (src/modules/create-content.ts).
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Post } from "../../db/schema.ts";
import { DomainError } from "../../domain/errors.ts";
import { groupPosts } from "../../domain/group-content.ts";
import { moduleEnabled } from "../../domain/groups.ts";
import { isRowId } from "../../domain/ids.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { isAdmin, isMember } from "../../domain/membership.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import { createContent, MAX_TEXT_CHARS } from "../../modules/create-content.ts";
import type { ContentModule } from "../../modules/module.ts";
import { questionFields } from "../../modules/question/rules.ts";
import { findModule } from "../../modules/registry.ts";
import { threadStats } from "../../modules/shared/threads.ts";
import { MAX_TITLE_CHARS } from "../../modules/shared/titled.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { type GroupSection, groupSectionHref, groupSectionName } from "../group-nav.ts";
import type { Html } from "../layout.ts";
import { notFoundPage } from "../page-basics.ts";
import { htmlToParagraphs } from "../html-text.ts";
import { postPagePath } from "../page-basics.ts";
import { actorHref, actorName, PAGE_SIZE, postHref } from "../render.ts";
import { closedNotice, describedBy, findGroupPage, formError, type GroupPage, groupFrame, groupTexts, refusalPage } from "./group-page.ts";
import { domainMessage } from "./domain-texts.ts";

/** The sections of this file and the module each lists. */
const SECTION_MODULES = { discussions: "discussion", blog: "blog", questions: "question" } as const satisfies Partial<Record<GroupSection, string>>;
type ContentSection = keyof typeof SECTION_MODULES;

const EXCERPT_CHARS = 200;

interface Draft {
  title: string;
  summary: string;
  text: string;
  error?: string;
}

function isContentSection(name: string): name is ContentSection {
  return Object.hasOwn(SECTION_MODULES, name);
}

/** May the viewer start a thread here (a current member; an admin where only admins start posts)? The domain checks again. */
function mayStart(g: GroupPage): boolean {
  if (!isMember(g.membership)) return false;
  return g.group.settings?.posting !== "admins" || isAdmin(g.membership);
}

async function threadList(c: Context<AppEnv>, g: GroupPage, section: ContentSection, module: ContentModule): Promise<Html> {
  const { db } = c.get("deps");
  const { s, group } = g;
  const t = groupTexts(s);
  const maxId = c.req.query("max_id");
  const posts = await groupPosts(db, g.viewer, group.actor.id, { module: module.name, topLevel: true },
    { maxId: maxId && isRowId(maxId) ? maxId : undefined, limit: PAGE_SIZE });
  if (posts.length === 0) return html`<p>${s.t.noPosts}</p>`;
  const [authors, stats, questions] = await Promise.all([
    findActorsByIds(db, [...new Set(posts.map((p) => p.actor_id))]).then((list) => new Map(list.map((a) => [a.id, a]))),
    threadStats(db, g.viewer, posts),
    section === "questions" ? questionFields(db, posts, g.viewer) : Promise.resolve(undefined),
  ]);
  const item = (p: Post) => {
    const author = authors.get(p.actor_id);
    const published = p.published_at.toISOString();
    const count = stats.get(p.id)?.comments ?? 0;
    const question = questions?.get(p.id);
    return html`<li class="thread">
<h3><a href="${postHref(p, author)}">${p.name || s.t.posts}</a></h3>
${excerpt(p)}
<p class="muted">${author ? html`<a href="${actorHref(author)}">${actorName(author)}</a> · ` : ""}<time datetime="${published}">${published.slice(0, 16).replace("T", " ")} UTC</time>
· ${question ? t.answers(question.answers_count) : t.comments(count)}${question?.accepted_answer_id ? html` · <strong>${t.solved}</strong>` : ""}</p>
</li>`;
  };
  const last = posts.at(-1)!;
  const older = posts.length >= PAGE_SIZE
    ? html`<p><a href="${groupSectionHref(group, section)}?max_id=${last.id}">${s.t.older}</a></p>`
    : "";
  return html`<ul class="threads">${posts.map(item)}</ul>${older}`;
}

/** The start of a thread's text, as one line of plain text. */
function excerpt(p: Post): Html | string {
  const text = htmlToParagraphs(p.content_html).join(" ");
  if (text === "") return "";
  const chars = [...text];
  return html`<p class="excerpt">${chars.length > EXCERPT_CHARS ? `${chars.slice(0, EXCERPT_CHARS).join("").trimEnd()}…` : text}</p>`;
}

function writeForm(g: GroupPage, section: ContentSection, module: ContentModule, draft: Draft): Html {
  const t = groupTexts(g.s);
  const heading = t.write[module.name] ?? groupSectionName(g.s.lang, section);
  const d = describedBy(draft.error);
  return html`<section aria-labelledby="write"><h2 id="write">${heading}</h2>
<form class="stack" method="post" action="${groupSectionHref(g.group, section)}">
${csrfField(g.s)}
<label for="title">${t.title}</label>
<input type="text" id="title" name="title" value="${draft.title}" maxlength="${MAX_TITLE_CHARS}" required${d}>
<label for="summary">${t.summary}</label>
<input type="text" id="summary" name="summary" value="${draft.summary}" maxlength="${LIMITS.summaryChars}"${d}>
<label for="text">${t.text}</label>
<textarea id="text" name="text" rows="8" required${d}>${draft.text}</textarea>
<button type="submit">${t.post}</button>
</form></section>`;
}

async function sectionPage(c: Context<AppEnv>, g: GroupPage, section: ContentSection, module: ContentModule, draft: Draft = { title: "", summary: "", text: "" }, waiting = false): Promise<Html> {
  if (!g.readable) return groupFrame(g, section, html`${formError(draft.error)}${closedNotice(g)}`);
  const form = mayStart(g) ? writeForm(g, section, module, draft) : "";
  // A refused draft puts the form (and its error) first; otherwise the threads come first and the form after them.
  const list = html`<h2>${groupSectionName(g.s.lang, section)}</h2>
${await threadList(c, g, section, module)}`;
  const notice = waiting ? html`<p class="notice" role="status">${groupTexts(g.s).waiting}</p>` : "";
  return groupFrame(g, section, draft.error ? html`${formError(draft.error)}${form}${list}` : html`${notice}${list}${form}`);
}

/** The group and module a section's address names, when the group has the module on. */
async function sectionOf(c: Context<AppEnv>): Promise<{ g: GroupPage; section: ContentSection; module: ContentModule } | undefined> {
  const section = c.req.param("section") ?? "";
  if (!isContentSection(section)) return undefined;
  const module = findModule(SECTION_MODULES[section]);
  const g = await findGroupPage(c, c.req.param("handle") ?? "");
  if (!module || !g || !moduleEnabled(g.group, module.name)) return undefined;
  return { g, section, module };
}

/** The form's own checks, in the reader's language; the module and the domain check again. */
function draftError(g: GroupPage, draft: Draft): string | undefined {
  const t = groupTexts(g.s);
  if (draft.title.trim() === "") return t.titleRequired;
  if ([...draft.title.trim()].length > MAX_TITLE_CHARS) return t.tooLong(t.title, MAX_TITLE_CHARS);
  if (draft.summary.length > LIMITS.summaryChars) return t.tooLong(t.summary, LIMITS.summaryChars);
  if (draft.text.trim() === "") return t.textRequired;
  if (draft.text.length > MAX_TEXT_CHARS) return t.tooLong(t.text, MAX_TEXT_CHARS);
  return undefined;
}

function draftOf(form: Form): Draft {
  return { title: formText(form, "title") ?? "", summary: formText(form, "summary") ?? "", text: formText(form, "text") ?? "" };
}

export function mountGroupContent(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/:section{discussions|blog|questions}", async (c) => {
    const found = await sectionOf(c);
    if (!found) return notFoundPage(c);
    c.header("Vary", "Accept, Cookie");
    return c.html(await sectionPage(c, found.g, found.section, found.module, undefined, c.req.query("waiting") !== undefined));
  });

  app.post("/:handle{@[^/]+}/:section{discussions|blog|questions}", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const found = await sectionOf(c);
    if (!found) return notFoundPage(c);
    const { g, section, module } = found;
    const me = g.s.me;
    if (!me) return toSignIn(c, { ...g.s, here: groupSectionHref(g.group, section) });
    const draft = draftOf(form);
    const error = draftError(g, draft);
    if (error) return c.html(await sectionPage(c, g, section, module, { ...draft, error }), 422);
    try {
      const post = await createContent(c.get("deps"), me, { title: draft.title, summary: draft.summary, text: draft.text }, { group: g.group, module });
      // A post a moderator approves first is not on its page yet: back to the section, which says so.
      if (post.moderation === "pending") return c.redirect(`${groupSectionHref(g.group, section)}?waiting`, 303);
      return c.redirect(postPagePath(me.username, post.id), 303);
    } catch (err) {
      if (err instanceof DomainError && err.kind === "invalid") {
        return c.html(await sectionPage(c, g, section, module, { ...draft, error: domainMessage(g.s, err) }), 422);
      }
      return refusalPage(c, g.s, err, groupSectionHref(g.group, section));
    }
  });
}
