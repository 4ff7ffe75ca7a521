import type { ContentModule } from "../module.ts";

/** Questions: `Page` objects in a group. */
export const questionModule: ContentModule = {
  name: "question",
  label: { en: "Questions", nl: "Vragen" },
  objectType: "Page",
  generator: "urn:plein:module:question",
  defaultOn: true,
};
