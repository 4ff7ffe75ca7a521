import type { InboxContext } from "@fedify/fedify";
import type { Activity, Object as APObject } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Actor } from "../../src/db/schema.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { recordProcessed, wasProcessed } from "../../src/domain/processed-activities.ts";
import type { AppContext } from "../../src/context.ts";
import { rememberReceived } from "../../src/modules/received.ts";
import { recordInboxActivity } from "../../src/ops/metrics.ts";
import { refusedSpeaker } from "../policy.ts";
import { getOrFetchActor, isLocalUrl, isRemoteInputError } from "../remote.ts";
import { embeddedOnly } from "../translate/inbound.ts";

export const logger = getLogger(["plein", "federation", "inbox"]);

export type InboxCtx = InboxContext<AppContext>;

/** An inbox handler: runs only for a checked, first-seen activity of a known remote actor. */
export type Handler<T extends Activity> = (ctx: InboxCtx, activity: T, actor: Actor, activityIri: string) => Promise<void>;

/**
 * Why an activity is not acted on. Returned (never thrown) for ordinary bad
 * input: the inbox logs it and Fedify answers 202 as for any accepted delivery.
 */
export class Ignored extends Error {}

export function ignore(message: string): never {
  throw new Ignored(message);
}

/**
 * The checks every activity passes before any handler runs. Fedify has already
 * verified that the signer owns the key of `activity.actorId` (HTTP Signatures,
 * or a Linked Data Signature / Object Integrity Proof covering every actor).
 * - exactly one actor (Fedify checks only the first one against the key);
 * - an id, and of the actor's origin (Fedify 2.3.8 does not check this: an id of
 *   another origin could claim the real activity's dedupe key or vouch for
 *   objects of that origin);
 * - the actor is remote and can be resolved through our checked loader (which
 *   also refuses actor documents served with a non-ActivityPub media type or
 *   whose id differs from the requested one).
 * Then the id is recorded; a second delivery of the same id is ignored.
 */
async function admit(ctx: InboxCtx, activity: Activity): Promise<{ actor: Actor; iri: string } | null> {
  const id = activity.id;
  const type = activity.constructor.name;
  if (!id) {
    logger.info("Ignoring a {type} without an id", { type });
    return null;
  }
  const actorIds = activity.actorIds;
  if (actorIds.length !== 1) {
    logger.warn("Ignoring {id}: it names {count} actors", { id: id.href, count: actorIds.length });
    return null;
  }
  const actorIri = actorIds[0]!;
  if (id.origin !== actorIri.origin) {
    logger.warn("Ignoring {id}: its id is not of its actor's origin ({actor})", { id: id.href, actor: actorIri.href });
    return null;
  }
  if (isLocalUrl(ctx.data.config, actorIri)) {
    logger.warn("Ignoring {id}: a remote delivery speaking for a local actor", { id: id.href });
    return null;
  }
  // Queued before its server was blocked (new ones are refused at the door: federation/policy.ts).
  if (await refusedSpeaker(ctx.data, actorIri, id.href)) return null;
  const actor = await getOrFetchActor(ctx, actorIri);
  if (!actor || actor.local) {
    logger.info("Ignoring {id}: its actor {actor} could not be resolved", { id: id.href, actor: actorIri.href });
    return null;
  }
  if (await wasProcessed(ctx.data.db, id.href)) {
    logger.debug("Ignoring {id}: already processed", { id: id.href });
    return null;
  }
  return { actor, iri: id.href };
}

/**
 * Wraps a handler: admission checks, then the handler. Ordinary bad input
 * (Ignored, domain refusals, unusable remote documents) is logged and dropped;
 * anything else (the database is down...) un-records the activity and is
 * rethrown so Fedify's queue retries it.
 */
export function listener<T extends Activity>(handler: Handler<T>): (ctx: InboxCtx, activity: T) => Promise<void> {
  return async (ctx, activity) => {
    const type = activity.constructor.name;
    let admitted: Awaited<ReturnType<typeof admit>>;
    try {
      admitted = await admit(ctx, activity);
    } catch (error) {
      recordInboxActivity(type, "failed");
      throw error;
    }
    if (!admitted) {
      recordInboxActivity(type, "rejected");
      return;
    }
    let result: "accepted" | "rejected" = "accepted";
    try {
      await handler(ctx, activity, admitted.actor, admitted.iri);
    } catch (error) {
      result = "rejected";
      if (error instanceof Ignored) {
        logger.info("Ignoring {id}: {reason}", { id: admitted.iri, reason: error.message });
      } else if (error instanceof DomainError) {
        logger.info("Refused {id}: {error}", { id: admitted.iri, error: error.message });
      } else if (isRemoteInputError(error)) {
        // Unusable remote input (a document we refuse, a fetch that failed, a malformed object).
        logger.warn("Dropped {id}: {error}", { id: admitted.iri, error });
      } else {
        // Not recorded: Fedify's queue retries it.
        recordInboxActivity(type, "failed");
        throw error;
      }
    }
    // Recorded once handled (or refused for good), never before: a worker that dies
    // mid-way leaves it unrecorded, and the retry finds the domain's writes idempotent.
    await recordProcessed(ctx.data.db, admitted.iri);
    recordInboxActivity(type, result);
  };
}

const AS_OBJECT = "https://www.w3.org/ns/activitystreams#object";

/**
 * Does the activity as received carry its object embedded (not only its id)?
 * Read from the JSON-LD Fedify keeps of what it parsed, compacted or expanded.
 */
async function embeddedJson(activity: Activity): Promise<Record<string, unknown> | null> {
  const raw = await activity.toJsonLd() as Record<string, unknown>;
  const value = raw.object ?? raw[AS_OBJECT];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first !== "object" || first === null) return null;
  if (!Object.keys(first).some((k) => k !== "id" && k !== "@id")) return null;
  // A compact object reads its terms through the activity's context.
  return "@context" in raw && !("@context" in first) ? { "@context": raw["@context"], ...first } : first as Record<string, unknown>;
}

/**
 * The object exactly as embedded in the activity, or null when only its id
 * is given. Never fetches. Its JSON-LD as received stays at hand for content
 * modules (src/modules/received.ts).
 */
export async function embeddedObject(activity: Activity): Promise<APObject | null> {
  const json = await embeddedJson(activity);
  if (!json) return null;
  const object = await activity.getObject(embeddedOnly).catch(() => null);
  if (object) rememberReceived(object, json);
  return object;
}

export function sameOrigin(a: URL, b: URL | string): boolean {
  return a.origin === (typeof b === "string" ? new URL(b).origin : b.origin);
}
