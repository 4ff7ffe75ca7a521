import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import type { Db } from "../../src/db/database.ts";
import { wasProcessed } from "../../src/domain/processed-activities.ts";

/**
 * Fedify's inbox idempotency, made safe for Fedify 2.3.8.
 *
 * Fedify marks an activity id as processed (in the KvStore, for a day) after
 * *any* listener returns, also when our listener refused the activity because
 * its id is of another origin than its actor. A forged activity could so claim
 * the id of a real one that has not arrived yet (a predictable Delete id, say)
 * and make Fedify drop the real one (fixed in Fedify 2.3.14). And in queue
 * mode Fedify checks a key at enqueue time that differs from the one it sets.
 *
 * So the inbox keeps one record, `processed_activities`, written by our
 * listener once an activity passed the origin checks and was handled
 * (`recordProcessed`), and Fedify's
 * idempotency keys read that record: `get` answers from it, `set` is a no-op.
 * The enqueue-time key (our strategy below) is the bare activity id, and only
 * for an activity whose id has its actor's origin; the queue-time key ends in
 * the activity id too.
 */

export const ACTIVITY_IDEMPOTENCE_PREFIX: readonly string[] = ["_fedify", "activityIdempotence"];

function idempotenceActivityId(key: KvKey): string | null {
  if (key.length < ACTIVITY_IDEMPOTENCE_PREFIX.length + 1) return null;
  for (let i = 0; i < ACTIVITY_IDEMPOTENCE_PREFIX.length; i++) {
    if (key[i] !== ACTIVITY_IDEMPOTENCE_PREFIX[i]) return null;
  }
  const last = key[key.length - 1];
  return typeof last === "string" ? last : null;
}

/** The enqueue-time idempotency key: the activity id, only when it is of the actor's origin. */
export function inboxIdempotencyKey(_ctx: unknown, activity: Activity): string | null {
  const id = activity.id;
  const actors = activity.actorIds;
  if (!id || actors.length !== 1 || actors[0]!.origin !== id.origin) return null;
  return id.href;
}

/** Wraps the federation's KvStore so Fedify's inbox idempotency reads `processed_activities`. */
export function withInboxIdempotence(kv: KvStore, db: Db): KvStore {
  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      const activityId = idempotenceActivityId(key);
      if (activityId === null) return kv.get<T>(key);
      return (await wasProcessed(db, activityId)) ? (true as T) : undefined;
    },
    async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      if (idempotenceActivityId(key) !== null) return;
      await kv.set(key, value, options);
    },
    async delete(key: KvKey): Promise<void> {
      if (idempotenceActivityId(key) !== null) return;
      await kv.delete(key);
    },
    ...(kv.cas ? { cas: kv.cas.bind(kv) } : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
