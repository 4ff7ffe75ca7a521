/**
 * A group's files: the list (`/@group/files`: name, size, type, who shared
 * it, when; newest first, paged by `max_id`) with download links to the file
 * module's route, and the upload form (`/@group/files/new`, multipart, posted
 * to `/@group/files`) for members who may post; the module's size limit and
 * rules answer 422 with their message.
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { groupPosts } from "../../domain/group-content.ts";
import { DomainError } from "../../domain/errors.ts";
import { isRowId } from "../../domain/ids.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import { allowLargeBody } from "../../http/body-limit.ts";
import { formatBytes, MediaTooLargeError } from "../../media/index.ts";
import { filesOfPosts, MODULE } from "../../modules/file/files.ts";
import { FORM_OVERHEAD_BYTES } from "../../modules/file/routes.ts";
import { shareUpload } from "../../modules/file/upload.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { groupSectionHref } from "../group-nav.ts";
import type { Html } from "../layout.ts";
import { actorHref, actorName, PAGE_SIZE, postHref } from "../render.ts";
import { fileLink, fileSize } from "./file-format.ts";
import { attempt, describedBy, formError, mayPost, openSection, type Section, sectionPage, statusOf } from "./section.ts";

type WebContext = Context<AppEnv>;

function uploadForm(c: WebContext, x: Section, form: Form = {}, error?: string): Html {
  const max = formatBytes(c.get("deps").config.maxFileBytes);
  return html`${formError(error)}
<form method="post" action="${groupSectionHref(x.group, "files")}" enctype="multipart/form-data" class="stack">
${csrfField(x.s)}
<label for="file-file">${x.m.file}</label>
<input type="file" id="file-file" name="file" required${describedBy(error, "file-hint")}>
<p id="file-hint" class="muted">${x.m.fileHint(max)}</p>
<label for="file-title">${x.m.titleOptional}</label>
<input type="text" id="file-title" name="title" maxlength="500" value="${formText(form, "title") ?? ""}"${describedBy(error)}>
<label for="file-description">${x.m.description}</label>
<textarea id="file-description" name="description" rows="4"${describedBy(error)}>${formText(form, "description") ?? ""}</textarea>
<button type="submit">${x.m.upload}</button>
</form>`;
}

async function fileTable(c: WebContext, x: Section): Promise<Html> {
  const { db } = c.get("deps");
  const maxId = c.req.query("max_id");
  const posts = await groupPosts(db, x.viewer, x.group.actor.id, { module: MODULE, topLevel: true }, {
    ...(maxId && isRowId(maxId) ? { maxId } : {}), limit: PAGE_SIZE,
  });
  if (posts.length === 0) return html`<p>${x.m.noFiles}</p>`;
  const [files, authors] = await Promise.all([
    filesOfPosts(db, posts.map((p) => p.id)),
    findActorsByIds(db, [...new Set(posts.map((p) => p.actor_id))]),
  ]);
  const authorById = new Map(authors.map((a) => [a.id, a]));
  const last = posts.at(-1);
  const more = last && posts.length >= PAGE_SIZE
    ? html`<p><a href="${groupSectionHref(x.group, "files")}?max_id=${last.id}">${x.m.moreFiles}</a></p>` : "";
  return html`<table class="files">
<caption>${x.m.files}</caption>
<thead><tr><th scope="col">${x.m.name}</th><th scope="col">${x.m.size}</th><th scope="col">${x.m.type}</th><th scope="col">${x.m.uploader}</th><th scope="col">${x.m.date}</th></tr></thead>
<tbody>${posts.map((p) => {
    const file = files.get(p.id);
    const author = authorById.get(p.actor_id);
    const published = p.published_at.toISOString();
    return html`<tr>
<td>${file ? fileLink(x.m, p.id, file) : ""}${p.name && p.name !== file?.file_name ? html`<br><a href="${postHref(p, author)}">${p.name}</a>` : html` <a href="${postHref(p, author)}" class="muted">#</a>`}</td>
<td>${fileSize(file?.size ?? null)}</td>
<td>${file?.media_type ?? "?"}</td>
<td>${author ? html`<a href="${actorHref(author)}">${actorName(author)}</a>` : ""}</td>
<td><time datetime="${published}">${published.slice(0, 10)}</time></td>
</tr>`;
  })}</tbody>
</table>
${more}`;
}

export function mountFilePages(app: Hono<AppEnv>): void {
  allowLargeBody({ method: "POST", path: "/@:handle/files", maxBytes: (config) => config.maxFileBytes + FORM_OVERHEAD_BYTES });

  app.get("/:handle{@[^/]+}/files", async (c) => {
    const x = await openSection(c, MODULE, "files");
    if (x instanceof Response) return x;
    const upload = await mayPost(c, x.s.me, x.group, MODULE)
      ? html`<p><a href="${groupSectionHref(x.group, "files")}/new">${x.m.upload}</a></p>` : "";
    return c.html(sectionPage(x, x.m.files, html`${await fileTable(c, x)}${upload}`));
  });

  app.get("/:handle{@[^/]+}/files/new", async (c) => {
    const x = await openSection(c, MODULE, "files");
    if (x instanceof Response) return x;
    if (!x.s.me) return toSignIn(c, x.s);
    if (!(await mayPost(c, x.s.me, x.group, MODULE))) return c.html(sectionPage(x, x.m.upload, html`<p>${x.m.mayNot}</p>`), 403);
    return c.html(sectionPage(x, x.m.upload, uploadForm(c, x)));
  });

  app.post("/:handle{@[^/]+}/files", async (c) => {
    const x = await openSection(c, MODULE, "files");
    if (x instanceof Response) return x;
    const me = x.s.me;
    if (!me) return toSignIn(c, x.s);
    // Before the body is read: an upload by someone who may not share here is refused without taking it in.
    if (!(await mayPost(c, me, x.group, MODULE))) return c.html(sectionPage(x, x.m.upload, html`<p>${x.m.mayNot}</p>`), 403);
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const post = await attempt(async () => {
      try {
        return await shareUpload(c.get("deps"), me, x.group.actor.id, form);
      } catch (error) {
        if (error instanceof MediaTooLargeError) throw new DomainError("invalid", error.message);
        throw error;
      }
    });
    if (post instanceof DomainError) return c.html(sectionPage(x, x.m.upload, uploadForm(c, x, form, post.message)), statusOf(post));
    return c.redirect(groupSectionHref(x.group, "files"), 303);
  });
}
