/**
 * Wiki pages in ActivityStreams (docs/FEDERATION.md, "Wiki pages"):
 * - a page is a `Page` with `name`, `content`, `source` (the text as
 *   written), `generator` urn:plein:module:wiki and, when it is nested, a
 *   `Link` with `rel: "up"` to its parent page among its `tag`s (FEP-e232);
 * - a member edits a page by sending `Update{actor: editor, object: the Page
 *   as edited}` to the group; the group's server (the one that numbers the
 *   page's revisions) checks the membership, takes the revision and
 *   announces it: `Announce{actor: group, object: Update{actor: editor,
 *   object: Page{updated: the group's time of the revision}}}`;
 * - a server takes a revision of a page only from the page's own group.
 */
import {
  type Activity,
  Announce,
  Hashtag,
  Link,
  Mention,
  type Object as APObject,
  Page,
  PUBLIC_COLLECTION,
  Source,
  Update,
} from "@fedify/vocab";
import { embeddedOnly, httpUrl, remoteText, sanitizeRemoteHtml } from "../../../federation/translate/inbound.ts";
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import { findGroup } from "../../domain/groups.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { getPost, getPostByIri } from "../../domain/posts/read.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { SCOPES } from "../../domain/scopes.ts";
import { escapeHtml } from "../../domain/text.ts";
import { federates, memberAudience } from "../../domain/visibility.ts";
import { type ModuleActivityPub, type ModuleDelivery, type ModuleInboxContext, recipientOf } from "../module.ts";
import { parseWikiJob } from "./jobs.ts";
import { findPage, WIKI } from "./pages.ts";
import { type ReceivedEdit, receiveAnnouncedRevision, receiveMemberEdit } from "./revisions.ts";
import { type WikiRevision, wikiDb } from "./tables.ts";
import type { RemoteWikiData, WikiData } from "./data.ts";

export const WIKI_GENERATOR = "urn:plein:module:wiki";
/** The link relation of a page's parent (IANA: "a parent document in a hierarchy of documents"). */
const UP = "up";
/** The media type of a page's `source`: the text as its editor wrote it. */
const TEXT = "text/plain";
/** Tags looked at for the parent link. */
const MAX_TAGS_INSPECTED = 100;

function upLink(parent: Pick<Post, "iri" | "name">): Link {
  return new Link({ rels: [UP], href: new URL(parent.iri), mediaType: "application/activity+json", name: parent.name });
}

function sourceOf(text: string | null): Source | null {
  return text === null ? null : new Source({ content: text, mediaType: TEXT });
}

/** The parent link among an object's tags, if there is one with an http(s) href. */
async function parentIriOf(object: APObject): Promise<string | null> {
  let inspected = 0;
  for await (const tag of object.getTags(embeddedOnly)) {
    if (++inspected > MAX_TAGS_INSPECTED) break;
    if (!(tag instanceof Link) || tag instanceof Mention || tag instanceof Hashtag || !tag.rels.includes(UP)) continue;
    const href = httpUrl(tag.href);
    if (href) return href;
  }
  return null;
}

/** The text a page was written in, when its `source` is plain text. */
function sourceText(object: APObject): string | null {
  const source = object.source;
  if (!source || (source.mediaType !== null && source.mediaType !== TEXT)) return null;
  const text = source.content?.toString() ?? null;
  return text === null ? null : text.replace(/\u0000/g, "").slice(0, LIMITS.contentChars);
}

export async function readWiki(object: APObject): Promise<RemoteWikiData> {
  return { from: "remote", parentIri: await parentIriOf(object), source: sourceText(object) };
}

/** A page as an edit carries it: its content sanitised and capped like any remote post's. */
async function readEdit(object: APObject, activityIri: string): Promise<ReceivedEdit> {
  return {
    title: remoteText(object.name?.toString(), LIMITS.nameChars) || null,
    html: sanitizeRemoteHtml(object.content?.toString() ?? ""),
    source: sourceText(object),
    parentIri: await parentIriOf(object),
    activityIri,
  };
}

/* ---------------- rendering ---------------- */

export async function renderWikiFields(db: Db, post: Post): Promise<Record<string, unknown>> {
  const page = await findPage(db, post.id);
  const parent = page?.parent_id ? await getPost(db, page.parent_id) : undefined;
  return {
    tags: parent && !parent.deleted_at ? [upLink(parent)] : [],
    source: sourceOf(post.content_source),
  };
}

function instant(d: Date): Temporal.Instant {
  return Temporal.Instant.fromEpochMilliseconds(d.getTime());
}

/** `to`/`cc` of a page made in `group`: the public too when the group's content is public (FEP-1b12). */
function groupAddressing(group: Actor, post: Pick<Post, "visibility">): { tos: URL[]; ccs: URL[] } {
  const members = group.followers_url ? [new URL(group.followers_url)] : [];
  return SCOPES[post.visibility].readers === "anyone"
    ? { tos: [PUBLIC_COLLECTION, new URL(group.iri)], ccs: members }
    : { tos: [new URL(group.iri), ...members], ccs: [] };
}

