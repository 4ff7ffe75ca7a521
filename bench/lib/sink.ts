import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";
import { hostCertificates } from "./host-certs.ts";

/** Loopback addresses in the benchmarks' certificate for simulated remote instances. */
export const MAX_SINK_HOSTS = 1000;

/** The i-th remote instance's address (0 <= i < 1000): 127.100.0.1 ... 127.100.3.250. */
export function sinkHost(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_SINK_HOSTS) throw new Error(`sink host ${i} is outside 0..${MAX_SINK_HOSTS - 1}`);
  return `127.100.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export interface SinkRequest {
  method: string;
  /** https://<host><path> */
  url: string;
  headers: Headers;
  body: Buffer;
}

export interface SinkAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Sink {
  hosts: string[];
  close(): Promise<void>;
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(", "));
  }
  return headers;
}

/**
 * Remote instances on loopback: ONE HTTP server (one handler) answering on
 * port 443 of `count` addresses, each address a host of its own to Plein (its
 * own origin, connection pool and TLS session) with a certificate of its own.
 * Each address's listener wraps its connections in TLS with that address's
 * certificate and hands them to the one server.
 */
export async function startSink(count: number, handle: (request: SinkRequest) => Promise<SinkAnswer> | SinkAnswer): Promise<Sink> {
  const hosts = Array.from({ length: count }, (_, i) => sinkHost(i));
  const certificates = await hostCertificates(hosts);
  const https: HttpServer = createHttpServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: SinkRequest = {
        method: req.method ?? "GET",
        url: `https://${req.headers.host ?? "unknown"}${req.url ?? "/"}`,
        headers: headersOf(req),
        body: Buffer.concat(chunks),
      };
      Promise.resolve(handle(request)).then((answer) => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? "");
      }, (error: unknown) => {
        process.stderr.write(`sink: ${String(error)}\n`);
        res.writeHead(500).end();
      });
    });
  });
  const listeners: NetServer[] = [];
  try {
    for (const host of hosts) {
      const secureContext = createSecureContext(certificates.get(host)!);
      const listener = createNetServer((socket) => {
        const tls = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ["http/1.1"] });
        tls.on("error", () => tls.destroy());
        https.emit("connection", tls);
      });
      await new Promise<void>((resolve, reject) => {
        listener.once("error", reject);
        listener.listen({ host, port: 443, exclusive: true }, () => resolve());
      });
      listeners.push(listener);
    }
  } catch (error) {
    for (const l of listeners) l.close();
    throw new Error(`Cannot listen on the sink addresses (another benchmark running?): ${String(error)}`, { cause: error });
  }
  return {
    hosts,
    async close() {
      for (const l of listeners) l.close();
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    },
  };
}
