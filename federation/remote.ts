import { type Context, type DocumentLoader, FetchError, getUserAgent, UrlError } from "@fedify/fedify";
import { type Actor as APActor, Collection, isActor, Object as APObject } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../src/config.ts";
import { SOFTWARE } from "../src/version.ts";
import type { Db } from "../src/db/database.ts";
import type { Actor, Post } from "../src/db/schema.ts";
import { findLocalActor, findLocalActorByIri } from "../src/domain/accounts.ts";
import { DomainError } from "../src/domain/errors.ts";
import { LIMITS } from "../src/domain/posts/limits.ts";
import { getPostByIri } from "../src/domain/posts/read.ts";
import { type RemotePostInput, upsertRemotePost } from "../src/domain/posts/remote.ts";
import {
  findActorByHandle,
  findActorByIri,
  findLiveGroupsByIris,
  isStale,
  markActorGone,
  type RemoteActorInput,
  upsertRemoteActor,
} from "../src/domain/remote-actors.ts";
import { handleDomain } from "../src/domain/urls.ts";
import type { AppContext } from "../src/context.ts";
import { createSafeDocumentLoader, DocumentRejectedError, FETCH_LIMITS } from "./loader.ts";
import { assertMayLookUp, policyCheck } from "./policy.ts";
import { findModule, moduleOfObject } from "../src/modules/registry.ts";
import {
  objectTypeOf,
  type RemotePostTranslation,
  toRemoteActorInput,
  toRemotePostInput,
  visibilityOf,
} from "./translate/inbound.ts";

/**
 * Remote resolution: actors and objects fetched from their origin, checked,
 * and stored. Every fetch goes through one loader (federation/loader.ts) that
 * signs with the instance actor's key and enforces media type, size, timeout
 * and redirect rules; every fetched document must carry the id that was asked
 * for (a redirect to a document with another id is refused); nothing that
 * claims an id on our own origin is ever stored from a remote document.
 */

const logger = getLogger(["plein", "federation", "remote"]);

export type FedContext = Context<AppContext>;

/** The instance actor's username: the host name, like Mastodon's instance actor. */
export function instanceIdentifier(config: Config): string {
  return config.origin.hostname;
}

export function isLocalUrl(config: Config, url: URL): boolean {
  return url.origin === config.origin.origin;
}

/** A document we fetched is not what was asked for, or not usable. */
export class RemoteDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteDocumentError";
  }
}

/**
 * Errors caused by the remote side: a document we refuse or cannot parse, a
 * fetch that failed (network, 4xx/5xx, refused address, timeout), a domain
 * refusal of what the remote asked for. Callers may log and skip these. Any
 * other error (the database is down, a bug) is not one of them: it must fail
 * the work so that it is retried.
 */
export function isRemoteInputError(error: unknown): boolean {
  return error instanceof RemoteDocumentError || error instanceof DocumentRejectedError || error instanceof FetchError
    || error instanceof UrlError || error instanceof DomainError
    || (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError"));
}

/** The error a JSON-LD processing error wraps (a context loader's failure), if any. */
function jsonLdCause(error: unknown): unknown {
  if (!(error instanceof Error) || !error.name.startsWith("jsonld.")) return undefined;
  return (error as Error & { details?: { cause?: unknown } }).details?.cause;
}

/**
 * Runs a parser of remote data (Fedify's `fromJsonLd`): what it refuses
 * (malformed JSON-LD, a value of the wrong type) becomes a RemoteDocumentError;
 * a failure of our own underneath it (the cache of JSON-LD contexts lives in
 * the database) is rethrown as it is.
 */
export async function parseRemote<T>(what: string, parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    if (isRemoteInputError(error)) throw error;
    let inner: unknown = error;
    for (let depth = 0, cause = jsonLdCause(inner); cause !== undefined && depth < 10; depth++, cause = jsonLdCause(inner)) {
      inner = cause;
    }
    if (inner !== error && !isRemoteInputError(inner) && !isParseError(inner)) throw inner;
    if (isParseError(error)) throw new RemoteDocumentError(`${what} could not be parsed: ${(error as Error).message}`);
    throw error;
  }
}

