import type { ContentModule } from "../module.ts";

/** Discussions: `Page` objects in a group. */
export const discussionModule: ContentModule = {
  name: "discussion",
  label: { en: "Discussions", nl: "Discussies" },
  objectType: "Page",
  defaultOn: true,
};
