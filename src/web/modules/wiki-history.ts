/**
 * A wiki page's revisions (`/@group/wiki/:id/revisions`: who, when, which
 * number), one old revision (`.../revisions/:number`) and restoring it as the
 * page's newest revision (POST `.../revisions/:number/restore`, for those the
 * wiki module lets edit the page).
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { DomainError, notFound } from "../../domain/errors.ts";
import { findActorById, findActorsByIds } from "../../domain/remote-actors.ts";
import { mayEditPage } from "../../modules/wiki/editing.ts";
import { findPage, WIKI } from "../../modules/wiki/pages.ts";
import { restoreRevision } from "../../modules/wiki/restore.ts";
import { getRevision, listRevisions } from "../../modules/wiki/revisions.ts";
import { csrfField } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import { actorHref, actorName, paragraphs, postHref } from "../render.ts";
import { attempt, openSection, openSectionForm, refusedPage, sectionPage } from "./section.ts";
import { groupWikiPage } from "./wiki.ts";

/** Revisions one history page lists. */
const HISTORY_LIMIT = 100;
const NUMBER = /^[1-9][0-9]{0,8}$/;

function revisionNumber(value: string | undefined): number {
  if (!value || !NUMBER.test(value)) throw notFound();
  return Number(value);
}

function stamp(at: Date | string): string {
  return new Date(at).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function mountWikiHistory(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/wiki/:id/revisions", async (c) => {
    const x = await openSection(c, WIKI, "wiki");
    if (x instanceof Response) return x;
    const { db } = c.get("deps");
    const post = await attempt(() => groupWikiPage(c, x));
    if (post instanceof DomainError) return refusedPage(c, x, post, groupSectionHref(x.group, "wiki"));
    const revisions = await listRevisions(db, post.id, { limit: HISTORY_LIMIT });
    const editors = new Map((await findActorsByIds(db, [...new Set(revisions.map((r) => r.editor_id))])).map((a) => [a.id, a]));
    const base = `${groupSectionHref(x.group, "wiki")}/${post.id}/revisions`;
    const author = await findActorById(db, post.actor_id);
    return c.html(sectionPage(x, x.m.historyOf(post.name ?? ""), html`<p><a href="${postHref(post, author)}">${x.m.backToPage}</a></p>
<ol class="revisions" reversed>${revisions.map((r) => {
      const editor = editors.get(r.editor_id);
      const label = r.number === null ? x.m.waiting : x.m.revision(r.number);
      return html`<li>${r.number === null ? label : html`<a href="${base}/${String(r.number)}">${label}</a>`}
<time datetime="${new Date(r.created_at).toISOString()}">${stamp(r.created_at)}</time>
${editor ? html`${x.m.by} <a href="${actorHref(editor)}">${actorName(editor)}</a>` : ""}</li>`;
    })}</ol>`));
  });

  app.get("/:handle{@[^/]+}/wiki/:id/revisions/:number", async (c) => {
    const x = await openSection(c, WIKI, "wiki");
    if (x instanceof Response) return x;
    const { db } = c.get("deps");
    const found = await attempt(async () => {
      const post = await groupWikiPage(c, x);
      const revision = await getRevision(db, post.id, revisionNumber(c.req.param("number")));
      if (!revision) throw notFound();
      return { post, revision };
    });
    if (found instanceof DomainError) return refusedPage(c, x, found, groupSectionHref(x.group, "wiki"));
    const { post, revision } = found;
    const [page, editor, author] = await Promise.all([findPage(db, post.id), findActorById(db, revision.editor_id), findActorById(db, post.actor_id)]);
    const isCurrent = page?.revision === revision.number;
    const mayRestore = !isCurrent && x.s.me !== undefined && await mayEditPage(db, post, x.s.me);
    const action = `${groupSectionHref(x.group, "wiki")}/${post.id}/revisions/${String(revision.number)}/restore`;
    return c.html(sectionPage(x, x.m.revisionOf(revision.number ?? 0, post.name ?? ""), html`<p>
<a href="${postHref(post, author)}">${x.m.backToPage}</a> · <a href="${groupSectionHref(x.group, "wiki")}/${post.id}/revisions">${x.m.history}</a></p>
<p class="muted"><time datetime="${new Date(revision.created_at).toISOString()}">${stamp(revision.created_at)}</time>
${editor ? html`${x.m.by} <a href="${actorHref(editor)}">${actorName(editor)}</a>` : ""}</p>
<article class="revision">
<h2>${revision.title ?? ""}</h2>
${paragraphs(revision.content_html)}
</article>
${isCurrent ? html`<p>${x.m.current}</p>` : ""}
${mayRestore ? html`<form method="post" action="${action}">${csrfField(x.s)}
<input type="hidden" name="base_revision" value="${String(page?.revision ?? "")}">
<button type="submit">${x.m.restore}</button></form>` : ""}`));
  });

  app.post("/:handle{@[^/]+}/wiki/:id/revisions/:number/restore", async (c) => {
    const opened = await openSectionForm(c, WIKI, "wiki");
    if (opened instanceof Response) return opened;
    const { form, x, me } = opened;
    const deps = c.get("deps");
    const base = typeof form.base_revision === "string" && NUMBER.test(form.base_revision) ? Number(form.base_revision) : undefined;
    const done = await attempt(async () => {
      const post = await groupWikiPage(c, x);
      const revision = await getRevision(deps.db, post.id, revisionNumber(c.req.param("number")));
      if (!revision) throw notFound();
      return restoreRevision(deps, me, post, revision, base);
    });
    if (done instanceof DomainError) return refusedPage(c, x, done, groupSectionHref(x.group, "wiki"));
    return c.redirect(`${groupSectionHref(x.group, "wiki")}/${done.id}/revisions`, 303);
  });
}
