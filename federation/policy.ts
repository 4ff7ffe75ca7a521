/**
 * The instance federation policy (src/domain/policy.ts) at the ActivityPub
 * edge, asked before any other work:
 * - inbound: `federationPolicyGuard` answers an inbox POST that a blocked
 *   server signed or speaks in with 403, and a GET a blocked server signed
 *   with the one 404, from the headers and the body alone (no key fetched,
 *   nothing stored or queued); `refusedSpeaker` drops activities already
 *   queued when their server was blocked since;
 * - fetches: `policyCheck` is given to every document loader (ours and
 *   Fedify's, federation/loader.ts), which asks it before each hop's DNS
 *   lookup and connection; `assertMayLookUp` refuses a WebFinger or URL
 *   lookup (federation/remote.ts) before the handle's domain is asked anything;
 * - outbound: `allowedRecipients` leaves blocked servers out before Fedify
 *   queues anything (federation/send.ts), and `withPolicyOnOutbox` drops
 *   queued deliveries to a server blocked after they were queued.
 */
import type { Message, MessageQueue } from "@fedify/fedify";
import type { Recipient } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../src/context.ts";
import {
  blocksAnyServer,
  currentPolicy,
  decide,
  type Decision,
  decisionFor,
  type FederationPolicy,
  normalizeHost,
  strictest,
} from "../src/domain/policy.ts";
import { DocumentRejectedError } from "./loader.ts";

const logger = getLogger(["plein", "federation", "policy"]);

type Deps = Pick<AppContext, "db" | "config">;

/** A fetch or lookup of a server the federation policy blocks; nothing was sent to it. */
export class FederationRefusedError extends DocumentRejectedError {
  readonly host: string;
  constructor(url: string, host: string) {
    super(url, `this server does not federate with ${host} (federation policy)`);
    this.name = "FederationRefusedError";
    this.host = host;
  }
}

function isOwn(deps: Deps, url: URL): boolean {
  return normalizeHost(url) === normalizeHost(deps.config.origin);
}

/** For SafeLoaderOptions.policy: throws FederationRefusedError for a URL on a blocked server. */
export function policyCheck(deps: Deps): (url: URL) => Promise<void> {
  return async (url) => {
    if (isOwn(deps, url)) return;
    if ((await decisionFor(deps.db, url)) === "block") throw new FederationRefusedError(url.href, normalizeHost(url));
  };
}

/**
 * Refuses a lookup (an actor URL, a post URL, or a handle's domain) of a
 * blocked server before anything is fetched or read.
 */
export async function assertMayLookUp(deps: Deps, target: URL | string): Promise<void> {
  const host = normalizeHost(target);
  if (host === normalizeHost(deps.config.origin)) return;
  if ((await decisionFor(deps.db, target)) === "block") {
    throw new FederationRefusedError(target instanceof URL ? target.href : target, host);
  }
}

/** Is the actor of an activity (already parsed, maybe queued before a block) on a blocked server? */
export async function refusedSpeaker(deps: Deps, actorIri: URL, activityId: string): Promise<boolean> {
  if (isOwn(deps, actorIri) || (await decisionFor(deps.db, actorIri)) !== "block") return false;
  logger.info("Ignoring {id}: its actor's server {host} is blocked", { id: activityId, host: normalizeHost(actorIri) });
  return true;
}

/* ---------------- outbound ---------------- */

function recipientHosts(r: Recipient): URL[] {
  return [r.id, r.inboxId, r.endpoints?.sharedInbox].filter((u): u is URL => u instanceof URL);
}

/** The recipients whose servers (actor, inbox, shared inbox) the policy does not block. */
export async function allowedRecipients(deps: Deps, recipients: readonly Recipient[]): Promise<Recipient[]> {
  if (recipients.length === 0) return [];
  const policy = await currentPolicy(deps.db);
  return recipients.filter((r) => {
    const decision = strictest(recipientHosts(r).map((u) => decide(policy, normalizeHost(u))));
    if (decision === "block") logger.debug("Not delivering to {actor}: its server is blocked", { actor: r.id?.href });
    return decision !== "block";
  });
}

/** The inbox a queued Fedify outbox message is for, if it is one. */
function outboxTarget(message: unknown): URL[] | null {
  if (typeof message !== "object" || message === null) return null;
  const m = message as { type?: unknown; inbox?: unknown; sharedInbox?: unknown };
  if (m.type !== "outbox" || typeof m.inbox !== "string" || !URL.canParse(m.inbox)) return null;
  return [new URL(m.inbox)];
}

/**
 * Fedify's queue, with queued deliveries to a server blocked since they were
 * queued (retries and held messages included) dropped when their turn comes
 * (`onDropped` hears of each: the delivery audit records it).
 * The one queue serves Fedify's inbox, outbox and fan-out alike.
 */
