import { IncomingMessage } from "node:http";
import type { Context } from "hono";

// A loopback or private peer is taken to be the reverse proxy in front of Plein.
const PROXY_PEER = /^(?:::ffff:)?(?:127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)|^::1$|^f[cd][0-9a-f]{2}:/i;

/**
 * Who is calling, for per-address limits: the peer's address, or,
 * when the peer is a proxy on loopback or a private network, the last
 * X-Forwarded-For entry (the one that proxy added; earlier ones are the
 * client's to invent). Without this, every person behind the proxy would
 * share one count. "unknown" when served without a socket (tests through app.request).
 */
export function clientAddress(c: Context): string {
  const env: unknown = c.env;
  if (!(typeof env === "object" && env !== null && "incoming" in env && env.incoming instanceof IncomingMessage)) return "unknown";
  const peer = env.incoming.socket.remoteAddress ?? "unknown";
  if (PROXY_PEER.test(peer)) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return peer;
}
