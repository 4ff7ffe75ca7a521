import type { ContentModule } from "../module.ts";
import { THREAD_FIELDS, threadFields } from "../shared/threads.ts";
import { parseTitled, TITLED_INPUT } from "../shared/titled.ts";

/**
 * Blog posts: an `Article` with a title (`name`) in a group, as Mastodon,
 * WordPress and WriteFreely send long-form posts; comments are `Note`
 * replies. An `Article` from another server is one.
 */
export const blogModule: ContentModule<null> = {
  name: "blog",
  label: { en: "Blog", nl: "Blog" },
  objectType: "Article",
  defaultOn: true,
  parse: (params, mode) => parseTitled(params, mode, "A blog post"),
  present: (db, posts, viewer) => threadFields(db, posts, viewer),
  schemas: { input: TITLED_INPUT, required: ["title"], fields: THREAD_FIELDS },
};
