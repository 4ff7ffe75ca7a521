import { type Federation, UrlError } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import type { AppContext } from "../src/context.ts";
import { withFetchBudget, withoutFetchBudget } from "./fetch-budget.ts";
import { DocumentRejectedError, FETCH_LIMITS } from "./loader.ts";
import { isMarkedPrivate } from "./private-answers.ts";
import { cachedResponse, type DocumentCache, documentKey, isCachedPath } from "./document-cache.ts";

const logger = getLogger(["plein", "federation", "http"]);

/**
 * A JSON-LD remote context named by an inbox body could not be loaded while
 * Fedify parsed it (before any signature check). Fedify rethrows this as
 * "transient" so the sender retries. Returns null for any other error.
 */
function remoteContextFailure(error: unknown): { url: string; refused: boolean } | null {
  if (!(error instanceof Error) || error.name !== "jsonld.InvalidUrl") return null;
  const details = (error as Error & { details?: { code?: unknown; url?: unknown; cause?: unknown } }).details;
  if (details?.code !== "loading remote context failed") return null;
  return { url: String(details.url), refused: details.cause instanceof UrlError || details.cause instanceof DocumentRejectedError };
}

/**
 * jsonld refuses more than 10 context URLs in one resolution, or a cycle of
 * them ("context overflow"); Fedify does not count it as bad input (a 500).
 */
function isContextOverflow(error: unknown): boolean {
  return error instanceof Error && error.name === "jsonld.ContextUrlError";
}

function jsonError(status: number, error: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error }), { status, headers: { "content-type": "application/json", ...headers } });
}

/**
 * Hands each request to Fedify first. What Fedify does not serve (404) falls
 * through to the Hono routes; a Fedify route asked for HTML also falls through
 * (web pages), and answers 406 only if no Hono route takes it.
 */
export function federationMiddleware(federation: Federation<AppContext>, data: AppContext, cache?: DocumentCache): MiddlewareHandler {
  return async (c, next) => {
    const signed = c.req.raw.headers.has("signature") || c.req.raw.headers.has("signature-input");
    // Unsigned GETs of public documents are answered from memory (document-cache.ts).
    const cacheable = cache !== undefined && !signed && c.req.method === "GET" && !c.req.raw.headers.has("authorization")
      && isCachedPath(new URL(c.req.url).pathname);
    const key = cacheable ? documentKey(c.req.raw) : "";
    const generation = cache?.generation ?? 0;
    if (cacheable) {
      const hit = cache.get(key);
      if (hit) return cachedResponse(hit, false);
    }
    let response: Response;
    try {
      // Everything Fedify fetches for this request (contexts, keys, actors) shares one budget;
      // the Hono routes it falls through to are not Fedify's work and get none.
      response = await withFetchBudget(FETCH_LIMITS.maxFetchesPerRequest, () => federation.fetch(c.req.raw, {
        contextData: data,
        onNotFound: () => withoutFetchBudget(async () => {
          await next();
          return c.res;
        }),
        onNotAcceptable: () => withoutFetchBudget(async () => {
          await next();
          if (c.res.status !== 404) return c.res;
          return new Response(JSON.stringify({ error: "Not acceptable" }), {
            status: 406,
            headers: { "content-type": "application/json", vary: "Accept" },
          });
        }),
      }));
    } catch (error) {
      if (isContextOverflow(error)) {
        logger.info("An inbox body names too many JSON-LD context URLs, or a cycle of them");
        return jsonError(400, "Invalid activity: too many or cyclic JSON-LD context URLs");
      }
      const failure = remoteContextFailure(error);
      if (!failure) throw error;
      // A context on a private address, of another scheme, too large, nested too deeply or over the
      // request's fetch budget is refused for good (4xx).
      // One whose server could not be reached may load later: the sender should retry (503).
      logger.info("An inbox body names a JSON-LD context that could not be loaded: {url}", { url: failure.url });
      return failure.refused
        ? jsonError(400, "Invalid activity: its JSON-LD context may not be loaded")
        : jsonError(503, "A JSON-LD context the activity names could not be loaded; try again later", { "retry-after": "600" });
    }
    const type = response.headers.get("content-type") ?? "";
    if (/application\/(activity|ld)\+json/.test(type) && !response.headers.has("cache-control")) {
      // What a signed request sees depends on who signed it, and closed content is nobody's to
      // share (private-answers.ts): never share either through caches.
      const personal = signed || isMarkedPrivate(c.req.raw);
      const headers = new Headers(response.headers);
      headers.set("Cache-Control", personal ? "private, no-store" : "public, max-age=60");
      headers.append("Vary", personal ? "Accept, Signature, Signature-Input" : "Accept");
      if (cacheable && !personal && response.status === 200) {
        const body = await response.text();
        cache.set(key, generation, { status: response.status, headers: [...headers], body });
        return new Response(body, { status: response.status, statusText: response.statusText, headers });
      }
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }
    if (cacheable && response.status === 200 && /^application\/jrd\+json/.test(type)) {
      // WebFinger: the same answer for anyone (a secret group is not found at all).
      const body = await response.text();
      cache.set(key, generation, { status: response.status, headers: [...response.headers], body });
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  };
}
