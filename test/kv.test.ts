import type { KvKey } from "@fedify/fedify";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KyselyKvStore } from "../federation/kv.ts";
import { openTestDatabase, type TestDatabase } from "./support/db.ts";

let database: TestDatabase;
let kv: KyselyKvStore;

beforeAll(async () => {
  database = await openTestDatabase();
  kv = new KyselyKvStore(database.db);
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.db.deleteFrom("kv_entries").execute();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ttl = (milliseconds: number) => ({ ttl: Temporal.Duration.from({ milliseconds }) });

async function listKeys(prefix?: KvKey): Promise<KvKey[]> {
  const keys: KvKey[] = [];
  for await (const entry of kv.list(prefix)) keys.push(entry.key);
  return keys.sort(compareKeys);
}

/** Element by element; a prefix sorts before the keys it starts. */
function compareKeys(a: KvKey, b: KvKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** Waits until the database clock has passed every short (< 10 s) expires_at in the table. */
async function waitForExpiry(): Promise<void> {
  for (;;) {
    const row = await database.db
      .selectFrom("kv_entries")
      .select(sql<number>`count(*)::integer`.as("live"))
      .where("expires_at", "is not", null)
      .where(sql<boolean>`expires_at > now() and expires_at < now() + interval '10 seconds'`)
      .executeTakeFirstOrThrow();
    if (row.live === 0) return;
    await sleep(20);
  }
}

describe("KyselyKvStore", () => {
  it("returns undefined (not null) for a missing key", async () => {
    const value = await kv.get(["missing"]);
    expect(value).toBeUndefined();
    expect(value).not.toBeNull();
  });

  it("round-trips objects, arrays, strings, numbers, booleans and null", async () => {
    const values: [KvKey, unknown][] = [
      [["object"], { a: 1, nested: { b: [1, "two", null], c: true }, "é": "ü" }],
      [["array"], [1, "x", { y: 2 }, [3]]],
      [["string"], "hello \"world\" \\ ' % _ 🎉"],
      [["empty-string"], ""],
      [["number"], 42.5],
      [["zero"], 0],
      [["negative"], -7],
      [["boolean"], false],
      [["null"], null],
    ];
    for (const [key, value] of values) await kv.set(key, value);
    for (const [key, value] of values) expect(await kv.get(key)).toEqual(value);
    // null is a value, not a missing key
    expect(await kv.get(["null"])).toBeNull();
  });

  it("overwrites a value and its TTL", async () => {
    await kv.set(["k"], "first", ttl(50));
    await kv.set(["k"], "second");
    await sleep(60);
    await waitForExpiry();
    expect(await kv.get(["k"])).toBe("second");
  });

  it("expires values after their TTL", async () => {
    await kv.set(["short"], "gone soon", ttl(50));
    await kv.set(["long"], "stays", { ttl: Temporal.Duration.from({ hours: 1 }) });
    await kv.set(["forever"], "stays");
    // (no get() here: under load 50 ms may already have passed)
    const stored = await database.db.selectFrom("kv_entries").select(["key", "value"])
      .where("expires_at", "is not", null).orderBy("key").execute();
    expect(stored).toEqual([{ key: '["long"]', value: "stays" }, { key: '["short"]', value: "gone soon" }]);
    await sleep(60);
    await waitForExpiry();
    expect(await kv.get(["short"])).toBeUndefined();
    expect(await kv.get(["long"])).toBe("stays");
    expect(await kv.get(["forever"])).toBe("stays");
    // get() cleaned the expired row up
    const rows = await database.db.selectFrom("kv_entries").select("key").execute();
    expect(rows.map((r) => r.key).sort()).toEqual(['["forever"]', '["long"]']);
  });

  it("sweep() deletes expired entries only", async () => {
    await kv.set(["a"], 1, ttl(10));
    await kv.set(["b"], 2, ttl(10));
    await kv.set(["c"], 3, { ttl: Temporal.Duration.from({ minutes: 5 }) });
    await kv.set(["d"], 4);
    await sleep(20);
    await waitForExpiry();
    expect(await kv.sweep()).toBe(2);
    const rows = await database.db.selectFrom("kv_entries").select("key").orderBy("key").execute();
    expect(rows.map((r) => r.key)).toEqual(['["c"]', '["d"]']);
  });

  it("deletes", async () => {
    await kv.set(["x", "y"], { v: 1 });
    await kv.set(["x"], "parent");
    await kv.delete(["x", "y"]);
    expect(await kv.get(["x", "y"])).toBeUndefined();
    expect(await kv.get(["x"])).toBe("parent");
    await kv.delete(["never-there"]); // no error
  });

  it("setting undefined deletes", async () => {
    await kv.set(["u"], 1);
    await kv.set(["u"], undefined);
    expect(await kv.get(["u"])).toBeUndefined();
    expect(await listKeys(["u"])).toEqual([]);
  });

  it("lists by prefix: the prefix itself and longer keys, never siblings sharing characters", async () => {
    await kv.set(["a"], 0);
    await kv.set(["a", "b"], 1);
    await kv.set(["a", "b", "c"], 2);
    await kv.set(["a", "bc"], 3);
    await kv.set(["ab"], 4);
    await kv.set(["ab", "c"], 5);
    await kv.set(["b", "a"], 6);

    expect(await listKeys(["a"])).toEqual([["a"], ["a", "b"], ["a", "b", "c"], ["a", "bc"]]);
    expect(await listKeys(["a", "b"])).toEqual([["a", "b"], ["a", "b", "c"]]);
    expect(await listKeys(["ab"])).toEqual([["ab"], ["ab", "c"]]);
    expect(await listKeys(["a", "b", "c", "d"])).toEqual([]);
    expect(await listKeys()).toHaveLength(7);

    const entries: { key: KvKey; value: unknown }[] = [];
    for await (const entry of kv.list(["a", "b"])) entries.push(entry);
    expect(entries.sort((x, y) => compareKeys(x.key, y.key))).toEqual([
      { key: ["a", "b"], value: 1 },
      { key: ["a", "b", "c"], value: 2 },
    ]);
  });

  it("lists more entries than fit in one page", async () => {
    const keys: KvKey[] = Array.from({ length: 1234 }, (_, i) => ["many", `k${i}`]);
    await database.db.insertInto("kv_entries")
      .values(keys.map((key, i) => ({ key: JSON.stringify(key), value: JSON.stringify(i) })))
      .execute();
    await kv.set(["other"], 1);
    const seen = new Map<string, unknown>();
    for await (const entry of kv.list(["many"])) seen.set(JSON.stringify(entry.key), entry.value);
    expect(seen.size).toBe(1234);
    expect(seen.get(JSON.stringify(["many", "k1000"]))).toBe(1000);
    expect(await listKeys()).toHaveLength(1235);
  });

  it("leaves expired entries out of list()", async () => {
    await kv.set(["p", "live"], 1);
    await kv.set(["p", "dead"], 2, ttl(20));
    await kv.set(["p", "later"], 3, { ttl: Temporal.Duration.from({ minutes: 1 }) });
    await sleep(30);
    await waitForExpiry();
    expect(await listKeys(["p"])).toEqual([["p", "later"], ["p", "live"]]);
    expect(await listKeys()).toEqual([["p", "later"], ["p", "live"]]);
  });

  it("handles hostile keys: LIKE wildcards, quotes, backslashes, unicode, control characters", async () => {
    const hostile: KvKey[] = [
      ["%"],
      ["%", "x"],
      ["_"],
      ["_", "x"],
      ["a%"],
      ["a_"],
      ["\\"],
      ["\\", "x"],
      ["\\%"],
      ["'"],
      ["' or 1=1 --"],
      ['"'],
      ['"', "x"],
      ['a"]'],
      ["a", "]"],
      ["ünï", "cødé", "🎉"],
      ["tab\there", "nul\u0000byte"],
      ["", ""],
    ];
    for (const [i, key] of hostile.entries()) await kv.set(key, i);
    for (const [i, key] of hostile.entries()) expect(await kv.get(key)).toBe(i);

    expect(await listKeys(["%"])).toEqual([["%"], ["%", "x"]]);
    expect(await listKeys(["_"])).toEqual([["_"], ["_", "x"]]);
    expect(await listKeys(["\\"])).toEqual([["\\"], ["\\", "x"]]);
    expect(await listKeys(['"'])).toEqual([['"'], ['"', "x"]]);
    expect(await listKeys(["a"])).toEqual([["a", "]"]]);
    expect(await listKeys(["ünï"])).toEqual([["ünï", "cødé", "🎉"]]);
    expect(await listKeys(["ünï", "cødé"])).toEqual([["ünï", "cødé", "🎉"]]);
    expect(await listKeys(["tab\there"])).toEqual([["tab\there", "nul\u0000byte"]]);
    expect(await listKeys([""])).toEqual([["", ""]]);
    expect(await listKeys(["'"])).toEqual([["'"]]);
    expect(await listKeys())
      .toHaveLength(hostile.length);

    await kv.delete(["%"]);
    expect(await kv.get(["%"])).toBeUndefined();
    expect(await kv.get(["%", "x"])).toBe(1);
  });

  it("rejects keys that are not arrays of strings", async () => {
    await expect(kv.get([] as unknown as KvKey)).rejects.toThrow(TypeError);
    await expect(kv.set([1] as unknown as KvKey, 1)).rejects.toThrow(TypeError);
  });

  describe("cas", () => {
    it("swaps when the current value matches", async () => {
      await kv.set(["c"], { n: 1, tags: ["a"] });
      expect(await kv.cas(["c"], { tags: ["a"], n: 1 }, { n: 2 })).toBe(true);
      expect(await kv.get(["c"])).toEqual({ n: 2 });
    });

    it("does not swap when the current value differs", async () => {
      await kv.set(["c"], "current");
      expect(await kv.cas(["c"], "something else", "new")).toBe(false);
      expect(await kv.cas(["c"], undefined, "new")).toBe(false);
      expect(await kv.cas(["c"], null, "new")).toBe(false);
      expect(await kv.get(["c"])).toBe("current");
    });

    it("distinguishes null from absent", async () => {
      expect(await kv.cas(["n"], null, 1)).toBe(false);
      expect(await kv.get(["n"])).toBeUndefined();
      await kv.set(["n"], null);
      expect(await kv.cas(["n"], undefined, 1)).toBe(false);
      expect(await kv.cas(["n"], null, 1)).toBe(true);
      expect(await kv.get(["n"])).toBe(1);
    });

    it("expected undefined: succeeds when absent, fails when present", async () => {
      expect(await kv.cas(["fresh"], undefined, "v1")).toBe(true);
      expect(await kv.get(["fresh"])).toBe("v1");
      expect(await kv.cas(["fresh"], undefined, "v2")).toBe(false);
      expect(await kv.get(["fresh"])).toBe("v1");
    });

    it("treats an expired entry as absent", async () => {
      await kv.set(["e"], "old", ttl(20));
      await sleep(30);
      await waitForExpiry();
      expect(await kv.cas(["e"], "old", "new")).toBe(false);
      expect(await kv.cas(["e"], undefined, "new")).toBe(true);
      expect(await kv.get(["e"])).toBe("new");
      // the new value has no TTL: the old expiry must not have survived
      const row = await database.db.selectFrom("kv_entries").select("expires_at")
        .where("key", "=", JSON.stringify(["e"])).executeTakeFirstOrThrow();
      expect(row.expires_at).toBeNull();
    });

    it("applies the TTL of the new value", async () => {
      await kv.set(["t"], 1);
      expect(await kv.cas(["t"], 1, 2, ttl(20))).toBe(true);
      await sleep(30);
      await waitForExpiry();
      expect(await kv.get(["t"])).toBeUndefined();
    });

    it("newValue undefined deletes on match", async () => {
      await kv.set(["d"], "x");
      expect(await kv.cas(["d"], "y", undefined)).toBe(false);
      expect(await kv.get(["d"])).toBe("x");
      expect(await kv.cas(["d"], "x", undefined)).toBe(true);
      expect(await kv.get(["d"])).toBeUndefined();
      expect(await kv.cas(["d"], undefined, undefined)).toBe(true);
    });

    it("lets exactly one of many concurrent swaps win", async () => {
      await kv.set(["counter"], 0);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => kv.cas(["counter"], 0, i + 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true) + 1;
      expect(await kv.get(["counter"])).toBe(winner);
      const inserts = await Promise.all(
        Array.from({ length: 10 }, (_, i) => kv.cas(["new-key"], undefined, i)),
      );
      expect(inserts.filter(Boolean)).toHaveLength(1);
    });

    it("works with hostile keys", async () => {
      const key: KvKey = ["%_\\'\"", "ü🎉"];
      expect(await kv.cas(key, undefined, 1)).toBe(true);
      expect(await kv.cas(key, 1, 2)).toBe(true);
      expect(await kv.get(key)).toBe(2);
    });
  });
});
