import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  type DocumentLoader,
  FetchError,
  preloadedContexts,
  type RemoteDocument,
  signRequest,
  UrlError,
  validatePublicUrl,
} from "@fedify/fedify";
import type { Dispatcher } from "undici";
import { recentActorDocuments } from "./actor-document-cache.ts";
import { ContextCache } from "./context-cache.ts";
import { fetchThrough, isPublicAddress, pinnedDispatcher, PrivateAddressError, privateAddressRefusal } from "./pinned-dispatcher.ts";
import { spendFetch } from "./fetch-budget.ts";

/**
 * The document loader our own remote lookups use (federation/remote.ts).
 *
 * Fedify 2.3.8's built-in loaders parse any response body as JSON whatever its
 * media type, read it without a size cap and have no timeout. Ours:
 * - accepts only `application/activity+json` and `application/ld+json` with
 *   the ActivityStreams profile (a JSON file uploaded to some server is not an
 *   actor: Mastodon CVE-2024-25623);
 * - reads at most `maxBytes` and gives up after `timeoutMs`;
 * - follows at most `maxRedirects` redirects, checking every hop (scheme,
 *   private addresses unless allowed) *before* a signed request is sent to it;
 *   a host name is resolved once, as it is connected to, and the connection
 *   goes to the addresses that were checked (federation/pinned-dispatcher.ts);
 * - signs each request with the instance actor's key when given one;
 * - counts each request against the budget of the inbound request that caused
 *   it, if any (federation/fetch-budget.ts).
 * Fedify's own fetches (keys, actors, JSON-LD contexts) go through it too
 * (`useSafeLoadersInFedify`). Checking that the document's `id` is the id
 * that was asked for happens one level up (`fetchDocument` in remote.ts),
 * after JSON-LD parsing.
 */
export const FETCH_LIMITS = {
  maxBytes: 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 5,
  /** Nesting of JSON arrays and objects; real ActivityPub documents stay under 15. */
  maxDepth: 64,
  /**
   * Remote fetches (each redirect hop counts) one inbound request may cause.
   * An honest inbox POST needs at most about eight: the signer's key and its
   * owner, the actor named by the activity, those again for a Linked Data
   * Signature of a forwarded activity, a context outside Fedify's preloaded
   * set (Pleroma's litepub) fetched once per expansion, and a redirect or
   * two. Twice that leaves room; 200 embedded context URLs do not fit.
   */
  maxFetchesPerRequest: 16,
} as const;

/**
 * Does this JSON text nest arrays and objects deeper than `maxDepth`? A linear
 * scan, without parsing: the JSON-LD processor recurses once per level and a
 * body of a few kilobytes can exhaust the stack (RangeError).
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number = FETCH_LIMITS.maxDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

export const ACCEPT_ACTIVITYPUB =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
const ACCEPT_CONTEXT = "application/ld+json, application/json;q=0.9, */*;q=0.1";

/** A fetched document we refuse to use (media type, size, shape). */
export class DocumentRejectedError extends Error {
  readonly url: string;
  constructor(url: string, message: string) {
    super(`${url}: ${message}`);
    this.name = "DocumentRejectedError";
    this.url = url;
  }
}

export interface SafeLoaderOptions {
  allowPrivateAddress: boolean;
  userAgent?: string;
  /** Sign each GET (draft-cavage HTTP Signatures) with this RSA key. */
  signer?: { keyId: URL; privateKey: CryptoKey };
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /**
   * Loads JSON-LD contexts: any media type whose body is a JSON object (they
   * are served as application/ld+json, application/json, even text/plain;
   * a context cannot pose as an actor or object, so the media type rule
   * against uploaded fakes does not apply).
   */
  contexts?: boolean;
  /** Answers from, and keeps small documents in, this cache (for contexts). */
  cache?: ContextCache;
  /**
   * Answers an actor asked for by its id from the actors this process fetched
   * in the last minutes (actor-document-cache.ts; for Fedify's key checks).
   * Every loader but a context loader keeps what it fetches there.
   */
  recentActors?: boolean;
  /**
   * The federation policy (federation/policy.ts `policyCheck`): asked before
   * each hop's address check, so a blocked server is never looked up or
   * connected to; throws to refuse.
   */
  policy?: (url: URL) => Promise<void>;
  /**
   * Replaces the address check of every hop, the connection's included
   * (tests only: lets one loopback server stand in for a public one, so a
   * redirect from it to a private address can be tried). Production code
   * never sets it.
   */
  checkAddress?: (url: URL) => Promise<void>;
}