function isParseError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof SyntaxError || (error instanceof Error && error.name.startsWith("jsonld."));
}

const loaders = new WeakMap<Config, Promise<DocumentLoader>>();

/** The checked loader, signing as the instance actor (authorized-fetch servers require a signature). */
export function remoteLoader(ctx: FedContext): Promise<DocumentLoader> {
  const config = ctx.data.config;
  let loader = loaders.get(config);
  if (!loader) {
    loader = (async () => {
      const pairs = await ctx.getActorKeyPairs(instanceIdentifier(config));
      const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
      return createSafeDocumentLoader({
        allowPrivateAddress: config.allowPrivateAddress,
        policy: policyCheck(ctx.data),
        userAgent: getUserAgent({ software: SOFTWARE.userAgent, url: config.origin }),
        signer: rsa ? { keyId: rsa.keyId, privateKey: rsa.privateKey } : undefined,
      });
    })();
    loaders.set(config, loader);
    loader.catch(() => loaders.delete(config));
  }
  return loader;
}

/** Loads and parses `url` without checking its id (see `fetchDocument`). */
async function loadDocument(ctx: FedContext, url: URL): Promise<{ object: APObject; documentUrl: URL }> {
  if (isLocalUrl(ctx.data.config, url)) throw new RemoteDocumentError(`${url.href} is local`);
  const loader = await remoteLoader(ctx);
  const remote = await loader(url.href);
  const documentUrl = new URL(remote.documentUrl);
  if (documentUrl.origin !== url.origin) {
    throw new RemoteDocumentError(`${url.href} redirected to another origin (${documentUrl.origin})`);
  }
  const object = await parseRemote(url.href, () => APObject.fromJsonLd(remote.document, {
    documentLoader: loader,
    contextLoader: ctx.contextLoader,
    baseUrl: documentUrl,
  }));
  return { object, documentUrl };
}

/**
 * Fetches the document of `url` from its origin. Its `id` must be exactly
 * `url`: a redirect to (or a document claiming) another id is refused.
 */
export async function fetchDocument(ctx: FedContext, url: URL): Promise<APObject> {
  const { object } = await loadDocument(ctx, url);
  if (object.id?.href !== url.href) {
    throw new RemoteDocumentError(`${url.href} answered with a document whose id is ${object.id?.href ?? "missing"}`);
  }
  return object;
}

/**
 * For lookups a person types (a post's web address): if the document names
 * another id on the same origin, fetch that id and require it to match.
 */
async function fetchCanonical(ctx: FedContext, url: URL): Promise<APObject> {
  const { object } = await loadDocument(ctx, url);
  if (object.id?.href === url.href) return object;
  if (!object.id || object.id.origin !== url.origin) {
    throw new RemoteDocumentError(`${url.href} names a document of another origin`);
  }
  return fetchDocument(ctx, object.id);
}

/**
 * Stores an actor document fetched from its origin (never one embedded in an
 * activity). Refuses documents that claim an id on our own origin.
 */
export async function persistActor(ctx: FedContext, actor: APActor): Promise<Actor> {
  if (!actor.id) throw new RemoteDocumentError("Actor has no id");
  if (isLocalUrl(ctx.data.config, actor.id) || actor.id.host === handleDomain(ctx.data.config.origin)) {
    throw new RemoteDocumentError(`A remote document may not claim the local actor ${actor.id.href}`);
  }
  const input = await toRemoteActorInput(actor);
  const counts = await publishedCounts(ctx, actor);
  return upsertRemoteActor(ctx.data.db, handleDomain(ctx.data.config.origin), { ...input, ...counts });
}

/**
 * The `totalItems` an actor publishes for one of its collections: embedded in
 * the actor document, or fetched from the collection's id on the actor's own
 * origin. Null when it publishes none or the fetch fails (the stored count stays).
 */
