/**
 * Timeline pages at national scale (issue 10): 1,000,000 posts of 10,000
 * remote accounts, 500,000 follows among them, 50 remote groups with five
 * memberships per account; three local people: `reader` follows 200 active
 * accounts and is a member of five groups, `quiet` follows 200 accounts that
 * posted long ago only, `solo` follows nobody. Every page is read through
 * the Mastodon API (app.request, no HTTP listener) with one database
 * connection, and p50/p95/p99 are printed per page.
 *
 *   node_modules/.bin/node bench/timeline-queries.ts seed   (drops and refills the database, minutes)
 *   node_modules/.bin/node bench/timeline-queries.ts        (reads; RUNS=n per page, default 60)
 *
 * The database is BENCH_DATABASE_URL, by default plein_bench_timelines on
 * the test server (created when missing).
 */
import pg from "pg";
import { sql } from "kysely";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { createUser } from "../src/domain/accounts.ts";
import { issueToken } from "../src/domain/tokens.ts";
import { startPlein } from "../src/server.ts";
import { installTemporal } from "../src/temporal.ts";

installTemporal();

const ADMIN_URL = "postgres://plein:plein@127.0.0.1:5432/plein_test";
const DATABASE = "plein_bench_timelines";
const URL_ = process.env.BENCH_DATABASE_URL ?? `postgres://plein:plein@127.0.0.1:5432/${DATABASE}`;
const ORIGIN = "https://plein.bench";
const ACTORS = 10_000;
const GROUPS = 50;
const POSTS = 1_000_000;
/** the last QUIET accounts posted only the oldest QUIET_POSTS posts */
const QUIET = 200;
const QUIET_POSTS = 20_000;
const RUNS = Number(process.env.RUNS || 60);

// TRACE=1: print each statement a page sends and its time (the slowest first), once per page.
const trace: Array<{ ms: number; text: string }> = [];
if (process.env.TRACE) {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const started = performance.now();
    const result = query.apply(this, args);
    const config = args[0] as string | { text: string };
    if (result instanceof Promise) {
      void result.finally(() => trace.push({ ms: performance.now() - started, text: typeof config === "string" ? config : config.text }));
    }
    return result;
  };
}

async function ensureDatabase(fresh: boolean): Promise<void> {
  if (process.env.BENCH_DATABASE_URL) return;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    if (fresh) await admin.query(`drop database if exists ${DATABASE}`);
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
}

async function start() {
  const database = await openDatabase({ databaseUrl: URL_, poolSize: 1 });
  const running = await startPlein(
    loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", LOG_LEVEL: "error", PLEIN_RATE_LIMIT: "0", DATABASE_URL: URL_ }),
    { database, listen: false, role: "web" },
  );
  return running;
}

