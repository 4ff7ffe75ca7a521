import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { housekeep } from "../federation/housekeeping.ts";
import { KyselyKvStore } from "../federation/kv.ts";
import { recordProcessed, wasProcessed } from "../src/domain/processed-activities.ts";
import { openTestDatabase, type TestDatabase } from "./support/db.ts";

let handle: TestDatabase;

beforeAll(async () => {
  handle = await openTestDatabase();
});

afterAll(async () => {
  await handle?.close();
});

describe("housekeeping", () => {
  it("removes expired KV entries and inbox ids older than 30 days, and nothing else", async () => {
    const { db } = handle;
    const kv = new KyselyKvStore(db);
    await kv.set(["keep"], 1);
    await kv.set(["expiring"], 2, { ttl: Temporal.Duration.from({ hours: 1 }) });
    await db.updateTable("kv_entries").set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where("key", "=", JSON.stringify(["expiring"])).execute();
    await recordProcessed(db, "https://remote.example/old");
    await recordProcessed(db, "https://remote.example/recent");
    await db.updateTable("processed_activities").set({ processed_at: sql<Date>`now() - interval '31 days'` })
      .where("activity_iri", "=", "https://remote.example/old").execute();
    await db.updateTable("processed_activities").set({ processed_at: sql<Date>`now() - interval '29 days'` })
      .where("activity_iri", "=", "https://remote.example/recent").execute();

    expect(await housekeep(db, kv)).toEqual({ kv: 1, activities: 1, feed: 0 });
    expect(await kv.get(["keep"])).toBe(1);
    expect(await db.selectFrom("kv_entries").select("key").where("key", "=", JSON.stringify(["expiring"])).executeTakeFirst()).toBeUndefined();
    expect(await wasProcessed(db, "https://remote.example/old")).toBe(false);
    expect(await wasProcessed(db, "https://remote.example/recent")).toBe(true);
    expect(await housekeep(db, kv)).toEqual({ kv: 0, activities: 0, feed: 0 });
  });
});
