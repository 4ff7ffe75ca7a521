/**
 * Revisions of wiki pages. The group's server is the one authority on a
 * page's revisions: it numbers each edit as it takes it, and stamps it with
 * its own time, always later than the page's previous revision. Every other
 * server orders the revisions the group announces by that time, so an edit
 * announced late still takes its place, and an activity already taken
 * (unique `activity_iri`) is never taken twice.
 *
 * Writers lock a page's post row, then its wiki row, in that order (as
 * editLocalPost does), so that two edits of one page never interleave.
 */
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { forbidden } from "../../domain/errors.ts";
import { findGroup } from "../../domain/groups.ts";
import { clampDate } from "../../domain/posts/remote.ts";
import { adoptWaitingChildren, parentByIri, requireEditor, WIKI } from "./pages.ts";
import { queueRevisionAnnounce } from "./jobs.ts";
import { type WikiPage, type WikiRevision, wikiDb } from "./tables.ts";

/** What a revision holds besides its number and time. */
export interface RevisionInput {
  editorId: string;
  title: string | null;
  html: string;
  source: string | null;
  parentId: string | null;
  activityIri: string;
}

/** A page locked for the rest of the transaction: its post, then its wiki row. */
export async function lockPage(trx: Db, postId: string): Promise<{ post: Post; page: WikiPage } | undefined> {
  const post = await trx.selectFrom("posts").selectAll().where("id", "=", postId).forUpdate().executeTakeFirst();
  if (!post) return undefined;
  const page = await wikiDb(trx).selectFrom("wiki_pages").selectAll().where("post_id", "=", postId).forUpdate().executeTakeFirst();
  return page ? { post, page } : undefined;
}

export function revisionByActivity(db: Db, activityIri: string): Promise<WikiRevision | undefined> {
  return wikiDb(db).selectFrom("wiki_revisions").selectAll().where("activity_iri", "=", activityIri).executeTakeFirst();
}

/**
 * A new page (made here, or received from another server): its wiki row and
 * its first revision, the page as its author made it; pages of the group
 * that were waiting for it as their parent are nested under it.
 */
export async function createPage(trx: Db, post: Post, parent: { id: string | null; iri: string | null }, source: string | null): Promise<void> {
  if (post.group_id === null) return;
  const wdb = wikiDb(trx);
  await wdb.insertInto("wiki_pages").values({
    post_id: post.id, group_id: post.group_id, parent_id: parent.id, parent_iri: parent.id === null ? parent.iri : null, revision: 1,
  }).execute();
  await wdb.insertInto("wiki_revisions").values({
    page_id: post.id, number: 1, editor_id: post.actor_id, title: post.name, content_html: post.content_html,
    content_source: source, parent_id: parent.id, created_at: post.published_at, activity_iri: post.iri,
  }).execute();
  await adoptWaitingChildren(trx, post);
}

/** When the group's server takes a revision: now, and always after the page's newest one. */
async function nextRevisionTime(trx: Db, pageId: string): Promise<Date> {
  const last = await wikiDb(trx).selectFrom("wiki_revisions").select((eb) => eb.fn.max("created_at").as("at"))
    .where("page_id", "=", pageId).where("number", "is not", null).executeTakeFirst();
  const lastMs = last?.at ? new Date(last.at).getTime() : 0;
  return new Date(Math.max(Date.now(), lastMs + 1));
}

/** At the group's server (in a locked page's transaction): the edit becomes the page's next revision. */
export async function appendRevision(trx: Db, page: WikiPage, input: RevisionInput): Promise<WikiRevision> {
  const wdb = wikiDb(trx);
  const number = page.revision + 1;
  const revision = await wdb.insertInto("wiki_revisions").values({
    page_id: page.post_id, number, editor_id: input.editorId, title: input.title, content_html: input.html,
    content_source: input.source, parent_id: input.parentId, created_at: await nextRevisionTime(trx, page.post_id),
    activity_iri: input.activityIri,
  }).returningAll().executeTakeFirstOrThrow();
  await wdb.updateTable("wiki_pages").set({ revision: number, parent_id: input.parentId, parent_iri: null })
    .where("post_id", "=", page.post_id).execute();
  return revision;
}

/**
 * On the editor's server, for a group on another server: the edit waits,
 * unnumbered, until the group's server announces it back as a revision.
 */
export async function recordProposal(trx: Db, page: WikiPage, input: RevisionInput): Promise<WikiRevision> {
  return wikiDb(trx).insertInto("wiki_revisions").values({
    page_id: page.post_id, number: null, editor_id: input.editorId, title: input.title, content_html: input.html,
    content_source: input.source, parent_id: input.parentId, created_at: new Date(), activity_iri: input.activityIri,
  }).returningAll().executeTakeFirstOrThrow();
}

/** A page's content as another server sent it (already sanitised), and the parent it names. */
export interface ReceivedEdit {
  title: string | null;
  html: string;
  source: string | null;
  /** the parent page's id, or null for a page at the top of the wiki */
  parentIri: string | null;
  activityIri: string;
}

/** The post row shows the page as of its newest revision. */
async function showRevision(trx: Db, post: Post, r: { title: string | null; html: string; source: string | null; at: Date }): Promise<void> {
  await trx.updateTable("posts").set({ name: r.title, content_html: r.html, content_source: r.source, edited_at: clampDate(r.at) })
    .where("id", "=", post.id).execute();
}

/**
 * At the group's server: a member on another server edits a page of the
 * group (their signed Update). The editor must be a current member; the
 * edit becomes the next revision, the page shows it, and the group
 * announces it to its members. Null when the activity was taken before.
 */
