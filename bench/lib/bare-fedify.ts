/**
 * The reads benchmark's baseline: a bare Fedify 2 federation (createFederation,
 * in-memory KV) with one actor dispatcher whose actor has an RSA and an
 * Ed25519 key, served by plain node:http. No database, no cache of our own:
 * what Fedify itself costs per actor GET. Run by bench/reads.ts in a process
 * of its own: `node bench/lib/bare-fedify.ts` with HOST and PORT.
 */
import { createServer } from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { Endpoints, Person } from "@fedify/vocab";
import { installTemporal } from "../../src/temporal.ts";

installTemporal();

const host = process.env.HOST ?? "127.0.9.2";
const port = Number(process.env.PORT ?? 80);
const origin = `http://${host}${port === 80 ? "" : `:${port}`}`;
const keys = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];

const federation = createFederation<void>({ kv: new MemoryKvStore(), allowPrivateAddress: true });
federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "bench") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Bench",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0]?.cryptographicKey ?? null,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "bench" ? keys : []));
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");

const server = createServer(async (req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200).end("ok");
    return;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const response = await federation.fetch(new Request(new URL(req.url ?? "/", origin), { method: req.method, headers }), { contextData: undefined });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.keepAliveTimeout = 60_000;
server.listen(port, host);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
