/**
 * The instance actor is created by whichever process starts first on a new
 * database; web and worker processes often start together (PostgreSQL only:
 * PGlite is one process's).
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/database.ts";
import { ensureInstanceActor, findInstanceActor } from "../../src/domain/accounts.ts";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "../support/db.ts";

let database: TestDatabase;
let others: DatabaseHandle[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  if (testDatabaseUrl) others = await Promise.all(Array.from({ length: 4 }, () => database.openAnother!()));
});

afterAll(async () => {
  for (const other of others) await other.close();
  await database?.close();
});

it.skipIf(!testDatabaseUrl)("four processes starting at once on a new database get the same instance actor, with one set of keys", async () => {
  const [locker, ...starters] = others;
  for (const origin of ["https://one.example", "https://two.example"].map((o) => new URL(o))) {
    // Line the four starts up at their insert: a SHARE lock lets them read (no actor yet) but not insert.
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const locked = locker!.db.transaction().execute(async (trx) => {
      await sql`lock table actors in share mode`.execute(trx);
      await released;
    });
    const starting = Promise.all([database, ...starters].slice(0, 4).map((handle) => ensureInstanceActor(handle.db, origin)));
    const waiting = async () => (await sql<{ n: number }>`select count(*)::integer as n from pg_locks l
      join pg_class c on c.oid = l.relation join pg_namespace s on s.oid = c.relnamespace
      where not l.granted and c.relname = 'actors' and s.nspname = current_schema()`.execute(database.db)).rows[0]!.n;
    for (let tries = 0; (await waiting()) < 4; tries++) {
      if (tries > 600) throw new Error("the four starts never reached their insert");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release();
    await locked;
    const actors = await starting;
    const stored = await findInstanceActor(database.db, origin);
    expect(stored?.type).toBe("Application");
    expect(new Set(actors.map((a) => a.id))).toEqual(new Set([stored!.id]));
    const keys = await database.db.selectFrom("actor_keys").select("algorithm").where("actor_id", "=", stored!.id).execute();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.map((k) => k.algorithm).sort()).toEqual([...new Set(keys.map((k) => k.algorithm))].sort());
  }
});

it("a second start finds the instance actor and keeps it", async () => {
  const origin = new URL("https://again.example");
  const first = await ensureInstanceActor(database.db, origin);
  const second = await ensureInstanceActor(database.db, origin);
  expect(second.id).toBe(first.id);
  expect(second.iri).toBe(first.iri);
});
