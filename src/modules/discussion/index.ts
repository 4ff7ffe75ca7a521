import type { ContentModule } from "../module.ts";
import { THREAD_FIELDS, threadFields } from "../shared/threads.ts";
import { parseTitled, TITLED_INPUT } from "../shared/titled.ts";

/**
 * Discussions: a `Page` with a title (`name`) in a group, as Lemmy reads and
 * writes its posts; comments are `Note` replies. A `Page` that another server
 * sends without a generator IRI of another module (a Lemmy post) is one.
 */
export const discussionModule: ContentModule<null> = {
  name: "discussion",
  label: { en: "Discussions", nl: "Discussies" },
  objectType: "Page",
  defaultOn: true,
  parse: (params, mode) => parseTitled(params, mode, "A discussion"),
  present: (db, posts, viewer) => threadFields(db, posts, viewer),
  schemas: { input: TITLED_INPUT, required: ["title"], fields: THREAD_FIELDS },
};
