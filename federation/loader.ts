import {
  type DocumentLoader,
  FetchError,
  preloadedContexts,
  type RemoteDocument,
  signRequest,
  validatePublicUrl,
} from "@fedify/fedify";

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
 * - signs each request with the instance actor's key when given one.
 * Checking that the document's `id` is the id that was asked for happens one
 * level up (`fetchDocument` in remote.ts), after JSON-LD parsing.
 */
export const FETCH_LIMITS = {
  maxBytes: 1024 * 1024,
  timeoutMs: 10_000,
  maxRedirects: 5,
} as const;

export const ACCEPT_ACTIVITYPUB =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

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

async function checkUrl(url: URL, allowPrivateAddress: boolean): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DocumentRejectedError(url.href, `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) throw new DocumentRejectedError(url.href, "credentials in URL");
  if (!allowPrivateAddress) await validatePublicUrl(url.href);
}

export function createSafeDocumentLoader(options: SafeLoaderOptions): DocumentLoader {
  const maxBytes = options.maxBytes ?? FETCH_LIMITS.maxBytes;
  const timeoutMs = options.timeoutMs ?? FETCH_LIMITS.timeoutMs;
  const maxRedirects = options.maxRedirects ?? FETCH_LIMITS.maxRedirects;
  return async (url, loaderOptions): Promise<RemoteDocument> => {
    const preloaded = (preloadedContexts as Record<string, unknown>)[url];
    if (preloaded !== undefined) return { contextUrl: null, document: preloaded, documentUrl: url };
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (loaderOptions?.signal) signals.push(loaderOptions.signal);
    const signal = AbortSignal.any(signals);
    let current = new URL(url);
    const visited = new Set<string>();
    for (let hop = 0; ; hop++) {
      await checkUrl(current, options.allowPrivateAddress);
      visited.add(current.href);
      const headers = new Headers({ accept: ACCEPT_ACTIVITYPUB });
      if (options.userAgent) headers.set("user-agent", options.userAgent);
      let request = new Request(current, { method: "GET", headers, redirect: "manual", signal });
      if (options.signer) request = await signRequest(request, options.signer.privateKey, options.signer.keyId);
      const response = await fetch(request, { redirect: "manual", signal });
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
        throw new FetchError(current, `HTTP ${response.status}`, response);
      }
      const contentType = response.headers.get("content-type");
      if (!isActivityPubMediaType(contentType)) {
        await response.body?.cancel().catch(() => {});
        throw new DocumentRejectedError(current.href, `media type ${JSON.stringify(contentType)} is not an ActivityPub type`);
      }
      const text = await readCapped(response, maxBytes, current.href);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new DocumentRejectedError(current.href, "not JSON");
      }
      if (typeof document !== "object" || document === null || Array.isArray(document)) {
        throw new DocumentRejectedError(current.href, "not a JSON object");
      }
      return { contextUrl: null, document, documentUrl: current.href };
    }
  };
}
