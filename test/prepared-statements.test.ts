/**
 * Plein's PostgreSQL pool runs the statements it repeats as named (prepared)
 * ones, so PostgreSQL need not plan the long visibility conditions on every
 * page (src/db/prepared-statements.ts). PGlite has one in-process connection
 * and no planning round trip: PostgreSQL only.
 */
import { sql } from "kysely";
import { expect, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { HOT_AFTER, PER_CONNECTION } from "../src/db/prepared-statements.ts";
import { testDatabaseUrl } from "./support/db.ts";

const schema = `prepared_${process.pid}`;

async function withOneConnection(test: (handle: Awaited<ReturnType<typeof openDatabase>>) => Promise<void>): Promise<void> {
  const setup = await openDatabase({ databaseUrl: testDatabaseUrl!, poolSize: 1 });
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(setup.db);
  await sql`create schema ${sql.id(schema)}`.execute(setup.db);
  await setup.close();
  const handle = await openDatabase({ databaseUrl: testDatabaseUrl!, poolSize: 1, searchPath: schema });
  try {
    await sql`create table things (id int primary key, name text not null)`.execute(handle.db);
    await sql`insert into things values (1, 'een'), (2, 'twee')`.execute(handle.db);
    await test(handle);
  } finally {
    await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
    await handle.close();
  }
}

const preparedTexts = async (handle: Awaited<ReturnType<typeof openDatabase>>) =>
  (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(handle.db)).rows;

it.skipIf(!testDatabaseUrl)("a statement run often enough is prepared once on its connection and answers as before", async () => {
  await withOneConnection(async (handle) => {
    const byId = (id: number) => handle.db.selectFrom("things" as never).select(sql<string>`name`.as("name")).where(sql<boolean>`id = ${id}`).execute();
    const answers: unknown[] = [];
    for (let i = 0; i < HOT_AFTER - 1; i++) answers.push(await byId(1));
    expect((await preparedTexts(handle)).filter((r) => r.statement.includes("things"))).toEqual([]);
    for (let i = 0; i < 3; i++) answers.push(await byId(i % 2 === 0 ? 2 : 1));
    const prepared = (await preparedTexts(handle)).filter((r) => r.statement.includes("things"));
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^plein_/);
    expect(answers).toEqual([[{ name: "een" }], [{ name: "een" }], [{ name: "twee" }], [{ name: "een" }], [{ name: "twee" }]].slice(0, answers.length));
  });
});

it.skipIf(!testDatabaseUrl)("a pattern match is never prepared: a generic plan cannot use a prefix index", async () => {
  await withOneConnection(async (handle) => {
    for (let i = 0; i < HOT_AFTER + 3; i++) {
      const rows = await handle.db.selectFrom("things" as never).select(sql<string>`name`.as("name"))
        .where(sql<boolean>`name like ${"tw%"}`).execute();
      expect(rows).toEqual([{ name: "twee" }]);
    }
    expect((await preparedTexts(handle)).filter((r) => r.statement.includes("things"))).toEqual([]);
  });
});

it.skipIf(!testDatabaseUrl)("a connection prepares at most PER_CONNECTION texts; the rest still run, unnamed", async () => {
  await withOneConnection(async (handle) => {
    const distinct = PER_CONNECTION + 20;
    for (let n = 1; n <= distinct; n++) {
      // A different text for every n: an `in` list n long.
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      for (let i = 0; i < HOT_AFTER + 1; i++) {
        const rows = await handle.db.selectFrom("things" as never).select(sql<number>`id`.as("id"))
          .where(sql<boolean>`id in (${sql.join(ids)})`).orderBy(sql`id`).execute();
        expect(rows.map((r) => r.id)).toEqual([1, 2].slice(0, n));
      }
    }
    const count = (await preparedTexts(handle)).filter((r) => r.statement.includes("things")).length;
    expect(count).toBeLessThanOrEqual(PER_CONNECTION);
    expect(count).toBeGreaterThan(PER_CONNECTION / 2);
  });
});

it.skipIf(!testDatabaseUrl)("after a migration changes a table under a prepared `select *`, one execution fails and the next ones answer", async () => {
  await withOneConnection(async (handle) => {
    const all = () => handle.db.selectFrom("things" as never).selectAll().where(sql<boolean>`id = ${1}`).execute();
    for (let i = 0; i < HOT_AFTER + 2; i++) expect(await all()).toEqual([{ id: 1, name: "een" }]);
    expect((await preparedTexts(handle)).some((r) => r.statement.includes("things"))).toBe(true);
    await sql`alter table things add column note text`.execute(handle.db);
    await expect(all()).rejects.toThrow(/cached plan/);
    expect(await all()).toEqual([{ id: 1, name: "een", note: null }]);
    expect(await all()).toEqual([{ id: 1, name: "een", note: null }]);
  });
});
