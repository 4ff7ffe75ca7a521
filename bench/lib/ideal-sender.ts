/**
 * The fan-out benchmark's ceiling: the least a delivery can cost with the
 * tools Plein delivers with. One RSA key, imported once; each request signed
 * with Fedify's `signRequest` (RFC 9421, what Plein's deliveries to the sinks
 * settle on) and sent with `fetch` through Plein's own connection pool
 * (federation/pinned-dispatcher.ts: keep-alive, one TLS context), OUTBOX_CONCURRENCY
 * (Plein's default) in flight. No queue, no database, no retries, no audit.
 * Run by bench/fanout.ts in a process of its own, with the key and the
 * inboxes described in its environment (below); prints one line of JSON.
 */
import { signRequest } from "@fedify/fedify";
import { DEFAULT_OUTBOX_CONCURRENCY } from "../../src/config.ts";
import { installTemporal } from "../../src/temporal.ts";
import { installPinnedDispatcher } from "../../federation/pinned-dispatcher.ts";
import { sinkHost } from "./sink.ts";

installTemporal();
installPinnedDispatcher(true);

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`ideal-sender: ${name} is not set`);
  return value;
};
const members = Number(env("MEMBERS"));
const instances = Number(env("INSTANCES"));
const shared = env("SHARED") === "yes";
const keyId = new URL(env("KEY_ID"));
const privateKey = await crypto.subtle.importKey("jwk", JSON.parse(env("JWK")) as JsonWebKey,
  { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
const body = env("BODY");

// The fan-out's inboxes, as bench/fanout.ts gives its members: member i lives on instance i mod INSTANCES.
const inboxes = shared
  ? Array.from({ length: instances }, (_, i) => `https://${sinkHost(i)}/inbox`)
  : Array.from({ length: members }, (_, i) => `https://${sinkHost(i % instances)}/users/m${i}/inbox`);

const cpuBefore = process.cpuUsage();
const started = performance.now();
const statuses = new Map<number, number>();
let next = 0;
await Promise.all(Array.from({ length: DEFAULT_OUTBOX_CONCURRENCY }, async () => {
  while (next < inboxes.length) {
    const request = new Request(inboxes[next++]!, { method: "POST", headers: { "content-type": "application/activity+json" }, body });
    const response = await fetch(await signRequest(request, privateKey, keyId, { spec: "rfc9421" }));
    await response.arrayBuffer();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  }
}));
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ sent: inboxes.length, ms, cpuMs: (cpu.user + cpu.system) / 1000, answers: Object.fromEntries(statuses) })}\n`);
process.exit(0);
