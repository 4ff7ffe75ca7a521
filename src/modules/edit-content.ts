/**
 * Editing and deleting a post, for every surface alike (Plein's API, the web
 * pages): the module reads its own fields of the edit (`parse`), stores and
 * delivers them in the edit's transaction; a post is deleted by its author,
 * or removed from its group by a moderator of that group.
 */
import type { Params } from "../api/mastodon/params.ts";
import { composeText } from "../api/mastodon/compose.ts";
import type { AppContext } from "../context.ts";
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { invalid, notFound } from "../domain/errors.ts";
import { findGroup } from "../domain/groups.ts";
import { isModerator, membershipOf } from "../domain/membership.ts";
import { removePost } from "../domain/moderation.ts";
import { deleteLocalPost, editLocalPost } from "../domain/posts/authoring.ts";
import { moduleInput, textParam } from "./create-content.ts";
import { moduleOfPost } from "./registry.ts";

/** `editor` edits `existing` (a post they may see) with `params`: `text` and the module's fields; what is left out stays. */
export async function editContent(deps: AppContext, editor: Actor, existing: Post, params: Params): Promise<Post> {
  if (existing.reblog_of_id) throw notFound();
  const module = moduleOfPost(existing);
  const input = moduleInput(module, params, "edit");
  const text = textParam(params, false) ?? existing.content_source ?? "";
  if (text.trim() === "") throw invalid("text can't be blank");
  const formatted = await composeText(deps, text);
  const save = module?.save;
  const mayEdit = module?.mayEdit;
  const queueEdit = module?.queueEditDelivery;
  return editLocalPost(deps.db, editor, existing.id, {
    name: existing.name,
    summary: existing.summary,
    sensitive: existing.sensitive,
    ...input.post,
    contentHtml: formatted.html,
    contentSource: text,
    mentionIds: formatted.mentionIds,
    tags: formatted.tags,
  }, {
    ...(mayEdit ? { mayEdit: (p: Post) => mayEdit(deps.db, p, editor) } : {}),
    ...(save ? { inTransaction: (trx, p: Post) => save(trx, p, input.data, editor) } : {}),
    ...(queueEdit ? { queueDelivery: (trx, p: Post) => queueEdit(trx, p, editor) } : {}),
  });
}

/** May `actor` delete this post: its author, or a moderator of the (local) group it is in? */
export async function mayDeleteContent(db: Db, actor: Actor, post: Post): Promise<boolean> {
  if (post.reblog_of_id) return false;
  if (post.actor_id === actor.id) return true;
  const group = post.group_id ? await findGroup(db, post.group_id) : undefined;
  return group !== undefined && group.actor.local && isModerator(await membershipOf(db, group.actor.id, actor.id));
}

/**
 * `actor` deletes a post they may see: their own becomes a tombstone; a
 * moderator removes someone else's from the group. Anyone else: not found
 * (the post's existence is all they learn, as they already may see it).
 */
export async function deleteContent(db: Db, actor: Actor, post: Post): Promise<void> {
  if (post.actor_id === actor.id) {
    await deleteLocalPost(db, actor, post.id);
    return;
  }
  const group = post.group_id ? await findGroup(db, post.group_id) : undefined;
  if (!group || !isModerator(await membershipOf(db, group.actor.id, actor.id))) throw notFound();
  await removePost(db, group, actor, post.id);
}