export async function receiveMemberEdit(db: Db, postId: string, editor: Actor, edit: ReceivedEdit): Promise<WikiRevision | null> {
  return db.transaction().execute(async (trx) => {
    const locked = await lockPage(trx, postId);
    if (!locked) throw forbidden("Not a wiki page");
    const { post, page } = locked;
    const group = post.group_id ? await findGroup(trx, post.group_id) : undefined;
    if (!group?.actor.local) throw forbidden("The page's group is not on this server");
    if (await revisionByActivity(trx, edit.activityIri)) return null;
    await requireEditor(trx, post, editor);
    // A parent that is not (or may not be) a page of the group keeps the page where it is.
    const parent = edit.parentIri === null ? { id: null, known: true } : await parentByIri(trx, group.actor.id, post.id, edit.parentIri);
    const revision = await appendRevision(trx, page, {
      editorId: editor.id, title: edit.title, html: edit.html, source: edit.source,
      parentId: parent.id ?? (edit.parentIri === null ? null : page.parent_id), activityIri: edit.activityIri,
    });
    await showRevision(trx, post, { ...edit, at: revision.created_at });
    await queueRevisionAnnounce(trx, group.actor, revision);
    return revision;
  });
}

/**
 * On a member's server: the page's group announces a revision (the group
 * vouches for it: it is the authority on its wiki). It takes its place by
 * the group's time; the page shows it if it is the newest. A revision the
 * group says one of our own people made must be one we sent (it was waiting
 * here, unnumbered). Null when it was taken before.
 */
export async function receiveAnnouncedRevision(
  db: Db, postId: string, group: Actor, editor: Actor, edit: ReceivedEdit & { at: Date },
): Promise<WikiRevision | null> {
  return db.transaction().execute(async (trx) => {
    const locked = await lockPage(trx, postId);
    if (!locked || locked.post.group_id !== group.id || locked.post.module !== WIKI) throw forbidden("Not a wiki page of that group");
    const { post, page } = locked;
    const known = await revisionByActivity(trx, edit.activityIri);
    if (known && (known.page_id !== post.id || known.editor_id !== editor.id)) throw forbidden("That activity made another revision");
    if (known && known.number !== null) return null;
    if (editor.local && !known) throw forbidden("A revision by one of our people that this server never sent");
    const wdb = wikiDb(trx);
    // Its place: after the first revision (the page as created) and every edit the group took before it.
    const earlier = await wdb.selectFrom("wiki_revisions").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("page_id", "=", post.id).where("number", ">=", 2).where("created_at", "<", edit.at).executeTakeFirstOrThrow();
    const number = Number(earlier.n) + 2;
    const newest = page.revision + 1;
    if (number < newest) {
      await wdb.updateTable("wiki_revisions").set((eb) => ({ number: eb("number", "+", 1) }))
        .where("page_id", "=", post.id).where("number", ">=", number).execute();
    }
    const parent = edit.parentIri === null ? { id: null, known: true } : await parentByIri(trx, group.id, post.id, edit.parentIri);
    const values = {
      number, title: edit.title, content_html: edit.html, content_source: edit.source, parent_id: parent.id, created_at: edit.at,
    };
    const revision = known
      ? await wdb.updateTable("wiki_revisions").set(values).where("id", "=", known.id).returningAll().executeTakeFirstOrThrow()
      : await wdb.insertInto("wiki_revisions").values({ ...values, page_id: post.id, editor_id: editor.id, activity_iri: edit.activityIri })
        .returningAll().executeTakeFirstOrThrow();
    await wdb.updateTable("wiki_pages").set({
      revision: newest,
      ...(number === newest ? { parent_id: parent.id, parent_iri: parent.known ? null : edit.parentIri } : {}),
    }).where("post_id", "=", post.id).execute();
    if (number === newest) await showRevision(trx, post, edit);
    return revision;
  });
}

export interface RevisionPage {
  /** revisions numbered lower than this (newest first); absent: from the newest, with the edits awaiting the group first */
  before?: number;
  limit: number;
}

/** A page's revisions, newest first: the edits still waiting for the group's server, then the numbered ones. */
export async function listRevisions(db: Db, pageId: string, page: RevisionPage): Promise<WikiRevision[]> {
  const wdb = wikiDb(db);
  const pending = page.before === undefined
    ? await wdb.selectFrom("wiki_revisions").selectAll().where("page_id", "=", pageId).where("number", "is", null)
      .orderBy("id", "desc").limit(page.limit).execute()
    : [];
  let q = wdb.selectFrom("wiki_revisions").selectAll().where("page_id", "=", pageId).where("number", "is not", null);
  if (page.before !== undefined) q = q.where("number", "<", page.before);
  const numbered = await q.orderBy("number", "desc").limit(page.limit - pending.length).execute();
  return [...pending, ...numbered];
}

export function getRevision(db: Db, pageId: string, number: number): Promise<WikiRevision | undefined> {
  return wikiDb(db).selectFrom("wiki_revisions").selectAll().where("page_id", "=", pageId).where("number", "=", number).executeTakeFirst();
}

/** The newest revision row of a page (numbered or waiting), made last. */
export function latestRevision(db: Db, pageId: string): Promise<WikiRevision | undefined> {
  return wikiDb(db).selectFrom("wiki_revisions").selectAll().where("page_id", "=", pageId).orderBy("id", "desc").limit(1).executeTakeFirst();
}
