/**
 * Browser apps (Elk, Phanpy) call the client API from their own origin: the
 * API answers every origin, as Mastodon does, without credentials (a bearer
 * token is sent by the app, never a cookie), and lets them read the headers
 * they page and back off by.
 */
import type { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../context.ts";
import { rateLimit } from "../http/rate-limit.ts";

export function mountBrowserClientAccess(app: Hono<AppEnv>): void {
  app.use("/api/*", cors({
    origin: "*",
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
    exposeHeaders: ["Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id"],
    maxAge: 86400,
  }));
}

/**
 * The public discovery documents (nodeinfo, WebFinger, host-meta and the
 * OAuth metadata under /.well-known) are readable from any origin, as on
 * Mastodon: Phanpy reads nodeinfo to learn what server it talks to. Mounted
 * before federation, which answers most of them.
 */
export const discoveryCors = cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], maxAge: 86400 });

/** Mastodon's rate limits on the client API (src/http/rate-limit.ts), sized by PLEIN_RATE_LIMIT. */
export function mountRateLimits(app: Hono<AppEnv>): void {
  let limiter: ReturnType<typeof rateLimit> | undefined;
  app.use("/api/*", async (c, next) => {
    limiter ??= rateLimit(c.get("deps").config.rateLimit);
    return limiter(c, next);
  });
}
