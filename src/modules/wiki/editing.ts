/**
 * The wiki's part of creating and editing a page, run by the core in the
 * post's transaction (createLocalPost / editLocalPost / upsertRemotePost):
 * the page's row and revisions, and what other servers hear of an edit.
 */
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { conflict, invalid } from "../../domain/errors.ts";
import { findGroup } from "../../domain/groups.ts";
import { queuePostDelivery } from "../../domain/posts/in-groups.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { newActivityIriOf } from "../../domain/urls.ts";
import type { WikiData } from "./data.ts";
import { queueProposal, queueRevisionAnnounce } from "./jobs.ts";
import { checkedParent, findPage, parentByIri, requireEditor, whyNotEditor } from "./pages.ts";
import { appendRevision, createPage, latestRevision, lockPage, recordProposal } from "./revisions.ts";

/** May `editor` (not the author) edit this page? Its group's current members may. */
export async function mayEditPage(db: Db, post: Post, editor: Actor): Promise<boolean> {
  return editor.local && (await findPage(db, post.id)) !== undefined && (await whyNotEditor(db, post, editor)) === null;
}

export async function saveWiki(trx: Db, post: Post, data: WikiData, editor: Actor): Promise<void> {
  if (data.from === "remote") {
    // A page received from its author's server. Later changes come only as revisions from its group (activitypub.ts).
    if (post.group_id === null || (await findPage(trx, post.id))) return;
    const parent = data.parentIri === null ? { id: null } : await parentByIri(trx, post.group_id, null, data.parentIri);
    if (data.source !== null) await trx.updateTable("posts").set({ content_source: data.source }).where("id", "=", post.id).execute();
    await createPage(trx, post, { id: parent.id, iri: data.parentIri }, data.source);
    return;
  }
  if (post.group_id === null) throw invalid("A wiki page is made in a group");
  if (data.mode === "create") {
    const parentId = data.parentId ? await checkedParent(trx, post.group_id, null, data.parentId) : null;
    await createPage(trx, post, { id: parentId, iri: null }, post.content_source);
    return;
  }
  // A local edit: the post already holds the new title and text.
  const locked = await lockPage(trx, post.id);
  if (!locked) throw invalid("Not a wiki page");
  const { page } = locked;
  await requireEditor(trx, post, editor);
  if (data.baseRevision !== undefined && data.baseRevision !== page.revision) {
    throw conflict(`The page was edited since revision ${data.baseRevision}: it is at revision ${page.revision}`);
  }
  const parentId = data.parentId === undefined ? page.parent_id
    : data.parentId === null ? null
    : await checkedParent(trx, post.group_id, post.id, data.parentId);
  const group = await findGroup(trx, post.group_id);
  if (!group) throw invalid("Not a wiki page");
  const input = {
    editorId: editor.id, title: post.name, html: post.content_html, source: post.content_source, parentId,
    activityIri: newActivityIriOf(editor, "update"),
  };
  if (group.actor.local) {
    // This server is the group's: the edit is the page's next revision now.
    const revision = await appendRevision(trx, page, input);
    await trx.updateTable("posts").set({ edited_at: revision.created_at }).where("id", "=", post.id).execute();
  } else {
    // The group's server numbers it; until it announces it back, the edit waits (and this server shows it).
    await recordProposal(trx, page, input);
  }
}

/**
 * What other servers hear of a local edit: a revision taken here is
 * announced by the group; an edit of a page of a group on another server
 * goes to that group as the editor's Update.
 */
export async function queueWikiEdit(trx: Db, post: Post, editor: Actor): Promise<void> {
  const revision = await latestRevision(trx, post.id);
  const group = post.group_id ? await findActorById(trx, post.group_id) : undefined;
  if (!revision || !group) {
    await queuePostDelivery(trx, post, "update");
    return;
  }
  if (revision.number === null) await queueProposal(trx, editor, revision);
  else await queueRevisionAnnounce(trx, group, revision);
}