export function withPolicyOnOutbox(queue: MessageQueue, deps: Deps, onDropped?: (message: Message) => Promise<void>): MessageQueue {
  const refused = async (message: Message): Promise<boolean> => {
    const targets = outboxTarget(message);
    if (!targets) return false;
    const policy = await currentPolicy(deps.db);
    const decision: Decision = strictest(targets.map((u) => decide(policy, normalizeHost(u))));
    if (decision !== "block") return false;
    logger.info("Dropping a queued delivery to {inbox}: its server is blocked", { inbox: targets[0]!.href });
    return true;
  };
  return {
    nativeRetrial: queue.nativeRetrial ?? false,
    enqueue: (message, options) => queue.enqueue(message, options),
    ...(queue.enqueueMany ? { enqueueMany: (messages, options) => queue.enqueueMany!(messages, options) } : {}),
    ...(queue.getDepth ? { getDepth: () => queue.getDepth!() } : {}),
    listen: (handler, options) => queue.listen(async (message: Message) => {
      if (await refused(message)) {
        await onDropped?.(message);
        return;
      }
      await handler(message);
    }, options),
  };
}

/* ---------------- inbound ---------------- */

const INBOX_PATH = /^\/users\/[^/]+\/inbox$|^\/inbox$/;
const CAVAGE_KEY_ID = /(?:^|,)\s*keyId\s*=\s*"([^"]*)"/gi;
const RFC9421_KEY_ID = /;\s*keyid\s*=\s*"([^"]*)"/gi;
const AS = "https://www.w3.org/ns/activitystreams#";
const SEC = "https://w3id.org/security#";

/** The key ids a request's HTTP signature headers name (draft-cavage and RFC 9421), unparsed. */
function signatureKeyIds(headers: Headers): string[] {
  const ids: string[] = [];
  for (const [header, pattern] of [["signature", CAVAGE_KEY_ID], ["signature-input", RFC9421_KEY_ID]] as const) {
    const value = headers.get(header);
    if (value === null) continue;
    for (const m of value.matchAll(pattern)) ids.push(m[1]!);
  }
  return ids;
}

/** Ids (strings, or objects' `id`/`@id`) in a JSON value, a list of them, or JSON-LD `@value`s. */
function idsIn(value: unknown, depth = 0): string[] {
  if (depth > 3) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.slice(0, 20).flatMap((v) => idsIn(v, depth + 1));
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    return [o.id, o["@id"]].filter((v): v is string => typeof v === "string");
  }
  return [];
}

/**
 * Who an activity body says is speaking, without fetching anything: its id,
 * its actor, and the key of a Linked Data Signature or Object Integrity
 * Proof, compacted or expanded. (Anything else is checked by our loader and
 * the inbox's admission once the activity is parsed.)
 */
function speakerIds(body: unknown): string[] {
  const first = Array.isArray(body) ? body[0] : body;
  if (typeof first !== "object" || first === null) return [];
  const a = first as Record<string, unknown>;
  const ids = [...idsIn(a.id), ...idsIn(a["@id"]), ...idsIn(a.actor), ...idsIn(a[`${AS}actor`])];
  for (const proof of [a.signature, a.proof, a[`${SEC}proof`]].flatMap((p) => (Array.isArray(p) ? p : [p]))) {
    if (typeof proof !== "object" || proof === null) continue;
    const p = proof as Record<string, unknown>;
    ids.push(...idsIn(p.creator), ...idsIn(p.verificationMethod), ...idsIn(p[`${SEC}verificationMethod`]),
      ...idsIn(p["http://purl.org/dc/terms/creator"]));
    // An expanded proof is a graph: its nodes hold the key.
    const graph = p["@graph"];
    if (Array.isArray(graph)) {
      for (const node of graph.slice(0, 5)) ids.push(...idsIn((node as Record<string, unknown> | null)?.[`${SEC}verificationMethod`]));
    }
  }
  return ids;
}

function hostsOf(ids: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const id of ids) if (URL.canParse(id)) hosts.add(normalizeHost(new URL(id)));
  return [...hosts];
}

function firstBlocked(deps: Deps, policy: FederationPolicy, hosts: readonly string[]): string | null {
  const own = normalizeHost(deps.config.origin);
  return hosts.find((h) => h !== own && decide(policy, h) === "block") ?? null;
}

/**
 * Hono middleware in front of Fedify (after the signature-header guard, which
 * has bounded the body's nesting): an inbox POST from or speaking for a
 * blocked server is 403; a GET or HEAD signed by one is the one 404 (as if
 * nothing were there). Nothing is fetched, stored or queued for them.
 */
export function federationPolicyGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    const headers = c.req.raw.headers;
    const signed = headers.has("signature") || headers.has("signature-input");
    const reading = method === "GET" || method === "HEAD";
    if (reading ? !signed : method !== "POST" || !INBOX_PATH.test(c.req.path)) return next();
    const deps = c.get("deps");
    const policy = await currentPolicy(deps.db);
    // Nothing to refuse: no need to read the body.
    if (!blocksAnyServer(policy)) return next();
    if (reading) {
      const blocked = firstBlocked(deps, policy, hostsOf(signatureKeyIds(headers)));
      if (blocked === null) return next();
      logger.info("Refused a GET of {path} signed by blocked server {host}", { path: c.req.path, host: blocked });
      return c.notFound();
    }
    const ids = signatureKeyIds(headers);
    try {
      ids.push(...speakerIds(JSON.parse(await c.req.raw.clone().text())));
    } catch {
      // Not JSON: Fedify refuses it; only the signature headers could name a server.
    }
    const blocked = firstBlocked(deps, policy, hostsOf(ids));
    if (blocked === null) return next();
    logger.info("Refused an inbox POST to {path} from blocked server {host}", { path: c.req.path, host: blocked });
    return c.json({ error: `This server does not federate with ${blocked}` }, 403);
  };
}
