/**
 * The inbox benchmark's baseline: a bare Fedify 2 federation (createFederation,
 * in-memory KV and queue) whose shared inbox takes `Create`s, and whose
 * listener reads each one's object and counts the Notes. HTTPS on 443 with the
 * benchmarks' certificate, plain node:https. No database, nothing stored: what
 * Fedify itself costs to accept an activity (check its signature, fetch a new
 * actor's key once, parse it, queue it) and to hand it to a listener. Run by
 * bench/inbox.ts in a process of its own: `node bench/lib/bare-fedify-inbox.ts`
 * with HOST; `GET /handled` answers how many Notes the listener has seen.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createFederation, InProcessMessageQueue, MemoryKvStore } from "@fedify/fedify";
import { Create, Note } from "@fedify/vocab";
import { installTemporal } from "../../src/temporal.ts";
import { BENCH_TLS } from "./server.ts";

installTemporal();

const host = process.env.HOST ?? "127.0.9.2";
const origin = `https://${host}`;
let handled = 0;

const federation = createFederation<void>({ kv: new MemoryKvStore(), queue: new InProcessMessageQueue(), allowPrivateAddress: true });
federation.setActorDispatcher("/users/{identifier}", () => null);
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox").on(Create, async (_ctx, create) => {
  if (await create.getObject() instanceof Note) handled++;
});

const server = createServer({ cert: readFileSync(BENCH_TLS.cert), key: readFileSync(BENCH_TLS.key), keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.url === "/healthz" || req.url === "/handled") {
    res.writeHead(200).end(req.url === "/handled" ? String(handled) : "ok");
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", async () => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const body = req.method === "POST" ? Buffer.concat(chunks) : undefined;
    const response = await federation.fetch(new Request(new URL(req.url ?? "/", origin), { method: req.method, headers, body }), { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
});
server.listen(443, host);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
