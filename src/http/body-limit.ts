import { bodyLimit } from "hono/body-limit";

export const MAX_BODY_BYTES = 1024 * 1024;

/** 413 before anything parses a body over 1 MiB, with or without Content-Length. */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => c.json({ error: "Request body is larger than 1 MiB" }, 413),
});
