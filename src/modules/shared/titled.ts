/**
 * What a titled post (a discussion, a blog post, a question) takes through
 * Plein's API besides its text: a title, required when it is created and
 * never blank, and a content warning.
 */
import type { Params } from "../../api/mastodon/params.ts";
import { optionalString } from "../../api/mastodon/params.ts";
import { invalid } from "../../domain/errors.ts";
import type { ModuleInput } from "../module.ts";

/** Longest title (Lemmy allows 200 characters, Plein's core 1,000). */
export const MAX_TITLE_CHARS = 300;

/** JSON Schemas of those parameters, for the OpenAPI document. */
export const TITLED_INPUT = {
  title: { type: "string", minLength: 1, maxLength: MAX_TITLE_CHARS, description: "required when the post is created; never blank" },
  summary: { type: "string", description: "content warning (empty removes it)" },
} as const;

/** Title and content warning of a create or edit request; `what` names the content in errors ("A discussion"). */
export function parseTitled(params: Params, mode: "create" | "edit", what: string): ModuleInput<null> {
  const rawTitle = optionalString(params, "title");
  const summary = optionalString(params, "summary");
  if (rawTitle === undefined && mode === "create") throw invalid(`${what} needs a title`);
  const title = rawTitle?.replace(/\s+/g, " ").trim();
  if (title !== undefined && title === "") throw invalid("title can't be blank");
  if (title !== undefined && [...title].length > MAX_TITLE_CHARS) throw invalid(`title is longer than ${MAX_TITLE_CHARS} characters`);
  return {
    post: {
      ...(title !== undefined ? { name: title } : {}),
      ...(summary !== undefined ? { summary: summary.trim() || null, sensitive: summary.trim() !== "" } : {}),
    },
    data: null,
  };
}