/** The page as of `revision` (the group's server renders pages of any origin this way). */
async function revisionPage(db: Db, post: Post, author: Actor, group: Actor, revision: WikiRevision): Promise<Page> {
  const parent = revision.parent_id ? await getPost(db, revision.parent_id) : undefined;
  return new Page({
    id: new URL(post.iri),
    attribution: new URL(author.iri),
    name: revision.title === null ? null : escapeHtml(revision.title),
    content: revision.content_html,
    source: sourceOf(revision.content_source),
    published: instant(post.published_at),
    updated: instant(revision.created_at),
    url: new URL(post.url ?? post.iri),
    ...groupAddressing(group, post),
    audience: new URL(group.iri),
    generators: [new URL(WIKI_GENERATOR)],
    tags: parent && !parent.deleted_at ? [upLink(parent)] : [],
  });
}

async function buildDelivery(db: Db, payload: Record<string, unknown>, sender: Actor, id: URL): Promise<ModuleDelivery | null> {
  const job = parseWikiJob(payload);
  if (!job) return null;
  const revision = await wikiDb(db).selectFrom("wiki_revisions").selectAll().where("id", "=", job.revision).executeTakeFirst();
  if (!revision) return null;
  const post = await getPost(db, revision.page_id);
  if (!post || post.deleted_at || post.moderation !== "approved" || post.group_id === null || !federates(post.visibility)) return null;
  const [group, author, editor] = await Promise.all([
    findActorById(db, post.group_id), findActorById(db, post.actor_id), findActorById(db, revision.editor_id),
  ]);
  if (!group || group.gone_at || !author || !editor) return null;
  const page = await revisionPage(db, post, author, group, revision);
  if (job.kind === "propose") {
    // The editor asks the group's server (on another server) to take the edit.
    if (sender.id !== editor.id || group.local) return null;
    const activity = new Update({
      id: new URL(revision.activity_iri),
      actor: new URL(editor.iri),
      object: page,
      published: instant(revision.created_at),
      to: new URL(group.iri),
      audience: new URL(group.iri),
    });
    return { activity, recipients: [recipientOf(group)], post };
  }
  // The group announces a revision it numbered to its members' servers.
  if (sender.id !== group.id || !group.local || revision.number === null) return null;
  const addressing = groupAddressing(group, post);
  const update = new Update({
    id: new URL(revision.activity_iri),
    actor: new URL(editor.iri),
    object: page,
    published: instant(revision.created_at),
    ...addressing,
    audience: new URL(group.iri),
  });
  const members = group.followers_url ? [new URL(group.followers_url)] : [];
  const open = SCOPES[post.visibility].readers === "anyone";
  const activity = new Announce({
    id,
    actor: new URL(group.iri),
    object: update,
    published: instant(revision.created_at),
    tos: open ? [PUBLIC_COLLECTION] : members,
    ccs: open ? members : [],
    audience: new URL(group.iri),
  });
  return { activity, recipients: await memberAudience(db, group.id), post };
}

/* ---------------- inbox ---------------- */

/**
 * An Update of a wiki page we hold: from a member to our group (a proposed
 * edit, vouched for by the editor's signature), or announced by the page's
 * group (a revision, vouched for by the group). Any other Update of a wiki
 * page is refused here rather than handed to the core, which would apply an
 * author's edit outside the group's order of revisions.
 */
async function onUpdate(activity: Update, context: ModuleInboxContext): Promise<boolean> {
  const db = context.app.db;
  // Most Updates are of other posts: decided by the id alone, before the embedded object is read.
  const known = activity.objectId ? await getPostByIri(db, activity.objectId.href) : undefined;
  if (known ? known.module !== WIKI : !context.group) return false;
  const object = await activity.getObject(embeddedOnly).catch(() => null);
  const id = object?.id ?? activity.objectId;
  if (!id) return false;
  let post = id.href === known?.iri ? known : await getPostByIri(db, id.href);
  if (!post && context.group && object instanceof Page && object.generatorIds.some((g) => g.href === WIKI_GENERATOR)) {
    // A revision of a page that has not reached us yet (its own announce is on its way): fetch it first.
    post = await context.app.resolver.resolvePost(id.href);
  }
  if (!post || post.module !== WIKI || !(await findPage(db, post.id))) return false;
  if (!(object instanceof Page) || object.id?.href !== post.iri) throw invalid("An edit of a wiki page carries the page, embedded");
  const edit = await readEdit(object, context.activityIri);
  if (context.group) {
    const editorIri = activity.actorIds.length === 1 ? activity.actorIds[0]! : null;
    if (!editorIri) throw invalid("A revision names one editor");
    const editor = await context.app.resolver.resolveActor(editorIri.href);
    if (!editor) throw invalid(`The editor ${editorIri.href} could not be resolved`);
    const at = object.updated ?? activity.published;
    if (!at) throw invalid("A revision carries the group's time of it");
    await receiveAnnouncedRevision(db, post.id, context.group, editor, { ...edit, at: new Date(at.epochMilliseconds) });
    return true;
  }
  const group = post.group_id ? await findGroup(db, post.group_id) : undefined;
  if (!group?.actor.local) throw invalid("Edits of a wiki page are taken from its group only");
  await receiveMemberEdit(db, post.id, context.actor, edit);
  return true;
}

export const wikiActivityPub: ModuleActivityPub<WikiData> = {
  render: renderWikiFields,
  read: readWiki,
  inbox: async (activity: Activity, context) => (activity instanceof Update ? onUpdate(activity, context) : false),
  deliver: (payload, { app, sender, id }) => buildDelivery(app.db, payload, sender, id),
};
