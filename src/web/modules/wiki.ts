/**
 * A group's wiki: its pages as a tree (`/@group/wiki`), a new page
 * (`/@group/wiki/new`, posted to `/@group/wiki`) and the edit form of a page
 * (`/@group/wiki/:id/edit`). A page is read on its post page, which links
 * here. Writing goes through the content functions Plein's API uses, so the
 * wiki module numbers each edit as a revision and decides who may edit.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { Post } from "../../db/schema.ts";
import { DomainError, notFound } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { createIn } from "../../api/plein/content.ts";
import { editContent } from "../../modules/edit-content.ts";
import { mayEditPage } from "../../modules/wiki/editing.ts";
import { findPage, visibleWikiPage, WIKI, type WikiNode, wikiTree } from "../../modules/wiki/pages.ts";
import { csrfField, type Form, formText, toSignIn } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import type { Html } from "../layout.ts";
import { postHref } from "../render.ts";
import { findActorById, findActorsByIds } from "../../domain/remote-actors.ts";
import { attempt, describedBy, formError, mayPost, openSection, openSectionForm, refusedPage, type Section, sectionPage, statusOf } from "./section.ts";

type WebContext = Context<AppEnv>;

async function pageHref(c: WebContext, post: Post): Promise<string> {
  return postHref(post, await findActorById(c.get("deps").db, post.actor_id));
}

function treeList(nodes: WikiNode[], hrefOf: (p: Post) => string): Html {
  return html`<ul class="wiki-tree">${nodes.map((n) => html`<li><a href="${hrefOf(n.post)}">${n.post.name ?? n.post.id}</a>${n.children.length > 0 ? treeList(n.children, hrefOf) : ""}</li>`)}</ul>`;
}

/** The pages a page may be put under: every page but itself and those under it (the module refuses the rest anyway). */
function parentChoices(nodes: WikiNode[], exclude: string | undefined, depth = 0): Array<{ id: string; label: string }> {
  return nodes.flatMap((n) => n.post.id === exclude ? [] : [
    { id: n.post.id, label: `${"— ".repeat(depth)}${n.post.name ?? n.post.id}` },
    ...parentChoices(n.children, exclude, depth + 1),
  ]);
}

interface PageFormOptions {
  action: string;
  /** the page being edited (absent: a new page) */
  post?: Post;
  revision?: number;
  parentId?: string | null;
  form?: Form;
  error?: string;
}

async function pageForm(c: WebContext, x: Section, o: PageFormOptions): Promise<Html> {
  const { roots } = await wikiTree(c.get("deps").db, x.viewer, x.group.actor.id);
  const f = o.form;
  const title = f ? formText(f, "title") ?? "" : o.post?.name ?? "";
  const text = f ? formText(f, "text") ?? "" : o.post?.content_source ?? "";
  const parent = f ? formText(f, "parent_id") ?? "" : o.parentId ?? "";
  const d = describedBy(o.error);
  return html`${formError(o.error)}
<form method="post" action="${o.action}" class="stack">
${csrfField(x.s)}
${o.revision !== undefined ? html`<input type="hidden" name="base_revision" value="${String(o.revision)}">` : ""}
<label for="wiki-title">${x.m.title}</label>
<input type="text" id="wiki-title" name="title" required maxlength="500" value="${title}"${d}>
<label for="wiki-text">${x.m.text}</label>
<textarea id="wiki-text" name="text" required rows="14"${d}>${text}</textarea>
<label for="wiki-parent">${x.m.parent}</label>
<select id="wiki-parent" name="parent_id"${d}>
<option value="">${x.m.top}</option>
${parentChoices(roots, o.post?.id).map((p) => html`<option value="${p.id}"${p.id === parent ? " selected" : ""}>${p.label}</option>`)}
</select>
<button type="submit">${x.m.create}</button>
</form>`;
}

/** The wiki page `:id` of this group, as the viewer may see it; the not-found error otherwise. */
export async function groupWikiPage(c: WebContext, x: Section): Promise<Post> {
  const id = c.req.param("id") ?? "";
  if (!isRowId(id)) throw notFound();
  const post = await visibleWikiPage(c.get("deps").db, x.viewer, id);
  if (post.group_id !== x.group.actor.id) throw notFound();
  return post;
}

