import type { MiddlewareHandler } from "hono";

/**
 * Headers every response carries; pages may tighten the CSP further.
 * HSTS follows the public origin, not the request: behind a proxy that
 * terminates TLS, Plein itself is spoken to over plain HTTP.
 */
export function securityHeaders(origin: URL): MiddlewareHandler {
  const https = origin.protocol === "https:";
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "same-origin");
    h.set("X-Frame-Options", "DENY");
    if (!h.has("Content-Security-Policy")) {
      h.set("Content-Security-Policy",
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    }
    if (https) h.set("Strict-Transport-Security", "max-age=31536000");
  };
}