/** Is this Content-Type one an ActivityPub document may be served with? */
export function isActivityPubMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const parts = contentType.split(";");
  const type = (parts[0] ?? "").trim().toLowerCase();
  if (type === "application/activity+json") return true;
  if (type !== "application/ld+json") return false;
  for (const raw of parts.slice(1)) {
    const eq = raw.indexOf("=");
    if (eq < 0) continue;
    if (raw.slice(0, eq).trim().toLowerCase() !== "profile") continue;
    let value = raw.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value.split(/\s+/).includes("https://www.w3.org/ns/activitystreams")) return true;
  }
  return false;
}

/** Reads at most `maxBytes` of a body; a longer one is cancelled and refused. */
export async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = response.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new DocumentRejectedError(url, `document is larger than ${maxBytes} bytes`);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new DocumentRejectedError(url, `document is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(all);
}

/**
 * What can be checked of a URL without resolving its host: the scheme,
 * credentials, `localhost`, and an address literal (every spelling of one:
 * the URL parser normalises `2130706433` and `0x7f.0.0.1`). A host name is
 * checked when it is connected to, against the very addresses the
 * connection uses (federation/pinned-dispatcher.ts).
 */
export function assertPublicHost(url: URL): void {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DocumentRejectedError(url.href, `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) throw new DocumentRejectedError(url.href, "credentials in URL");
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (host === "localhost" || host.endsWith(".localhost")) throw new UrlError("Localhost is not allowed");
  if (isIP(host) !== 0 && !isPublicAddress(host)) throw new PrivateAddressError(host, host);
}

/**
 * Refuses URLs a remote party must not make us fetch: `assertPublicHost`,
 * and a host name that resolves to a private or special address. It
 * resolves the name itself, so a connection made afterwards may get another
 * answer: fetches rely on the pinned connection instead
 * (pinned-dispatcher.ts); this is for checks that connect nowhere.
 */
export async function assertPublicUrl(url: URL): Promise<void> {
  assertPublicHost(url);
  await validatePublicUrl(url.href);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    if (!isPublicAddress(address)) throw new PrivateAddressError(host, address);
  }
}

