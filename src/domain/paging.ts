import { type SelectQueryBuilder, sql } from "kysely";
import { isRowId } from "./ids.ts";

/** Keyset page bounds on row ids (Mastodon's max_id / since_id / min_id). */
export interface Page {
  maxId?: string;
  sinceId?: string;
  minId?: string;
  limit: number;
}

/**
 * One page of `query`, keyed on the row id `column`: newest first; `max_id`
 * pages go back in time, `since_id` and `min_id` bound from below (`min_id`
 * pages are fetched closest-first, so they read forward, and returned newest
 * first like every page). Never OFFSET: a page costs the same however deep.
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: `${string}.id` | `${string}.post_id`,
  page: Page,
): Promise<O[]> {
  const valid = (id: string | undefined) => (id !== undefined && isRowId(id) ? id : undefined);
  const max = valid(page.maxId), since = valid(page.sinceId), min = valid(page.minId);
  const key = sql.ref(column);
  let q = query;
  if (max) q = q.where(sql<boolean>`${key} < ${max}`);
  if (since) q = q.where(sql<boolean>`${key} > ${since}`);
  if (min) q = q.where(sql<boolean>`${key} > ${min}`);
  const ascending = min !== undefined;
  // The limit is written into the statement, not sent as a parameter: a statement PostgreSQL
  // keeps prepared (src/db/prepared-statements.ts) is planned for any limit otherwise, and
  // that generic plan assumes many rows.
  if (!Number.isSafeInteger(page.limit) || page.limit < 0) throw new RangeError(`not a page size: ${page.limit}`);
  const rows = await q.orderBy(key, ascending ? "asc" : "desc").limit(sql.lit(page.limit)).execute();
  return ascending ? rows.reverse() : rows;
}

/**
 * The newest `page.limit` rows of one source of a timeline, in the page's
 * direction, keyed on `column` (a post id): each source of the home timeline
 * walks its own index and stops after one page, so the union is never more
 * than a page per source however many posts the others have.
 */
export function onePage<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>, column: `${string}.id` | `${string}.post_id`, page: Page): SelectQueryBuilder<DB, TB, O> {
  const key = sql.ref(column);
  const valid = (id: string | undefined) => (id !== undefined && isRowId(id) ? id : undefined);
  const max = valid(page.maxId), since = valid(page.sinceId), min = valid(page.minId);
  let bounded = q;
  if (max) bounded = bounded.where(sql<boolean>`${key} < ${max}`);
  if (since) bounded = bounded.where(sql<boolean>`${key} > ${since}`);
  if (min) bounded = bounded.where(sql<boolean>`${key} > ${min}`);
  return bounded.orderBy(key, min ? "asc" : "desc").limit(page.limit);
}
