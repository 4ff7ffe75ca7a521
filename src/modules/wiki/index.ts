import type { ContentModule } from "../module.ts";

/** Wiki: `Page` objects in a group. */
export const wikiModule: ContentModule = {
  name: "wiki",
  label: { en: "Wiki", nl: "Wiki" },
  objectType: "Page",
  generator: "urn:plein:module:wiki",
  defaultOn: true,
};
