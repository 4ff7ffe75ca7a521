/**
 * Wiki pages: who may edit them, their place in their group's tree (a page
 * may be nested under another page of the same group, never under itself or
 * one of its own pages), and how they are listed.
 */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { forbidden, invalid, notFound } from "../../domain/errors.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { findGroup, moduleEnabled } from "../../domain/groups.ts";
import { membershipOf } from "../../domain/membership.ts";
import { type Viewer, visibleTo } from "../../domain/visibility.ts";
import { type WikiPage, wikiDb } from "./tables.ts";

export const WIKI = "wiki";
/** How deep pages nest (a longer chain of parents is refused). */
export const MAX_DEPTH = 30;
/** Pages a group's tree lists at most (the oldest ones). */
export const MAX_TREE_PAGES = 1000;

export function findPage(db: Db, postId: string): Promise<WikiPage | undefined> {
  return wikiDb(db).selectFrom("wiki_pages").selectAll().where("post_id", "=", postId).executeTakeFirst();
}

/** A wiki page `viewer` may see (absent, hidden and not-a-wiki-page look the same: not found). */
export async function visibleWikiPage(db: Db, viewer: Viewer, id: string): Promise<Post> {
  const post = await getVisiblePost(db, viewer, id);
  if (post.module !== WIKI || !(await findPage(db, post.id))) throw notFound();
  return post;
}

/**
 * Why `editor` may not edit `post` now, or null when they may: a wiki page
 * (approved, not deleted) edited by a current member of its group, in a
 * group that still uses the wiki (as far as we know a remote group's modules).
 */
export async function whyNotEditor(db: Db, post: Post, editor: Actor): Promise<string | null> {
  if (post.module !== WIKI || post.deleted_at || post.group_id === null) return "Not a wiki page";
  if (post.moderation !== "approved") return "The page awaits a moderator";
  const group = await findGroup(db, post.group_id);
  if (!group || group.actor.gone_at) return "Not a wiki page";
  if (group.actor.local && !moduleEnabled(group, WIKI)) return "The group no longer uses the wiki";
  const membership = await membershipOf(db, group.actor.id, editor.id);
  if (membership?.state !== "member") return "Only members of the group edit its wiki";
  return null;
}

export async function requireEditor(db: Db, post: Post, editor: Actor): Promise<void> {
  const why = await whyNotEditor(db, post, editor);
  if (why !== null) throw forbidden(why);
}

/**
 * The chain of parents from `pageId` up (itself first), at most MAX_DEPTH + 1
 * long. A chain that long means the tree would grow too deep.
 */
