/**
 * Making a group's content or a comment, for every surface alike (Plein's
 * API, the web pages): the core formats the text and enforces the group's
 * rules (src/domain), the module reads its own fields (`parse`) and stores
 * them in the post's transaction (`save`).
 */
import type { Params } from "../api/mastodon/params.ts";
import { optionalString } from "../api/mastodon/params.ts";
import { composeText } from "../api/mastodon/compose.ts";
import type { AppContext } from "../context.ts";
import type { Actor, Post } from "../db/schema.ts";
import { forbidden, invalid } from "../domain/errors.ts";
import { type GroupView, moduleEnabled } from "../domain/groups.ts";
import { createLocalPost } from "../domain/posts/authoring.ts";
import type { ContentModule, ModuleInput } from "./module.ts";

/** Longest text a post's `text` may be (the domain caps the HTML too). */
export const MAX_TEXT_CHARS = 50_000;

/** The `text` parameter: required (and not blank) when creating, at most MAX_TEXT_CHARS. */
export function textParam(params: Params, required: boolean): string | undefined {
  const text = optionalString(params, "text");
  if (text === undefined) {
    if (required) throw invalid("text is required");
    return undefined;
  }
  if (text.length > MAX_TEXT_CHARS) throw invalid(`text is longer than ${MAX_TEXT_CHARS} characters`);
  if (required && text.trim() === "") throw invalid("text can't be blank");
  return text;
}

/** The module's fields of a create/edit request (or, without a module, a title and a content warning). */
export function moduleInput(module: ContentModule | undefined, params: Params, mode: "create" | "edit"): ModuleInput<unknown> {
  if (module?.parse) return module.parse(params, mode);
  const title = optionalString(params, "title");
  const summary = optionalString(params, "summary");
  return {
    post: { ...(title !== undefined ? { name: title || null } : {}), ...(summary !== undefined ? { summary: summary || null } : {}) },
    data: null,
  };
}

/**
 * `author` posts `params` (`text` and the module's fields) as a new post of
 * `module` in a group, or as a comment on the post `inReplyToId` (a comment
 * belongs to no module and stays in its parent's group).
 */
export async function createContent(
  deps: AppContext,
  author: Actor,
  params: Params,
  place: { group?: GroupView; module?: ContentModule; inReplyToId?: string },
): Promise<Post> {
  const module = place.inReplyToId ? undefined : place.module;
  // A module the group does not use is refused before its fields are read: the answer is 403 whatever else is wrong.
  if (module && place.group && !moduleEnabled(place.group, module.name)) throw forbidden(`This group does not use ${module.name}`);
  const text = textParam(params, true)!;
  const input = moduleInput(module, params, "create");
  const formatted = await composeText(deps, text);
  const save = module?.save;
  return createLocalPost(deps.db, deps.config.origin, author, {
    ...input.post,
    type: module?.objectType ?? "Note",
    contentHtml: formatted.html,
    contentSource: text,
    mentionIds: formatted.mentionIds,
    tags: formatted.tags,
    visibility: "public",
    ...(place.group ? { groupId: place.group.actor.id } : {}),
    ...(place.inReplyToId ? { inReplyToId: place.inReplyToId } : {}),
    ...(module ? { module: module.name } : {}),
  }, save ? (trx, post) => save(trx, post, input.data, author) : undefined);
}
