/**
 * A list's timeline: the posts and boosts of the accounts on it, as the
 * list's owner may see them (the visibility rule: a closed group's post never
 * reaches a non-member through a list), without what the owner mutes, nor
 * boosts of a followee whose boosts the owner hides; replies as the list's
 * `replies_policy` says. The live `list` stream asks the same question of
 * one post (`inListTimeline`).
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, Post } from "../db/schema.ts";
import { followOptionsAllow } from "./list-rules.ts";
import type { List } from "./lists.ts";
import { notMutedBy } from "./mutes.ts";
import { keysetPage, onePage, type Page } from "./paging.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

type PostsEb = ExpressionBuilder<Database, "posts">;

/**
 * Mastodon's rule for replies in lists: a post that is no reply, or answers
 * its own author or the list's owner, is always in; a reply to someone else
 * only with `followed` (someone the owner follows) or `list` (someone on the
 * list). A reply to a post we do not have answers someone we cannot name:
 * it stays out.
 */
function repliesAllowed(list: List) {
  return (eb: PostsEb): Expression<SqlBool> => {
    const parentAuthorOk = (parent: ExpressionBuilder<Database & { parent: Database["posts"] }, "parent">) => {
      const options: Expression<SqlBool>[] = [
        parent(sql.ref("parent.actor_id"), "=", sql.ref("posts.actor_id")),
        parent("parent.actor_id", "=", list.ownerId),
      ];
      if (list.repliesPolicy === "followed") {
        options.push(parent.exists(parent.selectFrom("follows").select(sql.lit(1).as("one"))
          .where("follows.follower_id", "=", list.ownerId).whereRef("follows.followee_id", "=", "parent.actor_id")
          .where("follows.state", "=", "accepted")));
      } else if (list.repliesPolicy === "list") {
        options.push(parent.exists(parent.selectFrom("list_accounts").select(sql.lit(1).as("one"))
          .where("list_accounts.list_id", "=", list.id).whereRef("list_accounts.actor_id", "=", "parent.actor_id")));
      }
      return parent.or(options);
    };
    return eb.or([
      eb.and([eb("posts.in_reply_to_id", "is", null), eb("posts.in_reply_to_iri", "is", null)]),
      eb.exists(eb.selectFrom("posts as parent").select(sql.lit(1).as("one"))
        .whereRef("parent.id", "=", "posts.in_reply_to_id")
        .where(parentAuthorOk)),
    ]);
  };
}

/** What of a list member's posts the owner reads in the list (beside the member being on it). */
function listed(list: List, options: { evenDeleted?: boolean } = {}) {
  const viewer: Viewer = { kind: "local", actorId: list.ownerId };
  const visible = visibleTo(viewer, options);
  const unmuted = notMutedBy(list.ownerId);
  const replies = repliesAllowed(list);
  return (eb: PostsEb): Expression<SqlBool> => eb.and([visible(eb), unmuted(eb), replies(eb)]);
}

/** A page of the list's timeline (one page per member, then the union paged once more, as the home timeline). */
export function listTimeline(db: Db, list: List, page: Page): Promise<Post[]> {
  const seen = listed(list);
  const q = db.selectFrom("posts").selectAll("posts")
    .where("posts.id", "in", (eb) => eb.selectFrom("list_accounts")
      .innerJoin("follows", "follows.id", "list_accounts.follow_id")
      .innerJoinLateral((lateral) => onePage(lateral.selectFrom("posts").select("posts.id")
        .whereRef("posts.actor_id", "=", "list_accounts.actor_id")
        .where(seen)
        .where(followOptionsAllow), "posts.id", page).as("l"), (join) => join.onTrue())
      .select("l.id")
      .where("list_accounts.list_id", "=", list.id));
  return keysetPage(q, "posts.id", page);
}

/** Is the post in the list's timeline (the live `list` stream)? */
export async function inListTimeline(db: Db, list: List, postId: string, options: { evenDeleted?: boolean } = {}): Promise<boolean> {
  const row = await db.selectFrom("posts").select("posts.id")
    .where("posts.id", "=", postId)
    .where(listed(list, options))
    .where((eb) => eb.exists(eb.selectFrom("list_accounts")
      .innerJoin("follows", "follows.id", "list_accounts.follow_id")
      .select(sql.lit(1).as("one"))
      .where("list_accounts.list_id", "=", list.id)
      .whereRef("list_accounts.actor_id", "=", "posts.actor_id")
      .where(followOptionsAllow)))
    .executeTakeFirst();
  return row !== undefined;
}
