import type { MiddlewareHandler } from "hono";

/**
 * U+0000 has no place in any text Plein reads, and PostgreSQL cannot store it
 * in text columns: a request URL that carries it (`%00`, in the path or the
 * query) is refused before any route sees it. Bodies are checked where they
 * are parsed (src/api/mastodon/params.ts).
 */
export const refuseNulInUrl: MiddlewareHandler = async (c, next) => {
  if (/%00/i.test(c.req.url)) return c.json({ error: "The request URL contains a NUL character (%00)" }, 400);
  await next();
};
