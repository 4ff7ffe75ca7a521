import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import type { AppContext } from "./context.ts";

/**
 * Hands each request to Fedify first. What Fedify does not serve (404) falls
 * through to the Hono routes; a Fedify route asked for HTML also falls through
 * (web pages), and answers 406 only if no Hono route takes it.
 */
export function federationMiddleware(federation: Federation<AppContext>, data: AppContext): MiddlewareHandler {
  return async (c, next) => {
    const signed = c.req.raw.headers.has("signature") || c.req.raw.headers.has("signature-input");
    const response = await federation.fetch(c.req.raw, {
      contextData: data,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        if (c.res.status !== 404) return c.res;
        return new Response(JSON.stringify({ error: "Not acceptable" }), {
          status: 406,
          headers: { "content-type": "application/json", vary: "Accept" },
        });
      },
    });
    const type = response.headers.get("content-type") ?? "";
    if (/application\/(activity|ld)\+json/.test(type) && !response.headers.has("cache-control")) {
      // What a signed request sees depends on who signed it: never share it through caches.
      const headers = new Headers(response.headers);
      headers.set("Cache-Control", signed ? "private, no-store" : "public, max-age=60");
      headers.append("Vary", signed ? "Accept, Signature, Signature-Input" : "Accept");
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }
    return response;
  };
}
