/**
 * How lists and follow options shape the home timeline (`timelines.ts`) and
 * the user stream (`post-streams.ts`) alike: an account on one of the
 * viewer's exclusive lists is read in that list only, and a follow may leave
 * the followee's boosts out.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import type { Database } from "../db/schema.ts";

/**
 * A condition on `posts` joined with the viewer's `follows` row of its author:
 * the follow's options let it through (a boost only when boosts are shown; a
 * post in a language the follow does not ask for stays out, one of unknown
 * language is shown).
 */
export const followOptionsAllow: Expression<SqlBool> = sql<SqlBool>`((posts.reblog_of_id is null or follows.show_reblogs)
  and (follows.languages is null or posts.language is null or posts.language = any(follows.languages)))`;

/** A condition on `follows`: the followee is on none of the follower's exclusive lists. */
export function followeeNotInExclusiveList(eb: ExpressionBuilder<Database, "follows">): Expression<SqlBool> {
  return eb.not(eb.exists(eb.selectFrom("list_accounts").innerJoin("lists", "lists.id", "list_accounts.list_id")
    .select(sql.lit(1).as("one"))
    .whereRef("list_accounts.follow_id", "=", "follows.id")
    .whereRef("lists.owner_id", "=", "follows.follower_id")
    .where("lists.exclusive", "=", true)));
}

/**
 * A condition on `posts`: the author is on none of `viewerId`'s exclusive lists.
 * Written as the viewer's exclusive lists, each asked whether it holds the author
 * (nested, so that the author is not compared at the top of the subquery): as a
 * join on the author, the plan PostgreSQL keeps for the prepared statement
 * hashed every account on every list of the instance (test/explain.test.ts,
 * "once prepared").
 */
export function notFromExclusiveListMember(viewerId: string) {
  return (eb: ExpressionBuilder<Database, "posts">): Expression<SqlBool> =>
    eb.not(eb.exists(eb.selectFrom("lists")
      .select(sql.lit(1).as("one"))
      .where("lists.owner_id", "=", viewerId)
      .where("lists.exclusive", "=", true)
      .where((inner) => inner.exists(inner.selectFrom("list_accounts").select(sql.lit(1).as("one"))
        .whereRef("list_accounts.list_id", "=", "lists.id")
        .whereRef("list_accounts.actor_id", "=", "posts.actor_id")))));
}
