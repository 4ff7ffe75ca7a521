/** A WebSocket client of Mastodon's streaming API for tests (the `ws` package's client). */
import WebSocket from "ws";
import { waitFor } from "./instances.ts";

export interface StreamMessage {
  stream?: string[];
  event?: string;
  payload?: string;
  error?: string;
  status?: number;
}

/** A WebSocket client of the streaming API that keeps every message it got. */
export interface StreamSocket {
  messages: StreamMessage[];
  send(message: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Waits for a message matching `match` (among all received so far) and returns it. */
  next(match: (m: StreamMessage) => boolean, what: string): Promise<StreamMessage>;
  /** Every message is handled in order: once the answer to a bad subscribe arrives, all sent before it were handled. */
  barrier(): Promise<void>;
  /** the server ended the connection (or we did) */
  readonly closed: boolean;
  close(): void;
}

function wsUrl(origin: string, query: Record<string, string>): string {
  const url = new URL("/api/v1/streaming", origin.replace(/^https:/, "wss:"));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.href;
}

/** Opens a WebSocket; resolves once open, or rejects with the HTTP status of a refused upgrade. */
export function openStreamSocket(origin: string, query: Record<string, string>, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<StreamSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(origin, query), options.protocols ?? [], { headers: options.headers ?? {} });
    const messages: StreamMessage[] = [];
    let barriers = 0;
    ws.on("message", (data) => messages.push(JSON.parse(data.toString()) as StreamMessage));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
    });
    ws.on("error", reject);
    ws.on("open", () => {
      const socket: StreamSocket = {
        messages,
        send: (message) => ws.send(JSON.stringify(message)),
        sendRaw: (data) => ws.send(data),
        next: (match, what) => waitFor(() => messages.find(match), { message: what }),
        async barrier() {
          const tag = `barrier${++barriers}x`;
          const before = messages.filter((m) => m.error === "Unknown stream type").length;
          ws.send(JSON.stringify({ type: "subscribe", stream: "no-such-stream", tag }));
          await waitFor(() => messages.filter((m) => m.error === "Unknown stream type").length > before, { message: "barrier" });
        },
        get closed() {
          return ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING;
        },
        close: () => ws.close(),
      };
      resolve(socket);
    });
  });
}

