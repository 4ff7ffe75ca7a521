/**
 * The wiki's own tables (its migration: migrations.ts). The core's schema
 * does not know them: the module reads them through a typed view of the
 * database (`wikiDb`).
 */
import type { Generated, Kysely, Selectable } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database, Timestamp } from "../../db/schema.ts";

/** One row per wiki page (a post of module "wiki" in a group). */
export interface WikiPagesTable {
  post_id: string;
  /** the group of its post */
  group_id: string;
  /** the page it is nested under: a wiki page of the same group */
  parent_id: string | null;
  /** the parent as the page's object named it, while that page is not known here */
  parent_iri: string | null;
  /** the number of its newest revision */
  revision: number;
}

/**
 * Every version of a page. Numbers are given by the group's server, the one
 * authority on the order of a page's revisions; `created_at` is that
 * server's time of the revision, which orders them on every other server.
 */
export interface WikiRevisionsTable {
  id: Generated<string>;
  page_id: string;
  /** null: an edit sent to the group's server and not yet announced back by it */
  number: number | null;
  editor_id: string;
  title: string | null;
  content_html: string;
  content_source: string | null;
  parent_id: string | null;
  created_at: Timestamp;
  /** the activity that made it (an Update; the page's own id for its first revision): each is taken once */
  activity_iri: string;
}

export type WikiTables = {
  wiki_pages: WikiPagesTable;
  wiki_revisions: WikiRevisionsTable;
};

export type WikiDb = Kysely<Database & WikiTables>;
export type WikiPage = Selectable<WikiPagesTable>;
export type WikiRevision = Selectable<WikiRevisionsTable>;

/** The database (or a transaction) with the wiki's tables typed. */
export function wikiDb(db: Db): WikiDb {
  return db.withTables<WikiTables>();
}
