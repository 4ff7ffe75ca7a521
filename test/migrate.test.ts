/**
 * Starting on a database that is up to date: src/db/migrate.ts answers from the
 * migration table alone (Kysely's Migrator reads the catalogue first, 0.3 s of an
 * embedded database's start), and leaves everything else to the Migrator.
 */
import type { KvKey } from "@fedify/fedify";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { up as dropDefaultSignatureSpecs } from "../migrations/0025_signature_spec_defaults.ts";
import { KyselyKvStore } from "../federation/kv.ts";
import { allMigrations, migrateToLatest } from "../src/db/migrate.ts";
import { openTestDatabase, type TestDatabase } from "./support/db.ts";
import { recordQueries } from "./support/explain.ts";

describe("migrateToLatest", () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await openTestDatabase();
  });
  afterEach(async () => {
    await database.close();
  });

  it("on an up-to-date database applies nothing and reads only the migration table", async () => {
    let result: Awaited<ReturnType<typeof migrateToLatest>> | undefined;
    const sent = await recordQueries(database.db, async (db) => {
      result = await migrateToLatest(db);
    });
    expect(result).toEqual({ results: [] });
    // The schema and whether the table is there, then what it records: nothing of the Migrator's (its lock, its checks).
    expect(sent.map((q) => q.sql.replace(/\s+/g, " ").trim())).toEqual([
      "select current_schema() as schema, to_regclass(quote_ident(current_schema()) || '.kysely_migration') is not null as present",
      expect.stringMatching(/^select name from "[^"]+"\."kysely_migration"$/),
    ]);
    const { rows } = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(database.db);
    expect(Number(rows[0]!.n)).toBe(Object.keys(allMigrations()).length);
  });

  it("refuses a database that records a migration this version does not know (a downgrade)", async () => {
    await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', now()::text)`.execute(database.db);
    await expect(migrateToLatest(database.db)).rejects.toThrow(/9999_from_a_newer_version/);
  });

  it("runs what is pending: a migration forgotten is applied again", async () => {
    // The last core migration's record removed: the Migrator runs it, and it must find its work
    // undone to succeed, so it is undone first by the migration's own down.
    const names = Object.keys(allMigrations()).filter((name) => !name.startsWith("module_")).sort();
    const last = names[names.length - 1]!;
    const migration = allMigrations()[last]!;
    if (!migration.down) throw new Error(`${last} has no down migration`);
    await migration.down(database.db);
    await sql`delete from kysely_migration where name = ${last}`.execute(database.db);
    const result = await migrateToLatest(database.db);
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual([[last, "Success"]]);
  });
});

describe("0025_signature_spec_defaults", () => {
  it("drops the stored specs that say what Fedify's first knock does anyway, and keeps the rest", async () => {
    const database = await openTestDatabase();
    try {
      const kv = new KyselyKvStore(database.db);
      const spec = (origin: string): KvKey => ["_fedify", "httpMessageSignaturesSpec", origin];
      await kv.set(spec("https://new.example"), "rfc9421");
      await kv.set(spec("https://old.example"), "draft-cavage-http-signatures-12");
      // Only Fedify's spec entries: the same value elsewhere, and a key that LIKE's "_" would match, stay.
      await kv.set(["_fedify", "other", "https://new.example"], "rfc9421");
      await kv.set(["xfedify", "httpMessageSignaturesSpec", "https://new.example"], "rfc9421");
      await dropDefaultSignatureSpecs(database.db as unknown as Kysely<unknown>);
      expect(await kv.get(spec("https://new.example"))).toBeUndefined();
      expect(await kv.get(spec("https://old.example"))).toBe("draft-cavage-http-signatures-12");
      expect(await kv.get(["_fedify", "other", "https://new.example"])).toBe("rfc9421");
      expect(await kv.get(["xfedify", "httpMessageSignaturesSpec", "https://new.example"])).toBe("rfc9421");
    } finally {
      await database.close();
    }
  });
});
