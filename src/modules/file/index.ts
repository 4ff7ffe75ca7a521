import type { ContentModule } from "../module.ts";

/** Files: `Document` objects in a group. */
export const fileModule: ContentModule = {
  name: "file",
  label: { en: "Files", nl: "Bestanden" },
  objectType: "Document",
  defaultOn: true,
};
