/**
 * Rate limits of the client API, as Mastodon counts them: requests per token
 * (or, without one, per address) in a fixed five-minute window, and a
 * stricter one for registering apps. Counted in this process only (several
 * web processes each allow the limit). Every answer says where the caller
 * stands (X-RateLimit-Limit, -Remaining, -Reset); over the limit, 429.
 */
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { clientAddress } from "./client-address.ts";

export const WINDOW_MS = 5 * 60 * 1000;
/** Mastodon's limit for app registrations per address: 5 in 10 minutes. */
export const APP_REGISTRATIONS = { limit: 5, windowMs: 10 * 60 * 1000 } as const;
const MAX_ENTRIES = 100_000;

interface Window {
  count: number;
  resetAt: number;
}

export class FixedWindows {
  readonly #windows = new Map<string, Window>();

  /** The current window of `key`, if one is open. */
  peek(key: string, now = Date.now()): Window | undefined {
    const w = this.#windows.get(key);
    return w && w.resetAt > now ? w : undefined;
  }

  /** Forgets `key`'s window. */
  reset(key: string): void {
    this.#windows.delete(key);
  }

  /** Counts one request of `key`; the window it fell in. */
  hit(key: string, windowMs: number, now = Date.now()): Window {
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.#windows.size >= MAX_ENTRIES) this.#prune(now);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return w;
  }

  #prune(now: number): void {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
    // Still full (very many tokens or addresses at once): forget the oldest.
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < MAX_ENTRIES / 2) break;
      this.#windows.delete(key);
    }
  }
}

/** Whose requests count together: a token's digest (never the token itself), else the address. */
function callerKey(authorization: string | undefined, address: string): string {
  const token = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return token ? `t:${createHash("sha256").update(token).digest("base64url")}` : `a:${address}`;
}

/** `limit` requests per caller in five minutes (0: no limit); app registrations stricter, per address. */
export function rateLimit(limit: number): MiddlewareHandler {
  const windows = new FixedWindows();
  return async (c, next) => {
    if (limit === 0 || c.req.method === "OPTIONS") return next();
    const address = clientAddress(c);
    const registering = c.req.method === "POST" && /^\/api\/v1\/apps\/?$/.test(c.req.path);
    const [max, w] = registering
      ? [APP_REGISTRATIONS.limit, windows.hit(`apps:${address}`, APP_REGISTRATIONS.windowMs)]
      : [limit, windows.hit(callerKey(c.req.header("authorization"), address), WINDOW_MS)];
    const headers = {
      "X-RateLimit-Limit": String(max),
      "X-RateLimit-Remaining": String(Math.max(0, max - w.count)),
      "X-RateLimit-Reset": new Date(w.resetAt).toISOString(),
    };
    if (w.count > max) {
      return c.json({ error: "Too many requests" }, 429, { ...headers, "Retry-After": String(Math.ceil((w.resetAt - Date.now()) / 1000)) });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
