import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../config.ts";
import type { AppEnv } from "../context.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** A route that takes bodies larger than MAX_BODY_BYTES (an upload), and how large. */
export interface LargeBodyRoute {
  method: string;
  /** Hono-style path: `/api/plein/v1/groups/:id/files` (a `:name` segment matches one non-empty segment; `@:name` one that starts with @) */
  path: string;
  maxBytes(config: Config): number;
}

interface CompiledRoute {
  key: string;
  method: string;
  pattern: RegExp;
  maxBytes(config: Config): number;
}

const largeBodyRoutes = new Map<string, CompiledRoute>();

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `:name` matches one non-empty segment; a literal before it stays (`/@:handle/files`: a handle with its @). */
function compile(path: string): RegExp {
  const segments = path.split("/").map((s) => {
    const param = s.indexOf(":");
    return param === -1 ? escape(s) : `${escape(s.slice(0, param))}[^/]+`;
  });
  return new RegExp(`^${segments.join("/")}$`);
}

/**
 * Lets one route take larger bodies than every other (file uploads). Call
 * it before the app serves (when a router is mounted); registering the same
 * method and path again replaces the earlier entry.
 */
export function allowLargeBody(route: LargeBodyRoute): void {
  const method = route.method.toUpperCase();
  const key = `${method} ${route.path}`;
  largeBodyRoutes.set(key, { key, method, pattern: compile(route.path), maxBytes: route.maxBytes });
}

function limitFor(method: string, path: string, config: Config): number {
  for (const route of largeBodyRoutes.values()) {
    if (route.method === method && route.pattern.test(path)) return route.maxBytes(config);
  }
  return MAX_BODY_BYTES;
}

function tooLarge(maxBytes: number): string {
  return maxBytes % (1024 * 1024) === 0 ? `${maxBytes / (1024 * 1024)} MiB` : `${maxBytes} bytes`;
}

/**
 * 413 before anything parses a body over 1 MiB, with or without Content-Length;
 * routes registered with `allowLargeBody` have their own limit instead.
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxSize = limitFor(c.req.method, c.req.path, c.get("deps").config);
  return bodyLimit({
    maxSize,
    onError: (ctx) => ctx.json({ error: `Request body is larger than ${tooLarge(maxSize)}` }, 413),
  })(c, next);
};
