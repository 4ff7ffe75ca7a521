import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * Named (prepared) statements for the queries Plein runs again and again.
 *
 * PostgreSQL plans an unnamed statement on every execution, and the
 * visibility rule makes Plein's reads long: planning a home-timeline page took
 * 5.4 ms (11 ms at p95) against 0.5 ms to run it, and planning was most of a
 * page's database time (bench/timelines.ts with the server's statement log).
 * A named statement is parsed once per connection, and after five executions
 * PostgreSQL keeps a generic plan when it costs no more than the custom ones.
 *
 * Bounded, because every prepared statement holds memory in its backend and
 * Kysely writes a different text for every length of an `in (...)` list: a
 * text is prepared only once this process has run it HOT_AFTER times, each
 * connection prepares at most PER_CONNECTION texts (the rest run unnamed), and
 * the pool retires a connection after a number of uses (`maxUses`), which
 * frees its statements.
 */
export const HOT_AFTER = 3;
export const PER_CONNECTION = 200;
const SEEN_LIMIT = 5_000;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * A pattern match can use an index only when the planner sees the pattern (a
 * prefix search): a generic plan, made for any pattern, reads the whole table.
 */
const NEEDS_ITS_VALUES = /\b(i?like|similar to)\b|~/i;
/**
 * The queue's table goes from empty to tens of thousands of rows within a
 * second when a post fans out. A generic plan made while it was empty (a
 * worker polls an empty queue all day) costs nothing and scans everything:
 * a claim with nested sequential scans took 5 s a time at 10,000 messages
 * and held deliveries up until autovacuum's ANALYZE replaced the plan
 * (bench/fanout.ts with WORKERS=2). Planned each time, with the table's size
 * as it is then.
 */
const SIZE_SWINGS = /\bqueue_messages\b/i;

/** Would the pool prepare this text once it is hot? (test/explain.test.ts checks those plans.) */
export function preparable(text: string): boolean {
  return PREPARABLE.test(text) && !NEEDS_ITS_VALUES.test(text) && !SIZE_SWINGS.test(text);
}

/** How often each text has run in this process (forgotten wholesale when it grows past SEEN_LIMIT). */
const seen = new Map<string, number>();
/** Statement name by text, for the texts that are hot. */
const names = new Map<string, string>();

function nameFor(text: string): string | undefined {
  const known = names.get(text);
  if (known) return known;
  const count = (seen.get(text) ?? 0) + 1;
  if (count < HOT_AFTER) {
    if (seen.size >= SEEN_LIMIT) seen.clear();
    seen.set(text, count);
    return undefined;
  }
  seen.delete(text);
  if (names.size >= SEEN_LIMIT) names.clear();
  const name = `plein_${createHash("sha1").update(text).digest("base64url")}`;
  names.set(text, name);
  return name;
}

type QueryFunction = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** PostgreSQL's answer to a prepared statement whose tables changed shape under it (a migration ran). */
function isStalePlan(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "0A000" && /cached plan/.test(error.message);
}

/**
 * Makes `client` run Kysely's hot statements as named ones. Kysely calls
 * `query(text, values)`; everything else (a config object, a cursor, a
 * callback) passes through untouched.
 */
export function prepareHotStatements(client: pg.PoolClient): void {
  const prepared = new Set<string>();
  // Statements this connection can no longer run by name: a migration changed what
  // `select *` returns. That one execution fails (and its transaction, which is
  // retried as any failed one); from then on the text runs unnamed here.
  const stale = new Set<string>();
  const target = client as unknown as { query: QueryFunction };
  const query = target.query.bind(client) as QueryFunction;
  target.query = (config, values, callback) => {
    if (typeof config !== "string" || !Array.isArray(values) || callback !== undefined || !preparable(config)) {
      return query(config, values, callback);
    }
    const name = nameFor(config);
    if (name === undefined || stale.has(name) || (!prepared.has(name) && prepared.size >= PER_CONNECTION)) {
      return query(config, values);
    }
    prepared.add(name);
    return (query({ name, text: config, values }) as Promise<unknown>).catch((error: unknown) => {
      if (isStalePlan(error)) stale.add(name);
      throw error;
    });
  };
}
