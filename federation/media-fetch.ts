/**
 * Fetching another server's files for our members (a file in a closed group
 * on another server, downloaded through this one). Like the document loader
 * (federation/loader.ts), and for the same reasons (SECURITY.md, SSRF): every
 * hop's address is checked before anything is sent to it (a host name as it
 * is connected to: federation/pinned-dispatcher.ts), redirects are
 * capped and followed by hand, and there are deadlines. Unlike it, any media
 * type is accepted (the caller serves the bytes by its own rules), the body
 * is streamed rather than parsed, and its cap is the caller's.
 */
import { signRequest, UrlError } from "@fedify/fedify";
import { type RemoteMedia, RemoteMediaError } from "../src/domain/resolver.ts";
import { assertPublicHost, connectionsFor, DocumentRejectedError, FETCH_LIMITS } from "./loader.ts";
import { fetchThrough, privateAddressRefusal } from "./pinned-dispatcher.ts";

export const MEDIA_FETCH_LIMITS = {
  /** until the response's headers arrive */
  headersTimeoutMs: FETCH_LIMITS.timeoutMs,
  /** for the whole body */
  totalTimeoutMs: 120_000,
  maxRedirects: FETCH_LIMITS.maxRedirects,
} as const;

export interface MediaFetcherOptions {
  allowPrivateAddress: boolean;
  userAgent?: string;
  /** signs GETs to `signedOrigin` with this RSA key (draft-cavage HTTP Signatures) */
  signer?: { keyId: URL; privateKey: CryptoKey };
  /** Replaces the address check of every hop, the connection's included (tests only, as in loader.ts). */
  checkAddress?: (url: URL) => Promise<void>;
  /**
   * The federation policy (federation/policy.ts `policyCheck`), asked before
   * each hop: a file on a blocked server is never fetched, whoever names it.
   */
  policy?: (url: URL) => Promise<void>;
}

export type MediaFetcher = (url: string, options: { maxBytes: number; signedOrigin?: string }) => Promise<RemoteMedia>;

function isDnsFailure(error: unknown): boolean {
  return error instanceof Error && "code" in error && typeof error.code === "string"
    && ["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "ENODATA", "ESERVFAIL"].includes(error.code);
}

async function checkHop(url: URL, options: MediaFetcherOptions): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new RemoteMediaError(`${url.href}: scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw new RemoteMediaError(`${url.href}: credentials in URL`);
  try {
    await options.policy?.(url);
    if (options.checkAddress) await options.checkAddress(url);
    else if (!options.allowPrivateAddress) assertPublicHost(url);
  } catch (error) {
    if (error instanceof UrlError || error instanceof DocumentRejectedError || isDnsFailure(error)) {
      throw new RemoteMediaError(`${url.href}: ${error instanceof Error ? error.message : String(error)}`);
    }
    throw error;
  }
}

/** Passes at most `maxBytes` through; past that the stream fails (and the source is cancelled). */
function capped(body: ReadableStream<Uint8Array>, maxBytes: number, url: string): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) {
        controller.error(new RemoteMediaError(`${url}: larger than ${maxBytes} bytes`));
        return;
      }
      controller.enqueue(chunk);
    },
  }));
}

export function createMediaFetcher(options: MediaFetcherOptions): MediaFetcher {
  const dispatcher = connectionsFor(options);
  return async (url, { maxBytes, signedOrigin }) => {
    if (!URL.canParse(url)) throw new RemoteMediaError(`${url}: not a URL`);
    let current = new URL(url);
    const total = AbortSignal.timeout(MEDIA_FETCH_LIMITS.totalTimeoutMs);
    const visited = new Set<string>();
    for (let hop = 0; ; hop++) {
      await checkHop(current, options);
      visited.add(current.href);
      const untilHeaders = new AbortController();
      const timer = setTimeout(() => untilHeaders.abort(new DOMException("no answer in time", "TimeoutError")), MEDIA_FETCH_LIMITS.headersTimeoutMs);
      const signal = AbortSignal.any([total, untilHeaders.signal]);
      const headers = new Headers({ accept: "*/*" });
      if (options.userAgent) headers.set("user-agent", options.userAgent);
      let request = new Request(current, { method: "GET", headers, redirect: "manual", signal });
      if (options.signer && signedOrigin !== undefined && current.origin === signedOrigin) {
        request = await signRequest(request, options.signer.privateKey, options.signer.keyId);
      }
      let response: Response;
      try {
        response = await fetchThrough(dispatcher, request, { redirect: "manual", signal });
      } catch (error) {
        const refused = privateAddressRefusal(error);
        if (refused) throw new RemoteMediaError(`${current.href}: ${refused.message}`);
        if (error instanceof TypeError || error instanceof DOMException) {
          throw new RemoteMediaError(`${current.href}: could not fetch (${error instanceof DOMException ? error.name : String(error.cause ?? error.message)})`);
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => {});
        const location = response.headers.get("location");
        if (!location || !URL.canParse(location, current)) throw new RemoteMediaError(`${current.href}: HTTP ${response.status} without a usable Location`);
        if (hop >= MEDIA_FETCH_LIMITS.maxRedirects) throw new RemoteMediaError(`${current.href}: more than ${MEDIA_FETCH_LIMITS.maxRedirects} redirects`);
        const next = new URL(location, current);
        if (visited.has(next.href)) throw new RemoteMediaError(`${current.href}: redirect loop to ${next.href}`);
        current = next;
        continue;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw new RemoteMediaError(`${current.href}: HTTP ${response.status}`);
      }
      const declared = response.headers.get("content-length");
      const size = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
      if (size !== null && size > maxBytes) {
        await response.body.cancel().catch(() => {});
        throw new RemoteMediaError(`${current.href}: larger than ${maxBytes} bytes`);
      }
      return { contentType: response.headers.get("content-type"), size, body: capped(response.body, maxBytes, current.href) };
    }
  };
}
