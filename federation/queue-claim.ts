import { type Kysely, sql, type Transaction } from "kysely";
import type { Database } from "../src/db/schema.ts";

export interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
}

/**
 * The claim: due, unleased rows of `queue`, oldest first, skipping a row while
 * an earlier row with its ordering key exists; leased to `token` for `leaseMs`.
 */
export function claimStatement(queue: string, limit: number, token: string, leaseMs: number) {
  // Materialized: the rows to claim are chosen (and locked) once, then updated by id.
  return sql<ClaimedRow>`
    with claimable as materialized (
      select c.id from queue_messages as c
      where c.queue = ${queue}
        and c.available_at <= now()
        and (c.locked_until is null or c.locked_until <= now())
        and (c.ordering_key is null or not exists (
          select 1 from queue_messages as e
          where e.queue = c.queue and e.ordering_key = c.ordering_key and e.id < c.id))
      order by c.available_at, c.id
      limit ${limit}
      for update of c skip locked
    )
    update queue_messages as m
    set locked_until = now() + ${leaseMs}::double precision * interval '1 millisecond',
        locked_by = ${token},
        attempts = m.attempts + 1
    from claimable
    where m.id = claimable.id
    returning m.id, m.payload, m.attempts`;
}

/**
 * The queue's table is empty most of the day, so its statistics say so when a
 * fan-out fills it with 10,000 rows within a second. Planned with those, the
 * claim reads every due row, checks each one's ordering key and sorts them all
 * to return the first few (68 ms at 10,000 rows, growing with the backlog)
 * instead of walking `queue_messages_ready` in order and stopping at `limit`
 * (0.8 ms). The walk is right whatever the statistics say: this transaction
 * takes the planner's other ways away.
 */
export async function withClaimPlan<T>(db: Kysely<Database>, run: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true),
      set_config('enable_sort', 'off', true)`.execute(trx);
    return run(trx);
  });
}

/** Claims up to `limit` messages of `queue` for `token`. */
export async function claimRows(db: Kysely<Database>, queue: string, limit: number, token: string, leaseMs: number): Promise<ClaimedRow[]> {
  const result = await withClaimPlan(db, (trx) => claimStatement(queue, limit, token, leaseMs).execute(trx));
  return result.rows;
}
