/**
 * The streaming API over WebSocket at `/api/v1/streaming`: the stream named
 * in the query (`stream`, `tag`, `list`) and any the client subscribes to with
 * `{"type":"subscribe","stream":"hashtag","tag":"x"}` (or unsubscribes from);
 * each event as `{"stream":[...],"event":"update","payload":"<JSON>"}`,
 * errors as `{"error":"...","status":400}`. Node has no WebSocket server,
 * so the `ws` package takes the HTTP server's upgrade requests.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { STATUS_CODES } from "node:http";
import { getLogger } from "@logtape/logtape";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { AppContext } from "../../context.ts";
import { type Access, accessOf, INVALID_TOKEN, ownerRefusalFor, refusalFor, tokenOf } from "./access.ts";
import { stillAuthorized, type StreamClient, streamHub, subscribe, unsubscribe } from "./hub.ts";
import { HEARTBEAT_MS } from "./sse.ts";
import { isRefusal, parseStream, type StreamRefusal, type StreamRequest } from "./streams.ts";

const logger = getLogger(["plein", "api", "streaming"]);

const PATHS = new Set(["/api/v1/streaming", "/api/v1/streaming/"]);
/** A client message is a small JSON object. */
const MAX_MESSAGE_BYTES = 4096;
/**
 * Client messages waiting to be handled, at most (each at most
 * MAX_MESSAGE_BYTES, so a few MiB): a client that sends faster than they are
 * handled is let go.
 */
const MAX_PENDING_MESSAGES = 1000;
/** Streams one connection may hold at once. */
const MAX_SUBSCRIPTIONS = 100;
/** A client that lets this much pile up unread is let go. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface StreamingUpgrades {
  /** Takes an upgrade request; false when it is not for the streaming API (someone else's to answer). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Stops taking upgrades and waits (until the deadline, then cuts them)
   * for the connections to finish closing; the hub has asked them to.
   */
  close(deadlineMs: number): Promise<void>;
}

export function streamingUpgrades(deps: AppContext): StreamingUpgrades {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, clientTracking: true });
  const hub = streamHub(deps);

  const refuse = (socket: Duplex, refusal: StreamRefusal) => {
    const body = JSON.stringify({ error: refusal.error });
    socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const access = await accessOf(deps.db, tokenOf({
      query: url.searchParams.get("access_token"),
      authorization: header("authorization"),
      protocol: header("sec-websocket-protocol"),
    }));
    if (!access) return refuse(socket, INVALID_TOKEN);
    let first: StreamRequest | undefined;
    if (url.searchParams.has("stream")) {
      const stream = parseStream(url.searchParams.get("stream"), { tag: url.searchParams.get("tag"), list: url.searchParams.get("list") });
      if (isRefusal(stream)) return refuse(socket, stream);
      const refusal = refusalFor(access, stream) ?? await ownerRefusalFor(deps.db, access, stream);
      if (refusal) return refuse(socket, refusal);
      first = stream;
    }
    wss.handleUpgrade(req, socket, head, (ws) => connected(ws, access, first));
  };

  const connected = (ws: WebSocket, access: Access, first: StreamRequest | undefined) => {
    const client: StreamClient = {
      ...access,
      subscriptions: new Map(),
      send: (stream, event, payload) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.terminate();
          return;
        }
        ws.send(JSON.stringify({ stream, event, payload }));
      },
      close: (reason = "revoked") => reason === "going-away" ? ws.close(1001, "Server shutting down") : ws.close(1008, "Access token revoked"),
    };
    if (first) subscribe(client, first);
    hub.add(client);
    let alive = true;
    ws.on("pong", () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
      stillAuthorized(deps.db, client).catch((error: unknown) => logger.warn("Cannot check a streaming token: {error}", { error }));
    }, HEARTBEAT_MS);
    // Messages are handled one after another, in the order they came (a list subscription asks the database).
    let handled: Promise<void> = Promise.resolve();
    let pending = 0;
    ws.on("message", (data, isBinary) => {
      if (++pending > MAX_PENDING_MESSAGES) {
        ws.terminate();
        return;
      }
      handled = handled.then(async () => {
        const answer = isBinary ? { error: "Messages are JSON text", status: 400 } : await handleMessage(deps, client, data);
        if (answer && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(answer));
      }).catch((error: unknown) => logger.error("Streaming message failed: {error}", { error }))
        .finally(() => pending--);
    });
    ws.on("error", (error) => logger.debug("Streaming connection failed: {error}", { error }));
    ws.on("close", () => {
      clearInterval(heartbeat);
      hub.remove(client);
    });
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://streaming.invalid");
      if (!PATHS.has(url.pathname)) return false;
      socket.on("error", () => socket.destroy());
      accept(req, socket, head, url).catch((error: unknown) => {
        logger.error("Streaming upgrade failed: {error}", { error });
        socket.destroy();
      });
      return true;
    },
    async close(deadlineMs) {
      wss.close();
      const closing = [...wss.clients].map((ws) => new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) resolve();
        else ws.once("close", () => resolve());
      }));
      const deadline = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, deadlineMs);
      await Promise.all(closing);
      clearTimeout(deadline);
    },
  };
}

/** Subscribes or unsubscribes as a client message asks; the error to send back, if any. */
async function handleMessage(deps: AppContext, client: StreamClient, data: RawData): Promise<StreamRefusal | undefined> {
  let message: unknown;
  try {
    message = JSON.parse(data.toString());
  } catch (error) {
    if (error instanceof SyntaxError) return { error: "Messages are JSON objects", status: 400 };
    throw error;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return { error: "Messages are JSON objects", status: 400 };
  const m = message as Record<string, unknown>;
  if (m.type !== "subscribe" && m.type !== "unsubscribe") return { error: "Unknown message type", status: 400 };
  const stream = parseStream(m.stream, { tag: m.tag, list: m.list });
  if (isRefusal(stream)) return stream;
  if (m.type === "unsubscribe") {
    unsubscribe(client, stream);
    return undefined;
  }
  const refusal = refusalFor(client, stream) ?? await ownerRefusalFor(deps.db, client, stream);
  if (refusal) return refusal;
  if (client.subscriptions.size >= MAX_SUBSCRIPTIONS) return { error: "Too many subscriptions", status: 400 };
  subscribe(client, stream);
  return undefined;
}