async function checkUrl(url: URL, options: SafeLoaderOptions): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DocumentRejectedError(url.href, `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) throw new DocumentRejectedError(url.href, "credentials in URL");
  if (options.checkAddress) await options.checkAddress(url);
  else if (!options.allowPrivateAddress) assertPublicHost(url);
}

/** How a loader or fetcher connects: pinned and checked, or (with a test's `checkAddress`, which is then the check) pinned only. */
export function connectionsFor(options: { allowPrivateAddress: boolean; checkAddress?: unknown }): Dispatcher {
  return pinnedDispatcher(options.checkAddress !== undefined || options.allowPrivateAddress);
}

export function createSafeDocumentLoader(options: SafeLoaderOptions): DocumentLoader {
  const maxBytes = options.maxBytes ?? FETCH_LIMITS.maxBytes;
  const timeoutMs = options.timeoutMs ?? FETCH_LIMITS.timeoutMs;
  const maxRedirects = options.maxRedirects ?? FETCH_LIMITS.maxRedirects;
  const dispatcher = connectionsFor(options);
  return async (url, loaderOptions): Promise<RemoteDocument> => {
    const preloaded = (preloadedContexts as Record<string, unknown>)[url];
    if (preloaded !== undefined) return { contextUrl: null, document: preloaded, documentUrl: url };
    const cached = options.cache?.get(url) ?? (options.recentActors ? recentActorDocuments.get(url) : undefined);
    if (cached) {
      // As for a fetch: a server blocked since the document was kept is not believed either.
      const kept = new URL(url);
      await options.policy?.(kept);
      await checkUrl(kept, options);
      return cached;
    }
    if (!options.contexts) recentActorDocuments.forget(url);
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (loaderOptions?.signal) signals.push(loaderOptions.signal);
    const signal = AbortSignal.any(signals);
    let current = new URL(url);
    const visited = new Set<string>();
    for (let hop = 0; ; hop++) {
      await options.policy?.(current);
      await checkUrl(current, options);
      const exhausted = spendFetch();
      if (exhausted !== null) throw new DocumentRejectedError(current.href, `more than ${exhausted} remote fetches for one request`);
      visited.add(current.href);
      const headers = new Headers({ accept: options.contexts ? ACCEPT_CONTEXT : ACCEPT_ACTIVITYPUB });
      if (options.userAgent) headers.set("user-agent", options.userAgent);
      let request = new Request(current, { method: "GET", headers, redirect: "manual", signal });
      if (options.signer) request = await signRequest(request, options.signer.privateKey, options.signer.keyId);
      let response: Response;
      try {
        response = await fetchThrough(dispatcher, request, { redirect: "manual", signal });
      } catch (error) {
        // A deadline or a caller's abort stays what it is; anything else is the network (fetch's TypeError).
        if (error instanceof DOMException) throw error;
        const refused = privateAddressRefusal(error);
        if (refused) throw refused;
        throw new FetchError(current, `could not fetch: ${error instanceof Error ? (error.cause ?? error.message) : String(error)}`);
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => {});
        const location = response.headers.get("location");
        if (!location) throw new FetchError(current, `HTTP ${response.status} without Location`);
        if (hop >= maxRedirects) throw new FetchError(current, `more than ${maxRedirects} redirects`);
        const next = new URL(location, current);
        if (visited.has(next.href)) throw new FetchError(current, `redirect loop to ${next.href}`);
        current = next;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        // The status and headers without the body: Fedify keeps a failed key fetch's
        // response (clone() of a cancelled body throws) and would store its body.
        const bodiless = new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
        throw new FetchError(current, `HTTP ${response.status}`, bodiless);
      }
      const contentType = response.headers.get("content-type");
      if (!options.contexts && !isActivityPubMediaType(contentType)) {
        await response.body?.cancel().catch(() => {});
        throw new DocumentRejectedError(current.href, `media type ${JSON.stringify(contentType)} is not an ActivityPub type`);
      }
      const text = await readCapped(response, maxBytes, current.href);
      if (jsonNestsDeeperThan(text)) throw new DocumentRejectedError(current.href, "JSON nested too deeply");
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new DocumentRejectedError(current.href, "not JSON");
      }
      if (typeof document !== "object" || document === null || Array.isArray(document)) {
        throw new DocumentRejectedError(current.href, "not a JSON object");
      }
      const remote: RemoteDocument = { contextUrl: null, document, documentUrl: current.href };
      options.cache?.set(url, remote, text.length);
      if (!options.contexts) recentActorDocuments.set(url, remote, text.length);
      return remote;
    }
  };
}

/** Does a parsed JSON value nest arrays and objects deeper than `maxDepth`? (Iterative.) */
export function valueNestsDeeperThan(value: unknown, maxDepth: number = FETCH_LIMITS.maxDepth): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** What Fedify's loader factories are built from. */
export interface FedifyLoaderOptions {
  allowPrivateAddress: boolean;
  userAgent: string;
  /** The federation policy, as for SafeLoaderOptions. */
  policy?: (url: URL) => Promise<void>;
}

/**
 * Fedify 2.3.8 fetches keys, actors and JSON-LD contexts (for the inbox,
 * before any signature is verified) with loaders that read any media type
 * whole, without a size cap or a timeout, and caches every document and
 * context in the KvStore: a context or key document of 30 MB was read whole
 * (and stored), a server that never finished its body held an inbox request
 * for minutes, and 200 context URLs in one activity made 200 fetches and 200
 * `kv_entries` rows before the request was refused. Its factories cannot be
 * replaced through `createFederation` together with `allowPrivateAddress`,
 * so this replaces them on the federation object with our loader: the same
 * caps as our own fetches, the request's fetch budget, and no KvStore cache
 * (contexts are kept in a small in-memory cache, context-cache.ts; keys in
 * Fedify's key cache, key-cache.ts; the actor documents its key checks fetch
 * for a few minutes, actor-document-cache.ts; actors and objects are stored
 * by our resolver). The authenticated loader signs with the key Fedify hands it
 * (draft-cavage, as our own signed fetches). Fails loudly if a Fedify
 * upgrade renamed them.
 */
export function useSafeLoadersInFedify(federation: object, options: FedifyLoaderOptions): void {
  const target = federation as Record<string, unknown>;
  const base = { allowPrivateAddress: options.allowPrivateAddress, userAgent: options.userAgent, policy: options.policy };
  const contextCache = new ContextCache();
  const factories: Record<(typeof FEDIFY_LOADER_FACTORIES)[number], (...args: never[]) => DocumentLoader> = {
    documentLoaderFactory: () => createSafeDocumentLoader({ ...base, recentActors: true }),
    contextLoaderFactory: () => createSafeDocumentLoader({ ...base, contexts: true, cache: contextCache }),
    authenticatedDocumentLoaderFactory: (identity: { keyId: URL; privateKey: CryptoKey }) =>
      createSafeDocumentLoader({
        ...base,
        signer: { keyId: identity.keyId, privateKey: identity.privateKey },
        recentActors: true,
      }),
  };
  for (const name of FEDIFY_LOADER_FACTORIES) {
    if (typeof target[name] !== "function") throw new TypeError(`Fedify's federation has no ${name}: update federation/loader.ts`);
    target[name] = factories[name];
  }
}

const FEDIFY_LOADER_FACTORIES = ["documentLoaderFactory", "contextLoaderFactory", "authenticatedDocumentLoaderFactory"] as const;
