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
    return federation.fetch(c.req.raw, {
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
  };
}
