/** What the wiki's `save` hook is given: from Plein's API (`parse`), or read from a received object (`read`). */

export interface ApiWikiData {
  from: "api";
  mode: "create" | "edit";
  /** the page to nest under: an id, null for the top of the wiki, absent to keep it where it is */
  parentId?: string | null;
  /** the revision the edit was made on: an edit of an older one is refused (409) */
  baseRevision?: number;
}

export interface RemoteWikiData {
  from: "remote";
  /** the parent page's id as the object names it */
  parentIri: string | null;
  /** the text as written (the object's plain-text `source`) */
  source: string | null;
}

export type WikiData = ApiWikiData | RemoteWikiData;
