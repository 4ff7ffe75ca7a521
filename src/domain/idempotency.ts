import { sql } from "kysely";
import type { Db } from "../db/database.ts";

/**
 * Idempotency keys of client requests (Mastodon's `Idempotency-Key` header),
 * kept for an hour in `kv_entries` under the same key encoding as the Fedify
 * KvStore (`["plein","idempotency",actorId,key]`). A key is reserved before the
 * work starts, so two concurrent requests with one key cannot both do it.
 */
const TTL_SECONDS = 3600;
export const MAX_IDEMPOTENCY_KEY_CHARS = 256;

type Stored = { state: "pending" } | { state: "done"; result: string };

const kvKey = (actorId: string, key: string) => JSON.stringify(["plein", "idempotency", actorId, key]);

export type Reservation =
  | { kind: "reserved" }
  /** an earlier request with this key finished with `result` */
  | { kind: "done"; result: string }
  /** an earlier request with this key is still running */
  | { kind: "pending" };

export async function reserveIdempotencyKey(db: Db, actorId: string, key: string): Promise<Reservation> {
  const k = kvKey(actorId, key);
  const pending: Stored = { state: "pending" };
  const inserted = await db.insertInto("kv_entries")
    .values({ key: k, value: JSON.stringify(pending), expires_at: sql<Date>`now() + ${TTL_SECONDS} * interval '1 second'` })
    .onConflict((oc) => oc.column("key").doUpdateSet({
      value: (eb) => eb.ref("excluded.value"),
      expires_at: (eb) => eb.ref("excluded.expires_at"),
    }).where(sql<boolean>`kv_entries.expires_at is not null and kv_entries.expires_at <= now()`))
    .returning("key").executeTakeFirst();
  if (inserted) return { kind: "reserved" };
  const row = await db.selectFrom("kv_entries").select("value").where("key", "=", k).executeTakeFirst();
  const stored = row?.value as Stored | undefined;
  if (stored?.state === "done") return { kind: "done", result: stored.result };
  return { kind: "pending" };
}

export async function completeIdempotencyKey(db: Db, actorId: string, key: string, result: string): Promise<void> {
  const done: Stored = { state: "done", result };
  await db.updateTable("kv_entries").set({ value: JSON.stringify(done) }).where("key", "=", kvKey(actorId, key)).execute();
}

/** The request failed: the key may be used again. */
export async function releaseIdempotencyKey(db: Db, actorId: string, key: string): Promise<void> {
  await db.deleteFrom("kv_entries").where("key", "=", kvKey(actorId, key))
    .where(sql<boolean>`value->>'state' = 'pending'`).execute();
}