async function publishedCount(ctx: FedContext, actor: APActor, embedded: unknown, id: URL | null): Promise<number | null> {
  const valid = (n: unknown) => (typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : null);
  const inline = typeof embedded === "object" && embedded !== null ? valid((embedded as { totalItems?: unknown }).totalItems) : null;
  if (inline !== null) return inline;
  if (!id || id.origin !== actor.id?.origin) return null;
  try {
    const collection = await fetchDocument(ctx, id);
    return collection instanceof Collection ? valid(collection.totalItems) : null;
  } catch (error) {
    if (!isRemoteInputError(error)) throw error;
    logger.info("Could not read the size of {collection}: {error}", { collection: id.href, error: String(error) });
    return null;
  }
}

/** Followers, following and posts as the actor itself counts them (Mastodon shows the same). */
async function publishedCounts(ctx: FedContext, actor: APActor): Promise<Pick<RemoteActorInput, "followersCount" | "followingCount" | "postsCount">> {
  // The document as fetched (Fedify keeps it): a collection may be embedded with its size.
  const raw = await actor.toJsonLd() as Record<string, unknown>;
  const [followersCount, followingCount, postsCount] = await Promise.all([
    publishedCount(ctx, actor, raw.followers, actor.followersId),
    publishedCount(ctx, actor, raw.following, actor.followingId),
    publishedCount(ctx, actor, raw.outbox, actor.outboxId),
  ]);
  return { followersCount, followingCount, postsCount };
}


/**
 * The actor with id `iri`: local ones from the database; remote ones from the
 * database while fresh, otherwise fetched from their origin and stored. A
 * fetch failure falls back to a stored copy; 410 marks the actor gone.
 */
export async function getOrFetchActor(ctx: FedContext, iri: URL, options: { refresh?: boolean } = {}): Promise<Actor | undefined> {
  const { db, config } = ctx.data;
  if (isLocalUrl(config, iri)) return findLocalActorByIri(db, iri.href);
  if (iri.protocol !== "https:" && iri.protocol !== "http:") return undefined;
  const stored = await findActorByIri(db, iri.href);
  if (stored?.local) return undefined;
  if (stored && !options.refresh && !stored.gone_at && !isStale(stored)) return stored;
  try {
    const object = await fetchDocument(ctx, iri);
    if (!isActor(object)) throw new RemoteDocumentError(`${iri.href} is not an actor`);
    return await persistActor(ctx, object);
  } catch (error) {
    if (!isRemoteInputError(error)) throw error;
    if (error instanceof FetchError && error.response?.status === 410 && stored) {
      await markActorGone(db, stored.id);
      return undefined;
    }
    logger.info("Could not fetch actor {iri}: {error}", { iri: iri.href, error: String(error) });
    return stored && !stored.gone_at ? stored : undefined;
  }
}

/** A mentioned actor: stored (local or remote), or fetched if `mayFetch()` allows it. */
async function findOrFetchMentioned(ctx: FedContext, iri: URL, mayFetch: () => boolean): Promise<Actor | undefined> {
  const stored = await findActorByIri(ctx.data.db, iri.href);
  if (stored) return stored.gone_at ? undefined : stored;
  if (isLocalUrl(ctx.data.config, iri) || !mayFetch()) return undefined;
  return getOrFetchActor(ctx, iri);
}

/** Unknown mentioned actors fetched per object (the rest count only if already known). */
const MAX_MENTION_FETCHES = 10;

/**
 * The mentioned actors of a post, known or fetched (a few per post). An actor
 * that cannot be fetched is left out (getOrFetchActor logs why); any other
 * failure (the database) fails the caller, so the activity is retried whole.
 */
async function resolveMentions(ctx: FedContext, iris: readonly URL[]): Promise<string[]> {
  let fetchBudget = MAX_MENTION_FETCHES;
  const ids = new Set<string>();
  // One at a time: a handful of known actors cost a query each, unknown ones are few and capped.
  for (const iri of iris) {
    const actor = await findOrFetchMentioned(ctx, iri, () => fetchBudget-- > 0);
    if (actor) ids.add(actor.id);
  }
  return [...ids].slice(0, LIMITS.mentions);
}