async function seed(): Promise<void> {
  await ensureDatabase(true);
  const running = await start();
  const { db } = running.deps;
  const t0 = performance.now();
  const reader = await createUser(db, running.config.origin, { username: "reader", email: "reader@bench.example", password: "correct horse battery" });
  const quiet = await createUser(db, running.config.origin, { username: "quiet", email: "quiet@bench.example", password: "correct horse battery" });
  await createUser(db, running.config.origin, { username: "solo", email: "solo@bench.example", password: "correct horse battery" });
  await sql`
    insert into actors (iri, type, username, domain, local, display_name, inbox_url)
    select 'https://r' || (i % 100) || '.example/users/u' || i, case when i < ${ACTORS} then 'Person' else 'Group' end,
           'u' || i, 'r' || (i % 100) || '.example', false, 'U ' || i, 'https://r' || (i % 100) || '.example/users/u' || i || '/inbox'
    from generate_series(0, ${ACTORS + GROUPS - 1}) as i`.execute(db);
  const { rows: [range] } = await sql<{ first: string }>`select min(id) as first from actors where username = 'u0'`.execute(db);
  const first = range!.first;
  const groupFirst = BigInt(first) + BigInt(ACTORS);
  // Oldest first: the quiet accounts' posts, then everybody else's; every 20th in a group (half of them closed).
  await sql`
    insert into posts (iri, url, actor_id, local, type, visibility, content_html, published_at, group_id, language)
    select 'https://r' || (i % 100) || '.example/objects/' || i, null,
           ${first}::bigint + case when i < ${QUIET_POSTS} then ${ACTORS - QUIET} + i % ${QUIET} else i % ${ACTORS - QUIET} end,
           false, 'Note',
           case when i % 20 = 0 and (i / 20) % 2 = 1 then 'group'
                else (array['public', 'public', 'public', 'public', 'public', 'public', 'unlisted', 'unlisted', 'followers', 'direct'])[1 + i % 10] end,
           '<p>post ' || i || '</p>', now() - (${POSTS} - i) * interval '10 seconds',
           case when i % 20 = 0 then ${groupFirst.toString()}::bigint + (i / 20) % ${GROUPS} end,
           'nl'
    from generate_series(0, ${POSTS - 1}) as i`.execute(db);
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri)
    select ${first}::bigint + i % ${ACTORS}, ${first}::bigint + (i % ${ACTORS} + 1 + i / ${ACTORS} * 7) % ${ACTORS}, 'accepted',
           'https://r' || (i % 100) || '.example/follows/' || i
    from generate_series(0, ${ACTORS * 50 - 1}) as i`.execute(db);
  await sql`
    insert into memberships (group_id, member_id, state)
    select ${groupFirst.toString()}::bigint + (i % ${ACTORS} + i / ${ACTORS} * 11) % ${GROUPS}, ${first}::bigint + i % ${ACTORS}, 'member'
    from generate_series(0, ${ACTORS * 5 - 1}) as i`.execute(db);
  // reader: 200 active accounts and five groups; quiet: the 200 quiet accounts.
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri)
    select ${reader.id}::bigint, ${first}::bigint + i * 37, 'accepted', '${sql.raw(ORIGIN)}/follows/r' || i from generate_series(0, 199) as i`.execute(db);
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri)
    select ${quiet.id}::bigint, ${first}::bigint + ${ACTORS - QUIET} + i, 'accepted', '${sql.raw(ORIGIN)}/follows/q' || i from generate_series(0, ${QUIET - 1}) as i`.execute(db);
  await sql`
    insert into memberships (group_id, member_id, state)
    select ${groupFirst.toString()}::bigint + i, ${reader.id}::bigint, 'member' from generate_series(0, 4) as i`.execute(db);
  await sql`vacuum analyze`.execute(db);
  console.log(`seeded in ${Math.round((performance.now() - t0) / 1000)} s`);
  await running.close();
  await running.database.close();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function measure(): Promise<void> {
  await ensureDatabase(false);
  const running = await start();
  const { db } = running.deps;
  const actor = (name: string) => db.selectFrom("actors").selectAll().where("local", "=", true).where("username", "=", name).executeTakeFirstOrThrow();
  const [reader, quiet, solo] = await Promise.all([actor("reader"), actor("quiet"), actor("solo")]);
  const tokens = {
    reader: await issueToken(db, reader, ["read"]),
    quiet: await issueToken(db, quiet, ["read"]),
    solo: await issueToken(db, solo, ["read"]),
  };
  const someone = await db.selectFrom("actors").select("id").where("username", "=", "u37").executeTakeFirstOrThrow();
  const group = await db.selectFrom("actors").select("id").where("username", "=", `u${ACTORS}`).executeTakeFirstOrThrow();
  const get = async (path: string, token?: string) => {
    const res = await running.app.request(new URL(path, ORIGIN).href, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return JSON.parse(body) as Array<{ id: string }>;
  };
  // A deep page: 50,000 rows into reader's home (found once, by walking max_id).
  const { rows: [deep] } = await sql<{ id: string }>`select id from posts order by id desc offset 50000 limit 1`.execute(db);
  const pages: Array<[string, string, string | undefined]> = [
    ["home, first page", "/api/v1/timelines/home", tokens.reader],
    ["home, deep page (max_id)", `/api/v1/timelines/home?max_id=${deep!.id}`, tokens.reader],
    ["home, follows quiet accounts", "/api/v1/timelines/home", tokens.quiet],
    ["home, follows nobody", "/api/v1/timelines/home", tokens.solo],
    ["public, local", "/api/v1/timelines/public?local=true", tokens.reader],
    ["public", "/api/v1/timelines/public", tokens.reader],
    ["account statuses", `/api/v1/accounts/${someone.id}/statuses`, tokens.reader],
    ["group statuses", `/api/v1/accounts/${group.id}/statuses`, tokens.reader],
  ];
  const results: Record<string, { p50: number; p95: number; p99: number; rows: number }> = {};
  for (const [name, path, token] of pages) {
    const rows = (await get(path, token)).length;
    for (let i = 0; i < 3; i++) await get(path, token);
    if (process.env.TRACE) {
      trace.length = 0;
      await get(path, token);
      console.log(`--- ${name}`);
      for (const t of [...trace].sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`${t.ms.toFixed(1).padStart(7)} ms  ${t.text.slice(0, 300)}`);
    }
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await get(path, token);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const r = (n: number) => Math.round(n * 10) / 10;
    results[name] = { p50: r(percentile(times, 50)), p95: r(percentile(times, 95)), p99: r(percentile(times, 99)), rows };
    console.log(`${name.padEnd(32)} p50 ${String(results[name].p50).padStart(7)} ms  p95 ${String(results[name].p95).padStart(7)} ms  p99 ${String(results[name].p99).padStart(7)} ms  (${rows} statuses)`);
  }
  await running.close();
  await running.database.close();
}

if (process.argv[2] === "seed") await seed();
else await measure();
