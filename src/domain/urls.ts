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

export function newObjectIri(origin: URL, type: keyof typeof objectPathPrefix): string {
  return new URL(objectPathPrefix[type] + crypto.randomUUID(), origin).href;
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