/**
 * The group a remote object was made in: the one that redistributed it, or
 * the first Group actor its `audience` (FEP-1b12) names, fetched if unknown;
 * a Group we know among its recipients will do too (servers without `audience`).
 */
async function groupOfObject(ctx: FedContext, translated: RemotePostTranslation): Promise<Actor | undefined> {
  for (const iri of translated.audienceIris) {
    const actor = await getOrFetchActor(ctx, iri);
    if (actor?.type === "Group" && !actor.gone_at) return actor;
  }
  const recipients = [...translated.to, ...translated.cc].slice(0, 20).map((iri) => iri.href);
  return (await findLiveGroupsByIris(ctx.data.db, recipients))[0];
}

/**
 * A remote object as the domain stores it: its mentioned actors resolved, its
 * group found and its scope decided with that group. Null for types Plein
 * does not store.
 */
export async function remotePostInput(ctx: FedContext, object: APObject, author: Actor, options: { group?: Actor } = {}): Promise<RemotePostInput | null> {
  const translated = await toRemotePostInput(object, author);
  if (!translated) return null;
  const { mentionIris, audienceIris: _, to, cc, ...rest } = translated;
  const group = options.group ?? await groupOfObject(ctx, translated);
  const visibility = visibilityOf(to, cc, author.followers_url,
    group ? { iri: group.iri, followersUrl: group.followers_url } : null);
  const module = moduleOfObject(object, rest.type);
  return {
    ...rest, visibility, groupId: group?.id ?? null, module: module?.name, mentionIds: await resolveMentions(ctx, mentionIris),
  };
}

/**
 * Stores (mode "create") or updates a remote post from its object: the
 * domain's input, and its content module's own data (read from the object,
 * saved in the post's transaction). Null for types Plein does not store.
 */
export async function storeRemotePost(ctx: FedContext, object: APObject, author: Actor, mode: "create" | "update", options: { group?: Actor } = {}): Promise<Post | null> {
  const input = await remotePostInput(ctx, object, author, options);
  if (!input) return null;
  const module = findModule(input.module);
  const data = module?.activityPub?.read ? await module.activityPub.read(object) : null;
  const save = module?.save && data !== null
    ? (trx: Db, post: Post) => module.save!(trx, post, data, author)
    : undefined;
  return upsertRemotePost(ctx.data.db, author, input, mode, save);
}

/**
 * Stores a remote object whose origin has vouched for it: either fetched from
 * its own id, or embedded in an activity of an actor of the same origin.
 * Its attribution must be one actor of the object's origin, who becomes the
 * author. Returns the stored post (an existing one is never re-scoped).
 */
export async function persistPost(ctx: FedContext, object: APObject, expectedAuthor?: Actor, options: { group?: Actor } = {}): Promise<Post | undefined> {
  if (!object.id) throw new RemoteDocumentError("Object has no id");
  if (isLocalUrl(ctx.data.config, object.id)) throw new RemoteDocumentError("A remote document may not claim a local object");
  if (!objectTypeOf(object)) return undefined;
  const attributions = object.attributionIds;
  if (attributions.length === 0) throw new RemoteDocumentError(`${object.id.href} has no attributedTo`);
  if (attributions.some((a) => a.origin !== object.id!.origin)) {
    throw new RemoteDocumentError(`${object.id.href} is attributed to an actor of another origin`);
  }
  const authorIri = expectedAuthor ? attributions.find((a) => a.href === expectedAuthor.iri) : attributions[0];
  if (!authorIri) throw new RemoteDocumentError(`${object.id.href} is not attributed to ${expectedAuthor?.iri}`);
  const author = expectedAuthor ?? await getOrFetchActor(ctx, authorIri);
  if (!author || author.local) return undefined;
  return (await storeRemotePost(ctx, object, author, "create", options)) ?? undefined;
}

