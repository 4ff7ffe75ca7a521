/**
 * Wiki: `Page` objects in a group, nested under a parent page, edited by the
 * group's members; every edit is kept as a revision with its editor, and the
 * group's server, which numbers the revisions, announces each to the members'
 * servers (activitypub.ts; docs/FEDERATION.md, "Wiki pages").
 */
import type { ContentModule } from "../module.ts";
import { wikiActivityPub, WIKI_GENERATOR } from "./activitypub.ts";
import { parseWiki, wikiOpenApi, wikiRoutes } from "./api.ts";
import type { WikiData } from "./data.ts";
import { mayEditPage, queueWikiEdit, saveWiki } from "./editing.ts";
import { wikiMigrations } from "./migrations.ts";
import { presentPages, WIKI } from "./pages.ts";

export const wikiModule: ContentModule<WikiData> = {
  name: WIKI,
  label: { en: "Wiki", nl: "Wiki" },
  objectType: "Page",
  generator: WIKI_GENERATOR,
  defaultOn: true,
  migrations: wikiMigrations,
  parse: parseWiki,
  mayEdit: mayEditPage,
  save: saveWiki,
  queueEditDelivery: queueWikiEdit,
  present: (db, posts) => presentPages(db, posts),
  routes: wikiRoutes,
  openapi: wikiOpenApi,
  activityPub: wikiActivityPub,
};
