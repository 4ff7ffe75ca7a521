/**
 * The streaming API over HTTP: `GET /api/v1/streaming/health` and one
 * Server-Sent Events endpoint per stream (Mastodon's paths), each event as
 * `event: <name>` and `data: <payload>`, a `:thump` comment line as heartbeat.
 */
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../../context.ts";
import { accessOf, INVALID_TOKEN, ownerRefusalFor, refusalFor, tokenOf } from "./access.ts";
import { stillAuthorized, type StreamClient, streamHub, subscribe } from "./hub.ts";
import { isRefusal, parseStream } from "./streams.ts";

const logger = getLogger(["plein", "api", "streaming"]);

/** How often an idle connection is shown to be alive (Mastodon: 15 s). */
export const HEARTBEAT_MS = 15_000;
/** A client that lets this many events pile up unread is let go. */
const MAX_PENDING_WRITES = 1000;

const PATHS: Record<string, string> = {
  "/user": "user",
  "/user/notification": "user:notification",
  "/public": "public",
  "/public/local": "public:local",
  "/public/remote": "public:remote",
  "/hashtag": "hashtag",
  "/hashtag/local": "hashtag:local",
  "/list": "list",
};

export function mountStreamingHttp(app: Hono<AppEnv>): void {
  const r = new Hono<AppEnv>();
  r.get("/health", (c) => c.text("OK"));
  for (const [path, name] of Object.entries(PATHS)) {
    r.get(path, async (c) => {
      const deps = c.get("deps");
      const stream = parseStream(name, { tag: c.req.query("tag"), list: c.req.query("list") });
      if (isRefusal(stream)) return c.json({ error: stream.error }, stream.status);
      const access = await accessOf(deps.db, tokenOf({ query: c.req.query("access_token"), authorization: c.req.header("authorization") }));
      if (!access) return c.json({ error: INVALID_TOKEN.error }, INVALID_TOKEN.status);
      const refusal = refusalFor(access, stream) ?? await ownerRefusalFor(deps.db, access, stream);
      if (refusal) return c.json({ error: refusal.error }, refusal.status);
      const hub = streamHub(deps);
      return streamSSE(c, async (sse) => {
        let pending = 0;
        const write = (text: string) => {
          if (sse.aborted || sse.closed) return;
          if (++pending > MAX_PENDING_WRITES) {
            sse.abort();
            return;
          }
          sse.write(text).then(() => pending--, () => sse.abort());
        };
        const client: StreamClient = {
          ...access,
          subscriptions: new Map(),
          send: (_stream, event, payload) => write(`event: ${event}\ndata: ${payload}\n\n`),
          close: () => sse.abort(),
        };
        subscribe(client, stream);
        hub.add(client);
        const heartbeat = setInterval(() => {
          write(":thump\n\n");
          stillAuthorized(deps.db, client).catch((error: unknown) => logger.warn("Cannot check a streaming token: {error}", { error }));
        }, HEARTBEAT_MS);
        write(":)\n\n");
        await new Promise<void>((resolve) => sse.onAbort(resolve));
        clearInterval(heartbeat);
        hub.remove(client);
      });
    });
  }
  app.route("/api/v1/streaming", r);
}
