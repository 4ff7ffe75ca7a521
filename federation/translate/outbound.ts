/**
 * Domain rows -> ActivityStreams objects and activities (what we send and serve).
 *
 * Only local rows are rendered here: remote posts and actors are referenced by
 * their ids. Addressing follows the post's scope; "instance" and "group"
 * posts never leave the instance through this module (see NotFederatedError).
 */
import type { Context, RequestContext } from "@fedify/fedify";
import { EMPTY_DETAILS, loadPostDetails, type PostDetails } from "../../src/domain/post-details.ts";
import {
  Accept,
  type Activity,
  Announce,
  Article,
  Block,
  Collection,
  Create,
  Delete,
  Document,
  Event,
  Flag,
  Follow,
  Hashtag,
  Invite,
  LanguageString,
  Like,
  Link,
  Mention,
  Note,
  Object as APObject,
  Page,
  PropertyValue,
  PUBLIC_COLLECTION,
  Question,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import type { Actor, ObjectType, Post, Visibility } from "../../src/db/schema.ts";
import { SCOPES } from "../../src/domain/scopes.ts";
import { moduleOfPost } from "../../src/modules/registry.ts";
import { escapeHtml } from "../../src/domain/text.ts";
import { parseLocalObjectIri } from "../../src/domain/urls.ts";
import { renderLocalActor } from "../actors.ts";
import type { AppContext } from "../../src/context.ts";


/** A post whose scope never federates was asked to be rendered for delivery. */
export class NotFederatedError extends Error {
  constructor(visibility: Visibility) {
    super(`A "${visibility}" post is never rendered for delivery`);
  }
}

/** The followers collection of a local actor. */
function followersOf(ctx: Context<AppContext>, actor: Actor): URL {
  return actor.followers_url ? new URL(actor.followers_url) : ctx.getFollowersUri(actor.username);
}

export interface Addressing {
  tos: URL[];
  ccs: URL[];
}

function uniq(urls: URL[]): URL[] {
  const seen = new Set<string>();
  return urls.filter((u) => (seen.has(u.href) ? false : (seen.add(u.href), true)));
}

/** The group a post is addressed to (FEP-1b12): the Group actor and its members (followers) collection. */
export interface GroupAddress {
  iri: URL;
  members: URL | null;
}

/**
 * `to`/`cc` of a post (or a boost) by its scope's addressing
 * (src/domain/scopes.ts). `extra` are the mentioned actors (or, for a boost,
 * the original author): always in cc, except for direct posts where they are
 * the only recipients. A post made in a group is addressed to the group and
 * its members instead of the author's followers.
 */
export function addressing(visibility: Visibility, followers: URL, extra: readonly URL[], group: GroupAddress | null = null): Addressing {
  const others = [...extra];
  const audience = group ? [group.iri] : [];
  const circle = group ? (group.members ? [group.members] : []) : [followers];
  switch (SCOPES[visibility].addressing) {
    case "public":
      return { tos: uniq([PUBLIC_COLLECTION, ...audience]), ccs: uniq([...circle, ...others]) };
    case "unlisted":
      return { tos: uniq([...audience, ...circle]), ccs: uniq([PUBLIC_COLLECTION, ...others]) };
    case "followers":
      return { tos: uniq([...audience, ...circle]), ccs: uniq(others) };
    case "direct":
      return { tos: uniq(others), ccs: [] };
    case "group":
      // Never as:Public, never the author's followers: the group and its members only.
      if (!group) throw new NotFederatedError(visibility);
      return { tos: uniq([group.iri, ...(group.members ? [group.members] : [])]), ccs: [] };
    case "none":
      throw new NotFederatedError(visibility);
  }
}

function groupAddress(details: PostDetails): GroupAddress | null {
  const group = details.group;
  if (!group) return null;
  const iri = url(group.iri);
  return iri ? { iri, members: url(group.followersUrl) } : null;
}

function instant(d: Date): Temporal.Instant {
  return Temporal.Instant.fromEpochMilliseconds(d.getTime());
}

function parseInstant(value: unknown): Temporal.Instant | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Temporal.Instant.fromEpochMilliseconds(ms);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function url(value: string | null | undefined): URL | null {
  if (!value) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Name of the replies collection dispatcher of one object type (federation/collections.ts). */
export function repliesCollectionName(type: ObjectType): string {
  return `replies:${type}`;
}

/** The replies collection of a local post, or null when its id is not one of ours. */
export function repliesUri(ctx: Context<AppContext>, post: Pick<Post, "iri" | "type">): URL | null {
  const parsed = parseLocalObjectIri(ctx.data.config.origin, post.iri);
  if (parsed === null || parsed.type !== post.type) return null;
  const slug = parsed.slug;
  try {
    return ctx.getCollectionUri(repliesCollectionName(post.type), { id: slug });
  } catch {
    return null; // collections not registered (unit tests of rendering alone)
  }
}

/**
 * The type-specific fields kept in `posts.extra` (an Event's are its module's, src/modules/event):
 * - Question (a poll): `poll: { options: [{ title, votes? }], multiple?, endTime?, closed?, voters? }`
 *   (the shape federation/translate/inbound.ts stores; `name` is read for `title` too)
 */
interface PollOption {
  name: string;
  votes: number;
}

interface Poll {
  options: PollOption[];
  multiple: boolean;
  endTime: Temporal.Instant | null;
  closed: Temporal.Instant | null;
  voters: number | null;
}

function pollOf(extra: unknown): Poll | null {
  if (!isRecord(extra) || !isRecord(extra.poll)) return null;
  const raw = extra.poll;
  if (!Array.isArray(raw.options)) return null;
  const options = raw.options.slice(0, 50).flatMap((o: unknown): PollOption[] => {
    if (!isRecord(o)) return [];
    const name = typeof o.title === "string" ? o.title : typeof o.name === "string" ? o.name : "";
    if (!name) return [];
    const votes = typeof o.votes === "number" && Number.isFinite(o.votes) && o.votes >= 0 ? Math.floor(o.votes) : 0;
    return [{ name, votes }];
  });
  if (options.length === 0) return null;
  return {
    options,
    multiple: raw.multiple === true,
    endTime: parseInstant(raw.endTime),
    closed: parseInstant(raw.closed),
    voters: typeof raw.voters === "number" && Number.isFinite(raw.voters) ? Math.max(0, Math.floor(raw.voters)) : null,
  };
}

function languageOf(language: string | null): string | null {
  if (!language) return null;
  try {
    return new Intl.Locale(language).toString();
  } catch {
    return null;
  }
}

/**
 * What a post's content module adds to its object (src/modules): its own
 * fields, and the generator IRI that tells Plein servers which module it is
 * of. The module's values are the constructor values of the object's type;
 * its `tags` (links, FEP-e232) come on top of the post's mentions and hashtags,
 * its `attachments` on top of the post's media.
 */
type Attachment = APObject | Link | PropertyValue;

async function moduleFields(ctx: Context<AppContext>, post: Post): Promise<{ tags: Array<APObject | Link>; attachments: Attachment[]; rest: Record<string, never> }> {
  const module = moduleOfPost(post);
  if (!module) return { tags: [], attachments: [], rest: {} };
  const { tags, attachments, ...fields } = await module.activityPub?.render?.(ctx.data.db, post) ?? {};
  return {
    tags: Array.isArray(tags) ? tags.filter((t): t is APObject | Link => t instanceof APObject || t instanceof Link) : [],
    // Added to the post's media, never replacing them.
    attachments: Array.isArray(attachments)
      ? attachments.filter((a): a is Attachment => a instanceof APObject || a instanceof Link || a instanceof PropertyValue)
      : [],
    rest: { ...(module.generator ? { generators: [new URL(module.generator)] } : {}), ...fields } as Record<string, never>,
  };
}

/**
 * A local post as the ActivityStreams object its type maps to. Pass `details`
 * when already loaded (collections batch them); otherwise they are read here.
 * Throws NotFederatedError for "instance" and "group" posts and for boosts.
 */
export async function renderPost(ctx: Context<AppContext>, post: Post, author: Actor, details?: PostDetails): Promise<APObject> {
  if (post.reblog_of_id) throw new TypeError("A boost is rendered as an Announce, not as an object");
  const d = details ?? (await loadPostDetails(ctx.data.db, [post])).get(post.id) ?? EMPTY_DETAILS;
  const mentionIris = d.mentions.flatMap((m) => url(m.iri) ?? []);
  const group = groupAddress(d);
  const { tos, ccs } = addressing(post.visibility, followersOf(ctx, author), mentionIris, group);
  const origin = ctx.data.config.origin;
  const tags = [
    ...d.mentions.flatMap((m) => {
      const href = url(m.iri);
      return href ? [new Mention({ href, name: `@${m.username}@${m.domain}` })] : [];
    }),
    ...d.tags.map((t) => new Hashtag({ href: new URL(`/tags/${encodeURIComponent(t)}`, origin), name: `#${t}` })),
  ];
  const media = d.attachments.flatMap((a) => {
    const href = url(a.url);
    if (!href) return [];
    return [new Document({
      url: href,
      mediaType: a.media_type,
      name: a.description,
      width: a.width,
      height: a.height,
    })];
  });
  const language = languageOf(post.language);
  const module = await moduleFields(ctx, post);
  const contents = language && post.content_html
    ? [post.content_html, new LanguageString(post.content_html, language)]
    : [post.content_html];
  const values = {
    id: new URL(post.iri),
    attribution: new URL(author.iri),
    contents,
    // Titles and content warnings are plain text; receivers read these fields as HTML.
    name: post.name === null ? null : escapeHtml(post.name),
    summary: post.summary === null ? null : escapeHtml(post.summary),
    sensitive: post.sensitive,
    published: instant(post.published_at),
    updated: post.edited_at ? instant(post.edited_at) : null,
    url: url(post.url) ?? new URL(post.iri),
    replyTarget: url(post.in_reply_to_iri),
    tos,
    ccs,
    tags: [...tags, ...module.tags],
    attachments: [...media, ...module.attachments],
    replies: repliesUri(ctx, post),
    audience: group?.iri ?? null,
    ...module.rest,
  };
  switch (post.type) {
    case "Article": return new Article(values);
    case "Page": return new Page(values);
    case "Document": return new Document(values);
    case "Event": return new Event(values);
    case "Question": {
      const poll = pollOf(post.extra);
      if (!poll) return new Note(values);
      const options = poll.options.map((o) => new Note({
        name: o.name,
        replies: new Collection({ totalItems: o.votes }),
      }));
      return new Question({
        ...values,
        ...(poll.multiple ? { inclusiveOptions: options } : { exclusiveOptions: options }),
        endTime: poll.endTime,
        closed: poll.closed,
        voters: poll.voters,
      });
    }
    case "Note":
      return new Note(values);
  }
}

/* ---------------- activities about posts ---------------- */

function recipientsOf(object: APObject): { tos: URL[]; ccs: URL[] } {
  return { tos: [...object.toIds], ccs: [...object.ccIds] };
}

/** Create with the object embedded; id `${post.iri}#create`. */
export async function createActivity(ctx: Context<AppContext>, post: Post, author: Actor, details?: PostDetails): Promise<Create> {
  const object = await renderPost(ctx, post, author, details);
  return new Create({
    id: new URL(`${post.iri}#create`),
    actor: new URL(author.iri),
    object,
    published: instant(post.published_at),
    ...recipientsOf(object),
  });
}

/** Update with the object embedded; id `${post.iri}#update-${epoch ms of the edit}`. */
export async function updateActivity(ctx: Context<AppContext>, post: Post, author: Actor, details?: PostDetails): Promise<Update> {
  const object = await renderPost(ctx, post, author, details);
  const at = post.edited_at ?? new Date();
  return new Update({
    id: new URL(`${post.iri}#update-${at.getTime()}`),
    actor: new URL(author.iri),
    object,
    published: instant(at),
    ...recipientsOf(object),
  });
}

/**
 * Update of a local poll with its current tallies (or its closing), id
 * `id`: the post's own `updated` is left as it is, so receivers take it for
 * new tallies, not an edit.
 */
export async function pollUpdateActivity(ctx: Context<AppContext>, id: string, post: Post, author: Actor): Promise<Update> {
  const object = await renderPost(ctx, post, author);
  return new Update({ id: new URL(id), actor: new URL(author.iri), object, published: Temporal.Now.instant(), ...recipientsOf(object) });
}

/**
 * A vote on a remote poll, as Mastodon sends one: a Create of a Note named
 * after the chosen option, replying to the Question, with no content,
 * addressed to the poll's author alone.
 */
export function voteActivity(voteIri: string, optionTitle: string, voter: Actor, poll: Post, pollAuthor: Actor): Create {
  const to = [new URL(pollAuthor.iri)];
  return new Create({
    id: new URL(`${voteIri}#create`),
    actor: new URL(voter.iri),
    to: to[0],
    object: new Note({
      id: new URL(voteIri),
      attribution: new URL(voter.iri),
      name: optionTitle,
      replyTarget: new URL(poll.iri),
      tos: to,
    }),
  });
}

const FORMER_TYPES = { Note, Article, Page, Event, Document, Question } as const;

/** Delete of a post: a Tombstone with the post's id, addressed like the post was. */
export async function deleteActivity(ctx: Context<AppContext>, post: Post, author: Actor, details?: PostDetails): Promise<Delete> {
  const d = details ?? (await loadPostDetails(ctx.data.db, [post])).get(post.id) ?? EMPTY_DETAILS;
  const { tos, ccs } = addressing(post.visibility, followersOf(ctx, author), d.mentions.flatMap((m) => url(m.iri) ?? []), groupAddress(d));
  return new Delete({
    id: new URL(`${post.iri}#delete`),
    actor: new URL(author.iri),
    object: tombstone(post),
    tos,
    ccs,
  });
}

/** What a deleted local post answers (410) and what a Delete carries. */
export function tombstone(post: Pick<Post, "iri" | "type" | "deleted_at">): Tombstone {
  return new Tombstone({
    id: new URL(post.iri),
    formerType: FORMER_TYPES[post.type],
    deleted: post.deleted_at ? instant(post.deleted_at) : null,
  });
}

/**
 * Announce of `original` by `booster`: id is the boost row's iri, addressed by
 * the boost's scope (public, unlisted or followers) with the original's author in cc.
 */
export function announceActivity(ctx: Context<AppContext>, boost: Post, booster: Actor, original: Pick<Post, "iri">, originalAuthor: Pick<Actor, "iri">): Announce {
  const authorIri = url(originalAuthor.iri);
  const { tos, ccs } = addressing(boost.visibility, followersOf(ctx, booster), authorIri ? [authorIri] : []);
  return new Announce({
    id: new URL(boost.iri),
    actor: new URL(booster.iri),
    object: new URL(original.iri),
    published: instant(boost.published_at),
    tos,
    ccs,
  });
}

/* ---------------- groups (FEP-1b12) ---------------- */

/**
 * The group redistributes an activity of a post made in it to its members:
 * an Announce by the Group actor, addressed to its members collection (and
 * the public for a public post). The announced activity is embedded when
 * it is ours (same origin as the group: receivers trust it), and only named
 * when another server authored it (receivers fetch it from its origin).
 */
export function groupAnnounceActivity(id: string, group: Actor, post: Pick<Post, "visibility">, object: Activity | URL): Announce {
  const members = group.followers_url ? [new URL(group.followers_url)] : [];
  const open = SCOPES[post.visibility].readers === "anyone";
  return new Announce({
    id: new URL(id),
    actor: new URL(group.iri),
    object,
    published: Temporal.Now.instant(),
    tos: open ? [PUBLIC_COLLECTION] : members,
    ccs: open ? members : [],
    audience: new URL(group.iri),
  });
}

/**
 * The author's Update of a post, naming the post by its id only: what a group
 * announces when another server's member edited a post. Receivers that know
 * the post fetch its new version from its own server (an embedded copy of
 * another origin would be the group's word, not the author's).
 */
export function updateByReference(id: string, author: Pick<Actor, "iri">, post: Pick<Post, "iri">): Update {
  return new Update({ id: new URL(id), actor: new URL(author.iri), object: new URL(post.iri) });
}

/** The group removes a post from itself (deleted by its author, or by a moderator): a Delete by the group. */
export function groupDeleteActivity(id: string, group: Actor, post: Pick<Post, "iri" | "type" | "deleted_at">): Delete {
  return new Delete({
    id: new URL(id),
    actor: new URL(group.iri),
    object: tombstone(post),
    audience: new URL(group.iri),
  });
}

/** A group invites a person (AS2: the actor invites the target to the object). */
export function inviteActivity(id: string, group: Pick<Actor, "iri">, invitee: Pick<Actor, "iri">): Invite {
  return new Invite({
    id: new URL(id),
    actor: new URL(group.iri),
    object: new URL(group.iri),
    target: new URL(invitee.iri),
    to: new URL(invitee.iri),
  });
}

/** A person accepts a group's invitation. */
export function acceptInviteActivity(id: string, member: Pick<Actor, "iri">, group: Pick<Actor, "iri">, inviteIri: string): Accept {
  return new Accept({
    id: new URL(id),
    actor: new URL(member.iri),
    object: new Invite({ id: new URL(inviteIri), actor: new URL(group.iri), object: new URL(group.iri), target: new URL(member.iri) }),
    to: new URL(group.iri),
  });
}

/** Our instance actor tells another server of a report about its content (who reported stays ours). */
export function flagActivity(id: string, sender: Pick<Actor, "iri">, recipient: Pick<Actor, "iri">, objectIris: string[], comment: string): Flag {
  return new Flag({
    id: new URL(id),
    actor: new URL(sender.iri),
    objects: objectIris.map((iri) => new URL(iri)),
    content: comment || null,
    to: new URL(recipient.iri),
  });
}

/* ---------------- activities between actors ---------------- */

export function likeActivity(activityIri: string, actor: Pick<Actor, "iri">, post: Pick<Post, "iri">, postAuthor: Pick<Actor, "iri">): Like {
  return new Like({
    id: new URL(activityIri),
    actor: new URL(actor.iri),
    object: new URL(post.iri),
    to: new URL(postAuthor.iri),
  });
}

export function followActivity(activityIri: string, follower: Pick<Actor, "iri">, followee: Pick<Actor, "iri">): Follow {
  return new Follow({
    id: new URL(activityIri),
    actor: new URL(follower.iri),
    object: new URL(followee.iri),
    to: new URL(followee.iri),
  });
}

/** Accept of a Follow (embedded, with its original id); sent by the followee. */
export function acceptFollowActivity(id: string, followIri: string, follower: Pick<Actor, "iri">, followee: Pick<Actor, "iri">): Accept {
  return new Accept({
    id: new URL(id),
    actor: new URL(followee.iri),
    object: followActivity(followIri, follower, followee),
    to: new URL(follower.iri),
  });
}

/** Reject of a Follow (a declined request or a removed follower); sent by the followee, with the reason when it gives one. */
export function rejectFollowActivity(id: string, followIri: string, follower: Pick<Actor, "iri">, followee: Pick<Actor, "iri">, reason?: string): Reject {
  return new Reject({
    id: new URL(id),
    actor: new URL(followee.iri),
    object: followActivity(followIri, follower, followee),
    to: new URL(follower.iri),
    ...(reason ? { summary: reason } : {}),
  });
}

export function blockActivity(activityIri: string, actor: Pick<Actor, "iri">, target: Pick<Actor, "iri">): Block {
  return new Block({
    id: new URL(activityIri),
    actor: new URL(actor.iri),
    object: new URL(target.iri),
    to: new URL(target.iri),
  });
}

/** Undo of one of our Follow, Like, Announce or Block activities, addressed like it. */
export function undoActivity(id: string, actor: Pick<Actor, "iri">, activity: Follow | Like | Announce | Block): Undo {
  return new Undo({
    id: new URL(id),
    actor: new URL(actor.iri),
    object: activity,
    tos: [...activity.toIds],
    ccs: [...activity.ccIds],
  });
}

/** Update of a local actor's profile, to the public and its followers. */
export async function updateActorActivity(ctx: RequestContext<AppContext>, id: string, actor: Actor): Promise<Update> {
  return new Update({
    id: new URL(id),
    actor: new URL(actor.iri),
    object: await renderLocalActor(ctx, actor),
    published: Temporal.Now.instant(),
    to: PUBLIC_COLLECTION,
    cc: followersOf(ctx, actor),
  });
}
