/**
 * Purging what we hold from a blocked domain (`plein federation block DOMAIN
 * --purge`, or `purge: true` in the API): the posts its actors wrote (boosts
 * included, and with them what hangs off those posts: mentions, tags,
 * attachments, likes, notifications, boosts of them), the likes its actors
 * gave, the follows between its actors and anyone, the memberships of its
 * actors in our groups and of our people in its groups, and the
 * notifications its actors caused. Counters on the posts left behind are
 * lowered as a Delete or an Undo would. The actors themselves stay (a local
 * person's block of one, a report about one, keep their meaning), and
 * nothing is sent anywhere: the domain is blocked.
 *
 * Posts go in batches of PURGE_BATCH, each batch a transaction of its own,
 * so a domain with a hundred thousand posts never holds locks for long;
 * relations then go in one last transaction. It is safe to run again: each
 * step deletes what is still there.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import { invalid } from "./errors.ts";
import { actorOnPattern, type DomainPattern, type DomainRule, type RuleInput, setDomainRule } from "./policy.ts";

export const PURGE_BATCH = 500;

export interface PurgeCounts {
  posts: number;
  likes: number;
  follows: number;
  memberships: number;
  notifications: number;
}

/** Remote actors on the servers `pattern` names, as a subquery of ids. */
function actorsOn(db: Db, pattern: DomainPattern) {
  return db.selectFrom("actors as a").select("a.id").where("a.local", "=", false).where(actorOnPattern(pattern));
}

async function purgePostBatch(db: Db, pattern: DomainPattern): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const batch = await trx.selectFrom("posts").select(["id", "in_reply_to_id", "reblog_of_id", "deleted_at"])
      .where("actor_id", "in", actorsOn(trx, pattern)).orderBy("id").limit(PURGE_BATCH).forUpdate().execute();
    if (batch.length === 0) return 0;
    const ids = batch.map((p) => p.id);
    const gone = new Set(ids);
    // What a Delete of each would have lowered, on the posts that stay.
    const live = batch.filter((p) => p.deleted_at === null);
    const lower = async (column: "replies_count" | "reblogs_count", parents: Array<string | null>) => {
      const counts = new Map<string, number>();
      for (const id of parents) if (id !== null && !gone.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const [id, n] of counts) {
        await trx.updateTable("posts").set({ [column]: sql`greatest(${sql.ref(column)} - ${n}, 0)` }).where("id", "=", id).execute();
      }
    };
    await lower("replies_count", live.filter((p) => !p.reblog_of_id).map((p) => p.in_reply_to_id));
    await lower("reblogs_count", live.map((p) => p.reblog_of_id));
    await trx.deleteFrom("posts").where("id", "in", ids).execute();
    return ids.length;
  });
}

/** Removes what we hold from the servers `pattern` names (see above). */
export async function purgeDomain(db: Db, pattern: DomainPattern): Promise<PurgeCounts> {
  let posts = 0;
  for (let n = await purgePostBatch(db, pattern); n > 0; n = await purgePostBatch(db, pattern)) posts += n;
  return db.transaction().execute(async (trx) => {
    const likes = await trx.deleteFrom("likes").where("actor_id", "in", actorsOn(trx, pattern))
      .returning("post_id").execute();
    const likeCounts = new Map<string, number>();
    for (const l of likes) likeCounts.set(l.post_id, (likeCounts.get(l.post_id) ?? 0) + 1);
    for (const [id, n] of likeCounts) {
      await trx.updateTable("posts").set({ likes_count: sql`greatest(likes_count - ${n}, 0)` }).where("id", "=", id).execute();
    }
    const follows = await trx.deleteFrom("follows").where((eb) => eb.or([
      eb("follower_id", "in", actorsOn(trx, pattern)),
      eb("followee_id", "in", actorsOn(trx, pattern)),
    ])).executeTakeFirst();
    const memberships = await trx.deleteFrom("memberships").where((eb) => eb.or([
      eb("member_id", "in", actorsOn(trx, pattern)),
      eb("group_id", "in", actorsOn(trx, pattern)),
    ])).executeTakeFirst();
    const notifications = await trx.deleteFrom("notifications").where("actor_id", "in", actorsOn(trx, pattern))
      .executeTakeFirst();
    return {
      posts,
      likes: likes.length,
      follows: Number(follows.numDeletedRows),
      memberships: Number(memberships.numDeletedRows),
      notifications: Number(notifications.numDeletedRows),
    };
  });
}

/**
 * Sets a domain's rule and, with `purge` (only with a block), removes what we
 * hold from it: what the federation API and the admin page both do.
 */
export async function setDomainRuleAndPurge(
  db: Db, ownHost: string, pattern: DomainPattern, input: RuleInput & { purge: boolean },
): Promise<{ rule: DomainRule; purged?: PurgeCounts }> {
  if (input.purge && input.action !== "block") throw invalid("purge goes with action block");
  const rule = await setDomainRule(db, ownHost, pattern, { action: input.action, ...(input.comment === undefined ? {} : { comment: input.comment }) });
  return input.purge ? { rule, purged: await purgeDomain(db, pattern) } : { rule };
}
