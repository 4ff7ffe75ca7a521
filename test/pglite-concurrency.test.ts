import { setTimeout as sleep } from "node:timers/promises";
import { type Generated, Kysely, PGliteAdapter, PGliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from "./support/db.ts";

/**
 * PGlite has one connection. The database handle must make every caller wait
 * for it (src/db/database.ts): a transaction holds it from BEGIN to
 * COMMIT/ROLLBACK, and a plain query issued meanwhile must neither run inside
 * that transaction nor see its uncommitted rows.
 *
 * Kysely 0.29's own PGliteDialect already does this (its PGliteAdapter says
 * supportsMultipleConnections = false, so Kysely's RuntimeDriver puts a
 * ConnectionMutex around the connection), and Plein relies on it. The last
 * test shows that these checks do catch a dialect
 * that shares the connection without a lock.
 *
 * On PostgreSQL (TEST_DATABASE_URL) the same isolation checks run on the pg
 * pool; only the "one caller at a time" checks are PGlite-specific.
 */

type ConcurrencyTables = {
  concurrency_rows: { id: Generated<string>; owner: string; seq: number };
};
type TestDb = Kysely<ConcurrencyTables>;

const onPglite = !testDatabaseUrl;

let handle: TestDatabase;
let db: TestDb;

beforeAll(async () => {
  handle = await openTestDatabase();
  // The handle the application uses: Kysely's PGlite dialect, or a pg pool on PostgreSQL.
  db = handle.db.withTables<ConcurrencyTables>() as unknown as TestDb;
  await sql`create table concurrency_rows (id bigint generated always as identity primary key, owner text not null, seq int not null, unique (owner, seq))`
    .execute(db);
});

afterAll(async () => {
  await handle?.close();
});

async function ownersVisible(): Promise<string[]> {
  const rows = await db.selectFrom("concurrency_rows").select("owner").distinct().orderBy("owner").execute();
  return rows.map((r) => r.owner);
}

interface GhostObservation {
  /** Did the plain query answer while the transaction was still open? */
  answeredWhileOpen: boolean;
  /** How many of the transaction's uncommitted rows the plain query saw. */
  rowsSeen: number;
  /** Is the row there after the rollback? */
  visibleAfterRollback: boolean;
}

/**
 * A transaction inserts a row and stays open; meanwhile a plain query looks
 * for that row. Then the transaction rolls back.
 */
async function plainQueryDuringTransaction(on: TestDb, owner: string): Promise<GhostObservation> {
  let insideOpen!: () => void;
  const opened = new Promise<void>((resolve) => { insideOpen = resolve; });
  let releaseTx!: () => void;
  const mayFinish = new Promise<void>((resolve) => { releaseTx = resolve; });

  let answered = false;
  let answeredWhileOpen = false;
  const tx = on.transaction().execute(async (trx) => {
    await trx.insertInto("concurrency_rows").values({ owner, seq: 1 }).execute();
    const own = await trx.selectFrom("concurrency_rows").select("owner").where("owner", "=", owner).execute();
    expect(own).toHaveLength(1); // a transaction sees its own row
    insideOpen();
    await mayFinish;
    if (onPglite) {
      // A statement of this transaction issued after the plain query: PGlite
      // answers in order, so a plain query that did not wait has answered.
      await trx.selectFrom("concurrency_rows").select("owner").where("owner", "=", owner).execute();
      answeredWhileOpen = answered;
    }
    throw new Error("roll back");
  });
  const txOutcome = tx.then(() => "committed", (err: unknown) => (err as Error).message);

  await opened;
  const plain = on.selectFrom("concurrency_rows").select("owner").where("owner", "=", owner).execute()
    .then((rows) => {
      answered = true;
      return rows.length;
    });
  try {
    if (onPglite) {
      // One event-loop turn: the plain query reaches the driver (no I/O on the way).
      await new Promise((resolve) => setImmediate(resolve));
    } else {
      // Another pooled connection answers while the transaction is open.
      await plain;
      answeredWhileOpen = true;
    }
  } finally {
    releaseTx();
  }
  expect(await txOutcome).toBe("roll back");
  const rowsSeen = await plain;
  const after = await on.selectFrom("concurrency_rows").select("owner").where("owner", "=", owner).execute();
  return { answeredWhileOpen, rowsSeen, visibleAfterRollback: after.length > 0 };
}

describe(`concurrent use of the database (${onPglite ? "serialized PGlite dialect" : "pg pool"})`, () => {
  it("a plain query issued while a transaction is open does not see its uncommitted rows", async () => {
    const seen = await plainQueryDuringTransaction(db, "ghost");
    // PGlite: the plain query waits for the transaction to end. pg: it runs on another connection.
    expect(seen).toEqual({ answeredWhileOpen: !onPglite, rowsSeen: 0, visibleAfterRollback: false });
    expect(await ownersVisible()).not.toContain("ghost");
  });

  it("concurrent transactions each run alone and commit or roll back whole", async () => {
    const log: string[] = [];
    const seen: Array<{ at: string; owners: string[] }> = [];
    const ROWS = 3;

    const transaction = (owner: string, fail: boolean, delay: number) =>
      db.transaction().execute(async (trx) => {
        log.push(`${owner}:begin`);
        for (let seq = 1; seq <= ROWS; seq++) {
          await trx.insertInto("concurrency_rows").values({ owner, seq }).execute();
          log.push(`${owner}:insert${seq}`);
          await sleep(delay);
        }
        const mine = await trx.selectFrom("concurrency_rows").select(["owner", "seq"])
          .where("owner", "=", owner).orderBy("seq").execute();
        log.push(`${owner}:read`);
        expect(mine).toEqual([1, 2, 3].map((seq) => ({ owner, seq })));
        // Others' rows are visible here only as whole committed transactions: all of an owner's rows, never a failing one's.
        const others = await trx.selectFrom("concurrency_rows")
          .select((eb) => ["owner", eb.fn.countAll<string>().as("n")])
          .where("owner", "like", "tx%").where("owner", "!=", owner).groupBy("owner").execute();
        for (const other of others) {
          expect(Number(other.n), `${owner} saw part of ${other.owner}`).toBe(ROWS);
          expect(["tx2", "tx4"], `${owner} saw rolled-back ${other.owner}`).not.toContain(other.owner);
        }
        if (fail) throw new Error(`${owner} fails`);
      }).then(
        () => { log.push(`${owner}:committed`); },
        (err: unknown) => {
          log.push(`${owner}:rolledback`);
          if ((err as Error).message !== `${owner} fails`) throw err;
        },
      );

    const plainQuery = async (n: number) => {
      await sleep(5 + n * 7);
      const owners = await ownersVisible();
      log.push(`plain${n}`);
      seen.push({ at: `plain${n}`, owners });
    };

    await Promise.all([
      transaction("tx1", false, 15),
      transaction("tx2", true, 5),
      transaction("tx3", false, 10),
      transaction("tx4", true, 20),
      transaction("tx5", false, 1),
      ...[0, 1, 2, 3, 4, 5, 6, 7].map(plainQuery),
    ]);

    // Whole transactions only: every owner seen has all its rows, and no rolled-back owner is ever seen.
    const counts = await db.selectFrom("concurrency_rows")
      .select((eb) => ["owner", eb.fn.countAll<string>().as("n")]).where("owner", "like", "tx%").groupBy("owner")
      .orderBy("owner").execute();
    expect(counts.map((c) => [c.owner, Number(c.n)])).toEqual([["tx1", ROWS], ["tx3", ROWS], ["tx5", ROWS]]);
    for (const { at, owners } of seen) {
      expect(owners, at).not.toContain("tx2");
      expect(owners, at).not.toContain("tx4");
    }

    if (onPglite) {
      // One connection, one caller at a time: each transaction's statements form one unbroken run in the log.
      for (const owner of ["tx1", "tx2", "tx3", "tx4", "tx5"]) {
        const first = log.indexOf(`${owner}:begin`);
        const last = log.indexOf(`${owner}:read`);
        expect(first, log.join(" ")).toBeGreaterThanOrEqual(0);
        const run = log.slice(first, last + 1);
        expect(run, log.join(" ")).toEqual([
          `${owner}:begin`, `${owner}:insert1`, `${owner}:insert2`, `${owner}:insert3`, `${owner}:read`,
        ]);
      }
    }
  });

  it("a failed statement inside a transaction rolls it back and leaves the connection usable", async () => {
    await db.insertInto("concurrency_rows").values({ owner: "dup", seq: 1 }).execute();
    let inserted!: () => void;
    const secondInserted = new Promise<void>((resolve) => { inserted = resolve; });
    let issued!: () => void;
    const plainIssued = new Promise<void>((resolve) => { issued = resolve; });
    const failing = db.transaction().execute(async (trx) => {
      await trx.insertInto("concurrency_rows").values({ owner: "dup", seq: 2 }).execute();
      inserted();
      await plainIssued;
      await trx.insertInto("concurrency_rows").values({ owner: "dup", seq: 1 }).execute(); // unique violation
    });
    await secondInserted;
    // Issued while the transaction is open (its seq 2 inserted, not yet failed).
    const during = db.selectFrom("concurrency_rows").select("seq").where("owner", "=", "dup").orderBy("seq").execute();
    await new Promise((resolve) => setImmediate(resolve));
    issued();
    await expect(failing).rejects.toThrow(/unique|duplicate/i);
    expect((await during).map((r) => r.seq)).toEqual([1]);
    // The next transaction and plain query work normally.
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("concurrency_rows").values({ owner: "dup", seq: 3 }).execute();
    });
    const after = await db.selectFrom("concurrency_rows").select("seq").where("owner", "=", "dup").orderBy("seq").execute();
    expect(after.map((r) => r.seq)).toEqual([1, 3]);
  });

  it("many plain queries and transactions at once all finish", async () => {
    const work = Array.from({ length: 40 }, (_, i) => i % 4 === 0
      ? db.transaction().execute(async (trx) => {
        await trx.insertInto("concurrency_rows").values({ owner: "bulk", seq: i }).execute();
        await sleep(1);
        return (await trx.selectFrom("concurrency_rows").select("seq").where("owner", "=", "bulk")
          .where("seq", "=", i).execute()).length;
      })
      : sql<{ one: number }>`select 1 as one`.execute(db).then((r) => r.rows[0]?.one));
    expect(await Promise.all(work)).toEqual(Array.from({ length: 40 }, () => 1));
  });

  it.skipIf(!onPglite)("these checks catch a PGlite dialect that shares its connection without a lock", async () => {
    class SharedConnectionAdapter extends PGliteAdapter {
      override get supportsMultipleConnections(): boolean {
        return true; // tells Kysely not to lock: every caller gets the one connection at once
      }
    }
    class UnlockedPGliteDialect extends PGliteDialect {
      override createAdapter(): PGliteAdapter {
        return new SharedConnectionAdapter();
      }
    }
    // Not destroyed afterwards: that would close the PGlite instance the other handle uses.
    const unlocked = new Kysely<ConcurrencyTables>({ dialect: new UnlockedPGliteDialect({ pglite: handle.pglite! }) });
    const seen = await plainQueryDuringTransaction(unlocked, "unlocked");
    // The plain query ran inside the other caller's transaction: it answered at once and saw the row.
    expect(seen).toEqual({ answeredWhileOpen: true, rowsSeen: 1, visibleAfterRollback: false });
  });
});