/** Parses `alice@host`, `@alice@host`, `acct:alice@host`. */
export function parseHandle(query: string): { username: string; domain: string } | null {
  let q = query.trim();
  if (q.toLowerCase().startsWith("acct:")) q = q.slice(5);
  if (q.startsWith("@")) q = q.slice(1);
  const at = q.indexOf("@");
  if (at <= 0 || at !== q.lastIndexOf("@")) return null;
  const username = q.slice(0, at);
  const domain = q.slice(at + 1).toLowerCase();
  if (username.length > 100 || !/^[\p{L}\p{N}_.\-~]+$/u.test(username)) return null;
  if (domain.length > 253 || !/^[a-z0-9.\-]+(:\d{1,5})?$/.test(domain) && !/^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(domain)) return null;
  return { username, domain };
}

export async function resolveActor(ctx: FedContext, query: string): Promise<Actor | undefined> {
  const { db, config } = ctx.data;
  const q = query.trim();
  if (/^https?:\/\//i.test(q)) {
    if (!URL.canParse(q)) return undefined;
    const url = new URL(q);
    if (isLocalUrl(config, url)) return findLocalActorByIri(db, url.href);
    await assertMayLookUp(ctx.data, url);
    const stored = await findActorByIri(db, url.href);
    if (stored) return getOrFetchActor(ctx, url);
    try {
      // fetchCanonical returns a document whose id is the URL it was fetched from.
      const object = await fetchCanonical(ctx, url);
      if (!isActor(object)) return undefined;
      return await persistActor(ctx, object);
    } catch (error) {
      if (!isRemoteInputError(error)) throw error;
      logger.info("Could not resolve {query}: {error}", { query: q, error: String(error) });
      return undefined;
    }
  }
  const handle = parseHandle(q);
  if (!handle) return undefined;
  if (handle.domain === handleDomain(config.origin).toLowerCase()) {
    const local = await findLocalActor(db, config.origin, handle.username);
    return local && !local.gone_at ? local : undefined;
  }
  // Fedify's WebFinger request does not go through our loader: the handle's domain is asked here.
  await assertMayLookUp(ctx.data, handle.domain);
  const stored = await findActorByHandle(db, handle.username, handle.domain);
  if (stored && !stored.local && !stored.gone_at && !isStale(stored)) return stored;
  try {
    const loader = await remoteLoader(ctx);
    const found = await ctx.lookupObject(`acct:${handle.username}@${handle.domain}`, {
      documentLoader: loader,
      contextLoader: ctx.contextLoader,
      // Fedify's WebFinger request has no timeout of its own.
      signal: AbortSignal.timeout(FETCH_LIMITS.timeoutMs),
    });
    if (!isActor(found) || !found.id) return stored && !stored.gone_at ? stored : undefined;
    // WebFinger only points the way: the actor document is fetched again from its id and must match it.
    return await getOrFetchActor(ctx, found.id, { refresh: true });
  } catch (error) {
    if (!isRemoteInputError(error)) throw error;
    logger.info("Could not resolve {query}: {error}", { query: q, error: String(error) });
    return stored && !stored.gone_at ? stored : undefined;
  }
}

export async function resolvePost(ctx: FedContext, url: string): Promise<Post | undefined> {
  const { db, config } = ctx.data;
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  if (!isLocalUrl(config, parsed)) await assertMayLookUp(ctx.data, parsed);
  const known = await getPostByIri(db, parsed.href);
  if (known) return known;
  if (isLocalUrl(config, parsed)) return undefined;
  try {
    const object = await fetchCanonical(ctx, parsed);
    if (!object.id) return undefined;
    const again = await getPostByIri(db, object.id.href);
    if (again) return again;
    return await persistPost(ctx, object);
  } catch (error) {
    if (!isRemoteInputError(error)) throw error;
    logger.info("Could not resolve post {url}: {error}", { url, error: String(error) });
    return undefined;
  }
}
