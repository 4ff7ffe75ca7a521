import type { ContentModule } from "../module.ts";

/** Blog: `Article` objects in a group. */
export const blogModule: ContentModule = {
  name: "blog",
  label: { en: "Blog", nl: "Blog" },
  objectType: "Article",
  defaultOn: true,
};
