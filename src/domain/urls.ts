/**
 * The URL layout of local ActivityPub ids. Federation's dispatchers serve
 * exactly these paths (federation/federation.ts registers the same templates),
 * and the domain stores them as the ids of local actors and objects.
 */
export const paths = {
  actor: "/users/{identifier}",
  inbox: "/users/{identifier}/inbox",
  sharedInbox: "/inbox",
  outbox: "/users/{identifier}/outbox",
  followers: "/users/{identifier}/followers",
  following: "/users/{identifier}/following",
  featured: "/users/{identifier}/featured",
} as const;

export interface LocalActorUrls {
  iri: string;
  inbox: string;
  sharedInbox: string;
  outbox: string;
  followers: string;
  following: string;
  featured: string;
  profile: string;
}

function fill(origin: URL, template: string, identifier: string): string {
  return new URL(template.replace("{identifier}", encodeURIComponent(identifier)), origin).href;
}

export function localActorUrls(origin: URL, username: string): LocalActorUrls {
  return {
    iri: fill(origin, paths.actor, username),
    inbox: fill(origin, paths.inbox, username),
    sharedInbox: new URL(paths.sharedInbox, origin).href,
    outbox: fill(origin, paths.outbox, username),
    followers: fill(origin, paths.followers, username),
    following: fill(origin, paths.following, username),
    featured: fill(origin, paths.featured, username),
    profile: new URL(`/@${encodeURIComponent(username)}`, origin).href,
  };
}

/** Object ids: one path per ActivityStreams type, a random slug each. */
export const objectPathPrefix = {
  Note: "/notes/",
  Article: "/articles/",
  Page: "/pages/",
  Event: "/events/",
  Document: "/documents/",
  Question: "/questions/",
} as const;

export type LocalObjectType = keyof typeof objectPathPrefix;

export function newObjectIri(origin: URL, type: LocalObjectType): string {
  return new URL(objectPathPrefix[type] + crypto.randomUUID(), origin).href;
}

/** Object slugs are UUIDs (newObjectIri). */
const SLUG = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The id of our object of `type` with `slug`, or null when the slug can never be one of ours. */
export function localObjectIri(origin: URL, type: LocalObjectType, slug: string): string | null {
  return SLUG.test(slug) ? new URL(objectPathPrefix[type] + slug, origin).href : null;
}

/** One of our object ids → its type and slug; null for anything else (another origin, another path). */
export function parseLocalObjectIri(origin: URL, iri: string): { type: LocalObjectType; slug: string } | null {
  if (!URL.canParse(iri)) return null;
  const url = new URL(iri);
  if (url.origin !== origin.origin || url.search || url.hash) return null;
  for (const [type, prefix] of Object.entries(objectPathPrefix) as Array<[LocalObjectType, string]>) {
    if (!url.pathname.startsWith(prefix)) continue;
    const slug = url.pathname.slice(prefix.length);
    return SLUG.test(slug) ? { type, slug } : null;
  }
  return null;
}

/** Ids for activities we create that are not objects of their own (Follow, Like, Announce...). */
export function newActivityIri(origin: URL, kind: string): string {
  return new URL(`/activities/${kind}/${crypto.randomUUID()}`, origin).href;
}

/** A new activity id for something a local actor sends (its id carries our origin). */
export function newActivityIriOf(actor: { iri: string; local: boolean }, kind: string): string {
  if (!actor.local) throw new TypeError("Only local actors send activities from here");
  return newActivityIri(new URL(actor.iri), kind);
}

/** The host of an origin as it appears in handles (no port for the default ports). */
export function handleDomain(origin: URL): string {
  return origin.host;
}

/**
 * Where this server serves an attachment of a post to whoever may see the
 * post (src/api/plein/attachments.ts): how clients are shown the
 * attachments of posts not everyone may read.
 */
export function attachmentUrl(origin: URL, attachmentId: string): string {
  return new URL(`/api/plein/v1/attachments/${encodeURIComponent(attachmentId)}`, origin).href;
}

/** The two versions of an upload this server keeps (src/api/mastodon/media-files.ts serves them). */
export type MediaVariant = "original" | "small";

/** Where this server serves one of its own uploads (a status's image, an avatar, a header). */
export function mediaFileUrl(origin: URL, mediaId: string, variant: MediaVariant): string {
  return new URL(`/uploads/${encodeURIComponent(mediaId)}/${variant}`, origin).href;
}
