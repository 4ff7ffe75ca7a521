import type { DocumentLoader } from "@fedify/fedify";
import {
  type Actor as APActor,
  Application,
  Article,
  Document,
  Emoji,
  Event,
  Group,
  Hashtag,
  LanguageString,
  Link,
  Mention,
  Note,
  Object as APObject,
  Organization,
  Page,
  PropertyValue,
  PUBLIC_COLLECTION,
  Question,
  Service,
} from "@fedify/vocab";
import sanitizeHtml from "sanitize-html";
import type { Actor, ActorType, ObjectType, Visibility } from "../../src/db/schema.ts";
import { type AttachmentInput, LIMITS } from "../../src/domain/posts/limits.ts";
import { type RemotePostInput } from "../../src/domain/posts/remote.ts";
import type { RemoteActorInput } from "../../src/domain/remote-actors.ts";
import { scopeAddressedAs } from "../../src/domain/scopes.ts";

/**
 * ActivityStreams objects → domain inputs. Everything here is remote input:
 * HTML is sanitised, strings are capped, lists are capped, URLs must be
 * http(s). Nothing here fetches or reads the database: what needs either (the
 * mentioned actors) is returned as ids for the caller to resolve.
 */

const MAX_TEXT_INPUT = LIMITS.contentChars * 2;
const MAX_TAG_CHARS = 100;
const MAX_POLL_OPTIONS = 20;
const MAX_POLL_OPTION_CHARS = 200;
const MAX_ATTACHMENT_DESCRIPTION = 1_500;
const MAX_MEDIA_TYPE_CHARS = 100;
/** Tags inspected per object (Mention, Hashtag, Emoji...): bounds the work, not only what is kept. */
const MAX_TAGS_INSPECTED = 500;