async function chainUp(db: Db, pageId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    with recursive chain(id, depth) as (
      select cast(${pageId} as bigint), 0
      union all
      select w.parent_id, chain.depth + 1
      from wiki_pages w join chain on w.post_id = chain.id
      where w.parent_id is not null and chain.depth < ${MAX_DEPTH}
    )
    select id from chain order by depth`.execute(db);
  return rows.map((r) => String(r.id));
}

/** Why `parentId` may not be the parent of page `pageId` (null: a new page), or null when it may. */
async function whyNotParent(db: Db, pageId: string | null, parentId: string): Promise<string | null> {
  const chain = await chainUp(db, parentId);
  if (pageId !== null && chain.includes(pageId)) return "a page cannot be nested under itself or one of its own pages";
  if (chain.length > MAX_DEPTH) return `pages nest at most ${MAX_DEPTH} deep`;
  return null;
}

/** A live wiki page of `groupId`, by its post id or its id (IRI). */
async function pageInGroup(db: Db, groupId: string, key: { id: string } | { iri: string }): Promise<Post | undefined> {
  let q = db.selectFrom("posts").selectAll()
    .where("group_id", "=", groupId).where("module", "=", WIKI).where("deleted_at", "is", null);
  q = "id" in key ? q.where("id", "=", key.id) : q.where("iri", "=", key.iri);
  const post = await q.executeTakeFirst();
  return post && (await findPage(db, post.id)) ? post : undefined;
}

/**
 * The parent a local request names for page `pageId` (null: a new page) in
 * `groupId`: a live, approved wiki page of the same group, which neither is
 * the page nor lies under it. Refused with a reason otherwise.
 */
export async function checkedParent(db: Db, groupId: string, pageId: string | null, parentId: string): Promise<string> {
  const parent = await pageInGroup(db, groupId, { id: parentId });
  if (!parent || parent.moderation !== "approved") throw invalid("parent_id: not a wiki page of this group");
  const why = await whyNotParent(db, pageId, parent.id);
  if (why) throw invalid(`parent_id: ${why}`);
  return parent.id;
}

/**
 * The parent a remote object names (its id), if it is a page of the group
 * known here and may be the parent: `known` is false when no such page is
 * known (yet), so that the page may be linked to it once it arrives.
 */
export async function parentByIri(db: Db, groupId: string, pageId: string | null, iri: string): Promise<{ id: string | null; known: boolean }> {
  const parent = await pageInGroup(db, groupId, { iri });
  if (!parent) return { id: null, known: false };
  return { id: (await whyNotParent(db, pageId, parent.id)) === null ? parent.id : null, known: true };
}

/**
 * A page just stored: the pages of its group that named it as their parent
 * before it was known here are nested under it (unless that would make a loop).
 */
export async function adoptWaitingChildren(trx: Db, page: Pick<Post, "id" | "iri" | "group_id">): Promise<void> {
  if (page.group_id === null) return;
  const waiting = await wikiDb(trx).selectFrom("wiki_pages").select("post_id")
    .where("parent_iri", "=", page.iri).where("group_id", "=", page.group_id).where("parent_id", "is", null)
    .limit(MAX_TREE_PAGES).execute();
  for (const child of waiting) {
    if (await whyNotParent(trx, child.post_id, page.id)) continue;
    await wikiDb(trx).updateTable("wiki_pages").set({ parent_id: page.id, parent_iri: null })
      .where("post_id", "=", child.post_id).execute();
  }
}

export interface WikiNode {
  post: Post;
  page: WikiPage;
  children: WikiNode[];
}

function byTitle(a: WikiNode, b: WikiNode): number {
  const t = (a.post.name ?? "").localeCompare(b.post.name ?? "", undefined, { sensitivity: "base" });
  return t !== 0 ? t : Number(BigInt(a.post.id) - BigInt(b.post.id));
}

/**
 * A group's wiki as `viewer` may see it: pages nested under their parents,
 * in title order; a page whose parent is gone or hidden from the viewer is a
 * root. At most MAX_TREE_PAGES pages (the oldest); `truncated` says when more exist.
 */
export async function wikiTree(db: Db, viewer: Viewer, groupId: string): Promise<{ roots: WikiNode[]; truncated: boolean }> {
  const pages = await wikiDb(db).selectFrom("wiki_pages").selectAll()
    .where("group_id", "=", groupId).orderBy("post_id").limit(MAX_TREE_PAGES + 1).execute();
  const truncated = pages.length > MAX_TREE_PAGES;
  const listed = pages.slice(0, MAX_TREE_PAGES);
  if (listed.length === 0) return { roots: [], truncated };
  const posts = await db.selectFrom("posts").selectAll()
    .where("id", "in", listed.map((p) => p.post_id)).where(visibleTo(viewer)).execute();
  const postById = new Map(posts.map((p) => [p.id, p]));
  const nodes = new Map<string, WikiNode>();
  for (const page of listed) {
    const post = postById.get(page.post_id);
    if (post) nodes.set(post.id, { post, page, children: [] });
  }
  const roots: WikiNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.page.parent_id === null ? undefined : nodes.get(node.page.parent_id);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  // The rules keep loops out; should one exist anyway, its pages are shown as roots rather than lost.
  const reached = new Set<string>();
  const visit = (n: WikiNode) => {
    if (reached.has(n.post.id)) return;
    reached.add(n.post.id);
    n.children.sort(byTitle);
    for (const c of n.children) visit(c);
  };
  roots.sort(byTitle);
  for (const r of roots) visit(r);
  for (const node of nodes.values()) {
    if (reached.has(node.post.id)) continue;
    for (const other of nodes.values()) other.children = other.children.filter((c) => c !== node);
    roots.push(node);
    visit(node);
  }
  return { roots, truncated };
}

/** What Plein's API shows of wiki pages besides the post: parent, revision, source, edits awaiting the group. */
export async function presentPages(db: Db, posts: readonly Post[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (posts.length === 0) return out;
  const ids = posts.map((p) => p.id);
  const pages = await wikiDb(db).selectFrom("wiki_pages").selectAll().where("post_id", "in", ids).execute();
  const parents = pages.flatMap((p) => (p.parent_id ? [p.parent_id] : []));
  const liveParents = new Set(parents.length === 0 ? [] : (await db.selectFrom("posts").select("id")
    .where("id", "in", parents).where("deleted_at", "is", null).execute()).map((p) => p.id));
  const pending = await wikiDb(db).selectFrom("wiki_revisions")
    .select((eb) => ["page_id", eb.fn.countAll<string>().as("n")])
    .where("page_id", "in", ids).where("number", "is", null).groupBy("page_id").execute();
  const pendingBy = new Map(pending.map((p) => [p.page_id, Number(p.n)]));
  const pageBy = new Map(pages.map((p) => [p.post_id, p]));
  for (const post of posts) {
    const page = pageBy.get(post.id);
    out.set(post.id, {
      parent_id: page?.parent_id && liveParents.has(page.parent_id) ? page.parent_id : null,
      revision: page?.revision ?? null,
      source: post.content_source,
      pending_edits: pendingBy.get(post.id) ?? 0,
    });
  }
  return out;
}
