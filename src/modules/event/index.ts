import type { ContentModule } from "../module.ts";

/** Events: `Event` objects in a group. */
export const eventModule: ContentModule = {
  name: "event",
  label: { en: "Events", nl: "Agenda" },
  objectType: "Event",
  defaultOn: true,
};
