/** Restoring an old revision of a wiki page: its title and text become the page's newest revision, by the one who restores it. */
import type { AppContext } from "../../context.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { editLocalPost } from "../../domain/posts/authoring.ts";
import { composeText } from "../../api/mastodon/compose.ts";
import type { ApiWikiData } from "./data.ts";
import { mayEditPage, queueWikiEdit, saveWiki } from "./editing.ts";
import type { WikiRevision } from "./tables.ts";

/** `base`: the revision the restorer saw; a page that has moved on since is refused (409). */
export async function restoreRevision(deps: AppContext, me: Actor, post: Post, revision: WikiRevision, base: number | undefined): Promise<Post> {
  const text = revision.content_source;
  const formatted = text !== null ? await composeText(deps, text) : { html: revision.content_html, mentionIds: [], tags: [] };
  const data: ApiWikiData = { from: "api", mode: "edit", ...(base !== undefined ? { baseRevision: base } : {}) };
  return editLocalPost(deps.db, me, post.id, {
    name: revision.title,
    summary: post.summary,
    sensitive: post.sensitive,
    contentHtml: formatted.html,
    ...(text !== null ? { contentSource: text } : {}),
    mentionIds: formatted.mentionIds,
    tags: formatted.tags,
  }, {
    mayEdit: (p) => mayEditPage(deps.db, p, me),
    inTransaction: (trx, p) => saveWiki(trx, p, data, me),
    queueDelivery: (trx, p) => queueWikiEdit(trx, p, me),
  });
}