export function mountWikiPages(app: Hono<AppEnv>): void {
  app.get("/:handle{@[^/]+}/wiki", async (c) => {
    const x = await openSection(c, WIKI, "wiki");
    if (x instanceof Response) return x;
    const { db } = c.get("deps");
    const { roots, truncated } = await wikiTree(db, x.viewer, x.group.actor.id);
    const all: Post[] = [];
    const walk = (ns: WikiNode[]) => ns.forEach((n) => { all.push(n.post); walk(n.children); });
    walk(roots);
    const authors = new Map((await findActorsByIds(db, [...new Set(all.map((p) => p.actor_id))])).map((a) => [a.id, a]));
    const create = await mayPost(c, x.s.me, x.group, WIKI)
      ? html`<p><a href="${groupSectionHref(x.group, "wiki")}/new">${x.m.newPage}</a></p>` : "";
    return c.html(sectionPage(x, x.m.wikiOf, html`<h2>${x.m.wikiPages}</h2>
${roots.length === 0 ? html`<p>${x.m.noPages}</p>` : treeList(roots, (p) => postHref(p, authors.get(p.actor_id)))}
${truncated ? html`<p class="muted">${x.m.truncated}</p>` : ""}
${create}`));
  });

  app.get("/:handle{@[^/]+}/wiki/new", async (c) => {
    const x = await openSection(c, WIKI, "wiki");
    if (x instanceof Response) return x;
    if (!x.s.me) return toSignIn(c, x.s);
    if (!(await mayPost(c, x.s.me, x.group, WIKI))) return c.html(sectionPage(x, x.m.newPage, html`<p>${x.m.mayNot}</p>`), 403);
    const parent = c.req.query("parent_id");
    return c.html(sectionPage(x, x.m.newPage, await pageForm(c, x, {
      action: groupSectionHref(x.group, "wiki"), parentId: parent && isRowId(parent) ? parent : null,
    })));
  });

  app.post("/:handle{@[^/]+}/wiki", async (c) => {
    const opened = await openSectionForm(c, WIKI, "wiki");
    if (opened instanceof Response) return opened;
    const { form, x, me } = opened;
    const params = { module: WIKI, title: formText(form, "title"), text: formText(form, "text"), parent_id: formText(form, "parent_id") ?? "" };
    const post = await attempt(() => createIn(c.get("deps"), me, params, { group: x.group }));
    if (post instanceof DomainError) {
      return c.html(sectionPage(x, x.m.newPage, await pageForm(c, x, { action: groupSectionHref(x.group, "wiki"), form, error: post.message })), statusOf(post));
    }
    return c.redirect(postHref(post, me), 303);
  });

  app.get("/:handle{@[^/]+}/wiki/:id/edit", async (c) => {
    const x = await openSection(c, WIKI, "wiki");
    if (x instanceof Response) return x;
    if (!x.s.me) return toSignIn(c, x.s);
    const me = x.s.me;
    const { db } = c.get("deps");
    const found = await attempt(async () => {
      const post = await groupWikiPage(c, x);
      const page = await findPage(db, post.id);
      if (!page) throw notFound();
      return { post, page };
    });
    if (found instanceof DomainError) return refusedPage(c, x, found, groupSectionHref(x.group, "wiki"));
    const { post, page } = found;
    const title = x.m.editPage(post.name ?? "");
    if (!(await mayEditPage(db, post, me))) return c.html(sectionPage(x, title, html`<p>${x.m.mayNot}</p>`), 403);
    return c.html(sectionPage(x, title, await pageForm(c, x, {
      action: `${groupSectionHref(x.group, "wiki")}/${post.id}/edit`, post, revision: page.revision, parentId: page.parent_id,
    })));
  });

  app.post("/:handle{@[^/]+}/wiki/:id/edit", async (c) => {
    const opened = await openSectionForm(c, WIKI, "wiki");
    if (opened instanceof Response) return opened;
    const { form, x, me } = opened;
    const deps = c.get("deps");
    const post = await attempt(() => groupWikiPage(c, x));
    if (post instanceof DomainError) return refusedPage(c, x, post, groupSectionHref(x.group, "wiki"));
    const params = {
      title: formText(form, "title"), text: formText(form, "text"), parent_id: formText(form, "parent_id") ?? "",
      base_revision: formText(form, "base_revision"),
    };
    const edited = await attempt(() => editContent(deps, me, post, params));
    if (edited instanceof DomainError) {
      const page = await findPage(deps.db, post.id);
      return c.html(sectionPage(x, x.m.editPage(post.name ?? ""), await pageForm(c, x, {
        action: `${groupSectionHref(x.group, "wiki")}/${post.id}/edit`, post, revision: page?.revision ?? 0, form, error: edited.message,
      })), statusOf(edited));
    }
    return c.redirect(await pageHref(c, edited), 303);
  });
}