/** A loader that never fetches: reading embedded values only. */
export const noFetch: DocumentLoader = (url) => Promise.reject(new Error(`not fetching ${url} here`));
/** Options for vocab getters that must not go to the network. */
export const embeddedOnly = { documentLoader: noFetch, contextLoader: undefined, suppressError: true, crossOrigin: "trust" } as const;

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ["p", "br", "a", "span", "strong", "em", "b", "i", "u", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"],
  allowedAttributes: { a: ["href", "rel", "class"], span: ["class"] },
  allowedClasses: {
    a: ["mention", "hashtag", "u-url", "h-card", "status-link"],
    span: ["h-card", "invisible", "ellipsis", "mention"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  transformTags: {
    a: (tagName, attribs) => {
      const out: Record<string, string> = { rel: "nofollow noopener noreferrer" };
      const href = attribs.href?.trim();
      // Only absolute http(s)/mailto links: a relative one would point into this instance.
      if (href && /^(https?:\/\/|mailto:)/i.test(href)) out.href = href;
      if (attribs.class) out.class = attribs.class;
      return { tagName, attribs: out };
    },
  },
};

const TEXT_ONLY: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: "discard" };

/** Remote HTML → the HTML we store and show. */
/** NUL characters, which PostgreSQL cannot store in text: remote text loses them. */
const NUL = /\u0000/g;

export function sanitizeRemoteHtml(html: string, maxChars: number = LIMITS.contentChars): string {
  let out = sanitizeHtml(html.slice(0, MAX_TEXT_INPUT).replace(NUL, ""), SANITIZE);
  // Sanitising can grow the text (rel attributes); cut the input shorter until it fits.
  let cut = maxChars;
  while (out.length > maxChars && cut > 0) {
    cut = Math.floor(cut * 0.8);
    out = sanitizeHtml(out.slice(0, cut), SANITIZE);
  }
  return out;
}

/** Remote HTML or text → plain text (tags dropped, entities decoded), capped. */
export function remoteText(value: string | null | undefined, maxChars: number): string {
  if (!value) return "";
  const escaped = sanitizeHtml(value.slice(0, MAX_TEXT_INPUT).replace(NUL, ""), TEXT_ONLY);
  const text = escaped.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
  return text.trim().slice(0, maxChars);
}

function str(value: string | LanguageString | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value.toString();
}

/** An http(s) URL as a capped string, or null. */
export function httpUrl(value: URL | Link | string | null | undefined): string | null {
  let url: URL | null = null;
  if (value instanceof URL) url = value;
  else if (value instanceof Link) url = value.href;
  else if (typeof value === "string") url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  return url.href.length > LIMITS.urlChars ? null : url.href;
}

function instant(value: Temporal.Instant | null | undefined): Date | null {
  return value ? new Date(value.epochMilliseconds) : null;
}

function actorType(actor: APActor): ActorType {
  if (actor instanceof Group) return "Group";
  if (actor instanceof Application) return "Application";
  if (actor instanceof Service) return "Service";
  if (actor instanceof Organization) return "Organization";
  return "Person";
}

/** A fetched actor document → what the domain stores about a remote actor. */
export async function toRemoteActorInput(actor: APActor): Promise<RemoteActorInput> {
  if (!actor.id) throw new TypeError("Actor has no id");
  const icon = await actor.getIcon(embeddedOnly).catch(() => null);
  const image = await actor.getImage(embeddedOnly).catch(() => null);
  const fields: Array<{ name: string; value: string }> = [];
  let inspected = 0;
  for await (const a of actor.getAttachments(embeddedOnly)) {
    if (++inspected > 50 || fields.length >= 20) break;
    if (a instanceof PropertyValue) {
      const name = remoteText(str(a.name), 2_000);
      if (name) fields.push({ name, value: sanitizeRemoteHtml(str(a.value) ?? "", 2_000) });
    }
  }
  return {
    iri: actor.id.href,
    type: actorType(actor),
    username: (str(actor.preferredUsername) ?? "").trim(),
    displayName: remoteText(str(actor.name), 500),
    summaryHtml: sanitizeRemoteHtml(str(actor.summary) ?? "", 20_000),
    url: httpUrl(actor.url),
    avatarUrl: icon ? httpUrl(icon.url) : null,
    headerUrl: image ? httpUrl(image.url) : null,
    inbox: httpUrl(actor.inboxId),
    sharedInbox: httpUrl(actor.endpoints?.sharedInbox),
    outbox: httpUrl(actor.outboxId),
    followers: httpUrl(actor.followersId),
    following: httpUrl(actor.followingId),
    featured: httpUrl(actor.featuredId),
    manuallyApprovesFollowers: actor.manuallyApprovesFollowers === true,
    bot: actor instanceof Service || actor instanceof Application,
    fields,
    followersCount: null,
    followingCount: null,
    postsCount: null,
  };
}

const PUBLIC_IRIS = new Set([PUBLIC_COLLECTION.href, "as:Public", "Public"]);

/** A group an object may be addressed to: its actor id and its members (followers) collection. */
export interface AddressedGroup {
  iri: string;
  followersUrl: string | null;
}

/**
 * Addressing → scope (src/domain/scopes.ts): as:Public in `to` is public, in
 * `cc` unlisted; addressed to the group it was made in (its actor or members
 * collection), the group's members only; the author's followers collection,
 * followers-only; anything else is direct.
 */
export function visibilityOf(to: readonly URL[], cc: readonly URL[], followersUrl: string | null, group: AddressedGroup | null = null): Visibility {
  const all = [...to, ...cc];
  if (to.some((u) => PUBLIC_IRIS.has(u.href))) return scopeAddressedAs("public");
  if (cc.some((u) => PUBLIC_IRIS.has(u.href))) return scopeAddressedAs("unlisted");
  if (group && all.some((u) => u.href === group.iri || (group.followersUrl !== null && u.href === group.followersUrl))) {
    return scopeAddressedAs("group");
  }
  if (followersUrl && all.some((u) => u.href === followersUrl)) return scopeAddressedAs("followers");
  return scopeAddressedAs("direct");
}

/** The domain's object type for a supported ActivityStreams object, or null. */
export function objectTypeOf(object: APObject): ObjectType | null {
  if (object instanceof Note) return "Note";
  if (object instanceof Article) return "Article";
  if (object instanceof Page) return "Page";
  if (object instanceof Event) return "Event";
  if (object instanceof Question) return "Question";
  if (object instanceof Document) return "Document";
  return null;
}

const TAG_NAME = /^[\p{L}\p{M}\p{N}_]+$/u;

async function attachmentsOf(object: APObject): Promise<AttachmentInput[]> {
  const out: AttachmentInput[] = [];
  let inspected = 0;
  for await (const a of object.getAttachments(embeddedOnly)) {
    if (++inspected > LIMITS.attachments * 4 || out.length >= LIMITS.attachments) break;
    if (!(a instanceof Document)) continue;
    const url = httpUrl(a.url);
    if (!url) continue;
    const width = a.width !== null && Number.isInteger(a.width) && a.width > 0 && a.width <= 100_000 ? a.width : null;
    const height = a.height !== null && Number.isInteger(a.height) && a.height > 0 && a.height <= 100_000 ? a.height : null;
    out.push({
      url,
      mediaType: a.mediaType && a.mediaType.length <= MAX_MEDIA_TYPE_CHARS ? a.mediaType : null,
      description: remoteText(str(a.name) ?? str(a.summary), MAX_ATTACHMENT_DESCRIPTION) || null,
      width,
      height,
    });
  }
  return out;
}

/** A poll's options and votes (an Event's fields are its module's, src/modules/event). */
async function extraOf(object: APObject): Promise<Record<string, unknown>> {
  if (object instanceof Question) {
    const options: Array<{ title: string; votes: number }> = [];
    let multiple = false;
    let inspected = 0;
    for (const [iter, inclusive] of [[object.getExclusiveOptions(embeddedOnly), false], [object.getInclusiveOptions(embeddedOnly), true]] as const) {
      for await (const option of iter) {
        if (++inspected > MAX_POLL_OPTIONS * 4 || options.length >= MAX_POLL_OPTIONS) break;
        const title = remoteText(str(option.name), MAX_POLL_OPTION_CHARS);
        if (!title) continue;
        const replies = await option.getReplies(embeddedOnly).catch(() => null);
        const votes = replies?.totalItems;
        options.push({ title, votes: typeof votes === "number" && Number.isSafeInteger(votes) && votes >= 0 ? votes : 0 });
        if (inclusive) multiple = true;
      }
    }
    const closed = object.closed;
    const voters = object.voters;
    return {
      poll: {
        options, multiple, endTime: instant(object.endTime)?.toISOString() ?? null,
        // `closed` is a time or a bare true (then the end time, or now, stands for it)
        closed: closed === true ? (instant(object.endTime) ?? new Date()).toISOString() : closed ? instant(closed)?.toISOString() ?? null : null,
        voters: typeof voters === "number" && Number.isSafeInteger(voters) && voters >= 0 ? voters : null,
      },
    };
  }
  return {};
}

/**
 * The language of the content: from a language-tagged `content` or, as
 * Mastodon and GoToSocial send it, from `contentMap` next to a plain
 * `content`. "und" (undetermined: Mobilizon's default `@language`) is no language.
 */
function languageOf(object: APObject): string | null {
  for (const content of object.contents.slice(0, 20)) {
    if (!(content instanceof LanguageString)) continue;
    const tag = content.locale.baseName;
    if (tag.toLowerCase() === "und" || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/.test(tag)) continue;
    return tag;
  }
  return null;
}

/**
 * A remote post as translated: the domain's input, with its mentions still as
 * actor ids to resolve, and what the caller needs to place it in a group: the
 * groups it names (FEP-1b12 `audience`) and its addressing. Its `visibility`
 * assumes no group; `visibilityOf` with the group decides once that is known.
 */
export type RemotePostTranslation = Omit<RemotePostInput, "mentionIds" | "groupId"> & {
  mentionIris: URL[];
  audienceIris: URL[];
  to: URL[];
  cc: URL[];
};

/**
 * A remote object (already checked: id of the author's origin, attributed to
 * `author`) → the domain's input for storing it. Returns null for object types
 * Plein does not store.
 */
export async function toRemotePostInput(object: APObject, author: Pick<Actor, "followers_url">): Promise<RemotePostTranslation | null> {
  const type = objectTypeOf(object);
  if (!type || !object.id) return null;
  const summary = remoteText(str(object.summary), LIMITS.summaryChars) || null;
  const name = remoteText(str(object.name), LIMITS.nameChars) || null;

  const mentionIris: URL[] = [];
  const seenMentions = new Set<string>();
  const tags = new Set<string>();
  let inspected = 0;
  for await (const tag of object.getTags(embeddedOnly)) {
    if (++inspected > MAX_TAGS_INSPECTED) break;
    if (tag instanceof Mention) {
      const href = tag.href;
      if (!href || seenMentions.has(href.href) || mentionIris.length >= LIMITS.mentions) continue;
      if (href.protocol !== "https:" && href.protocol !== "http:") continue;
      seenMentions.add(href.href);
      mentionIris.push(href);
    } else if (tag instanceof Hashtag) {
      const raw = str(tag.name)?.trim().replace(/^#/, "").toLowerCase() ?? "";
      if (raw && raw.length <= MAX_TAG_CHARS && TAG_NAME.test(raw) && tags.size < LIMITS.tags) tags.add(raw);
    } else if (tag instanceof Emoji) {
      continue;
    }
  }
  // A web address of another origin is not the object's: it could claim someone else's post.
  const claimed = httpUrl(object.url);
  const url = claimed && new URL(claimed).origin === object.id.origin ? claimed : null;
  const inReplyTo = object.replyTargetId;
  return {
    iri: object.id.href,
    url,
    type,
    visibility: visibilityOf(object.toIds, object.ccIds, author.followers_url),
    inReplyToIri: inReplyTo && httpUrl(inReplyTo) ? inReplyTo.href : null,
    name,
    summary,
    sensitive: object.sensitive === true || summary !== null,
    contentHtml: sanitizeRemoteHtml(str(object.content) ?? ""),
    language: languageOf(object),
    publishedAt: instant(object.published) ?? new Date(),
    editedAt: instant(object.updated),
    mentionIris,
    audienceIris: object.audienceIds.slice(0, 5),
    to: object.toIds.slice(0, LIMITS.mentions * 2),
    cc: object.ccIds.slice(0, LIMITS.mentions * 2),
    tags: [...tags],
    attachments: await attachmentsOf(object),
    extra: await extraOf(object),
  };
}
