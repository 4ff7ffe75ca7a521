import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "../src/db/schema.ts";
import { toJsonb } from "../src/db/json.ts";

/**
 * Fedify's key–value store in the `kv_entries` table.
 *
 * - A key is stored as `JSON.stringify(key)`; `list(prefix)` matches the key
 *   equal to the prefix, or starting with the prefix's JSON minus its closing
 *   bracket plus a comma (so `["a"]` never matches `["ab"]`), with LIKE
 *   wildcards escaped (index `kv_entries_key_prefix`, text_pattern_ops).
 * - Values are jsonb: anything JSON can hold, except strings containing
 *   U+0000, which PostgreSQL's jsonb rejects. Setting `undefined` deletes.
 * - TTLs become `expires_at`, computed with the database clock. Expired rows
 *   are invisible at once, deleted when `get` meets them and by `sweep()`.
 */
const LIST_PAGE = 500;

export class KyselyKvStore implements KvStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const k = encodeKey(key);
    const row = await this.#db
      .selectFrom("kv_entries")
      .select(["value", sql<boolean>`expires_at is not null and expires_at <= now()`.as("expired")])
      .where("key", "=", k)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.expired) {
      await this.#db.deleteFrom("kv_entries").where("key", "=", k).where(sql<boolean>`expires_at <= now()`).execute();
      return undefined;
    }
    return row.value as T;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    if (value === undefined) return this.delete(key);
    const json = encodeValue(value);
    const expiresAt = expiry(options);
    await this.#db
      .insertInto("kv_entries")
      .values({ key: encodeKey(key), value: json, expires_at: expiresAt })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          value: (eb) => eb.ref("excluded.value"),
          expires_at: (eb) => eb.ref("excluded.expires_at"),
        })
      )
      .execute();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom("kv_entries").where("key", "=", encodeKey(key)).execute();
  }

  /**
   * Atomic compare-and-swap: one statement each way, so concurrent callers
   * (other processes included) serialise on the row. Values compare as jsonb
   * (deep equality, object key order ignored). `expectedValue === undefined`
   * means "absent or expired"; `newValue === undefined` deletes.
   */
  async cas(key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> {
    const k = encodeKey(key);
    const live = sql<boolean>`(expires_at is null or expires_at > now())`;
    if (expectedValue === undefined) {
      if (newValue === undefined) {
        const row = await this.#db
          .selectFrom("kv_entries")
          .select("key")
          .where("key", "=", k)
          .where(live)
          .executeTakeFirst();
        return row === undefined;
      }
      // Insert, or take over an expired row; a live row makes this a no-op.
      const rows = await this.#db
        .insertInto("kv_entries")
        .values({ key: k, value: encodeValue(newValue), expires_at: expiry(options) })
        .onConflict((oc) =>
          oc.column("key")
            .doUpdateSet({
              value: (eb) => eb.ref("excluded.value"),
              expires_at: (eb) => eb.ref("excluded.expires_at"),
            })
            .where(sql<boolean>`kv_entries.expires_at is not null and kv_entries.expires_at <= now()`)
        )
        .returning("key")
        .execute();
      return rows.length > 0;
    }
    const matches = sql<boolean>`value = ${encodeValue(expectedValue)}::jsonb`;
    if (newValue === undefined) {
      const rows = await this.#db
        .deleteFrom("kv_entries")
        .where("key", "=", k)
        .where(live)
        .where(matches)
        .returning("key")
        .execute();
      return rows.length > 0;
    }
    const rows = await this.#db
      .updateTable("kv_entries")
      .set({ value: encodeValue(newValue), expires_at: expiry(options) })
      .where("key", "=", k)
      .where(live)
      .where(matches)
      .returning("key")
      .execute();
    return rows.length > 0;
  }

  /** Entries in pages of {@link LIST_PAGE} (keyset pagination), so a long list is never all in memory. */
  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    let base = this.#db
      .selectFrom("kv_entries")
      .select(["key", "value"])
      .where(sql<boolean>`(expires_at is null or expires_at > now())`)
      .orderBy("key")
      .limit(LIST_PAGE);
    if (prefix !== undefined) {
      const exact = encodeKey(prefix);
      const pattern = `${escapeLike(exact.slice(0, -1))},%`;
      base = base.where((eb) => eb.or([eb("key", "=", exact), eb("key", "like", pattern)]));
    }
    let after: string | undefined;
    for (;;) {
      const rows = await (after === undefined ? base : base.where("key", ">", after)).execute();
      for (const row of rows) {
        yield { key: JSON.parse(row.key) as KvKey, value: row.value };
      }
      if (rows.length < LIST_PAGE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  /** Deletes every expired entry; returns how many. */
  async sweep(): Promise<number> {
    const result = await this.#db
      .deleteFrom("kv_entries")
      .where("expires_at", "is not", null)
      .where(sql<boolean>`expires_at <= now()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function encodeKey(key: KvKey): string {
  if (!Array.isArray(key) || key.length === 0 || !key.every((part) => typeof part === "string")) {
    throw new TypeError("A KvKey is a non-empty array of strings.");
  }
  return JSON.stringify(key);
}

function encodeValue(value: unknown): string {
  const json = toJsonb(value);
  if (json === undefined) throw new TypeError(`Cannot store a value of type ${typeof value} in the KvStore.`);
  return json;
}

/** Backslash is LIKE's default escape character. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function expiry(options: KvStoreSetOptions | undefined): RawBuilder<Date> | null {
  if (options?.ttl === undefined) return null;
  const ms = durationToMs(options.ttl);
  return sql<Date>`now() + ${ms}::double precision * interval '1 millisecond'`;
}

/** Milliseconds in a Temporal.Duration (calendar units resolved from today). */
export function durationToMs(duration: Temporal.Duration): number {
  return duration.total({ unit: "millisecond", relativeTo: Temporal.Now.zonedDateTimeISO() });
}
