import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { getLogger } from "@logtape/logtape";
import { DomainError, type DomainErrorKind } from "../domain/errors.ts";

const logger = getLogger(["plein", "http"]);

export const statusOf: Record<DomainErrorKind, 400 | 401 | 403 | 404 | 409 | 410 | 422> = {
  invalid: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
};

/** Every error leaves as Mastodon-shaped JSON `{ "error": "..." }`; no stack traces. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof DomainError) return c.json({ error: err.message }, statusOf[err.kind]);
  if (err instanceof HTTPException) {
    return c.json({ error: err.message || "Request failed" }, err.status);
  }
  if (err instanceof SyntaxError) return c.json({ error: "Malformed request body" }, 400);
  logger.error("Unhandled error on {method} {path}: {error}", { method: c.req.method, path: c.req.path, error: err });
  return c.json({ error: "Internal server error" }, 500);
}

export function notFoundHandler(c: Context): Response {
  return c.json({ error: "Record not found" }, 404);
}
