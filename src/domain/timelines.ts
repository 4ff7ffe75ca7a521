import { type ExpressionBuilder, type SelectQueryBuilder, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, Post } from "../db/schema.ts";
import { isRowId } from "./ids.ts";
import { keysetPage, type Page } from "./paging.ts";
import { notMutedBy } from "./mutes.ts";
import { followeeNotInExclusiveList, followOptionsAllow, notFromExclusiveListMember } from "./list-rules.ts";
import { fromPubliclyListedServer } from "./policy.ts";
import { visibleTo, visibleToOfAuthor, type Viewer } from "./visibility.ts";

/** The most feed rows one round of homeTimeline reads. */
const MAX_HOME_BATCH = 640;

function run(q: SelectQueryBuilder<Database, "posts", Post>, page: Page): Promise<Post[]> {
  return keysetPage(q, "posts.id", page);
}

/**
 * Why a post is in `actorId`'s home timeline, a condition on `posts`: its
 * own post; a post or boost of an account it follows (the follow accepted,
 * its options letting the post through, the account on none of its exclusive
 * lists); a post that mentions it or is made in a group it is a current
 * member of (the author on none of its exclusive lists).
 */
function inHomeOf(actorId: string) {
  return (eb: ExpressionBuilder<Database, "posts">) => eb.or([
    eb("posts.actor_id", "=", actorId),
    eb.exists(eb.selectFrom("follows").select(sql.lit(1).as("one"))
      .where("follows.follower_id", "=", actorId)
      .whereRef("follows.followee_id", "=", "posts.actor_id")
      .where("follows.state", "=", "accepted")
      .where(followOptionsAllow)
      .where(followeeNotInExclusiveList)),
    eb.and([
      eb.or([
        eb.exists(eb.selectFrom("post_mentions").select(sql.lit(1).as("one"))
          .whereRef("post_mentions.post_id", "=", "posts.id").where("post_mentions.actor_id", "=", actorId)),
        eb.exists(eb.selectFrom("memberships").select(sql.lit(1).as("one"))
          .whereRef("memberships.group_id", "=", "posts.group_id")
          .where("memberships.member_id", "=", actorId).where("memberships.state", "=", "member")),
      ]),
      notFromExclusiveListMember(actorId)(eb),
    ]),
  ]);
}

/**
 * Home: own posts, posts and boosts of accounts followed, posts that mention
 * the viewer, and posts in the groups the viewer is a current member of; all
 * as the visibility rule lets the viewer see them (a post awaiting moderation
 * only when the viewer moderates its group). Read from the viewer's
 * `home_feed` rows (filled as posts arrive, follows are accepted and
 * memberships start; migration 0017), newest first on its primary key: a
 * page costs the same however many posts the instance holds or however long
 * ago the followed accounts posted. The feed is only a list of candidates:
 * every row read is checked again against the visibility rule and the
 * reasons above, so a row that no longer qualifies (unfollowed, left,
 * blocked, deleted) is skipped. Posts and boosts of accounts the viewer
 * mutes stay out, as do the posts of accounts on the viewer's exclusive
 * lists, and the boosts of a followee whose boosts the viewer chose not to see.
 */
export async function homeTimeline(db: Db, actorId: string, page: Page): Promise<Post[]> {
  const viewer: Viewer = { kind: "local", actorId };
  const ascending = page.minId !== undefined && isRowId(page.minId);
  const found: Post[] = [];
  let bounds = page;
  // Candidates are read from the feed's primary key alone, then checked in a second statement
  // by id: the conditions are long, and PostgreSQL planned the single statement that joined both
  // afresh on every page (3-5 ms, six times its run time); checked by an array of ids, it keeps
  // one generic plan (src/db/prepared-statements.ts). A batch larger than the page, doubling
  // while rows fail the check, keeps the round trips few when many do (a muted account's posts).
  for (let batch = page.limit * 2; ; batch = Math.min(batch * 2, MAX_HOME_BATCH)) {
    const candidates = (await keysetPage(
      db.selectFrom("home_feed").select("home_feed.post_id").where("home_feed.owner_id", "=", actorId),
      "home_feed.post_id", { ...bounds, limit: batch },
    )).map((r) => r.post_id);
    if (candidates.length === 0) break;
    const checked = new Map((await db.selectFrom("posts").selectAll("posts")
      .where(sql<boolean>`posts.id = any(${candidates}::bigint[])`)
      .where(visibleTo(viewer))
      .where(notMutedBy(actorId))
      .where(inHomeOf(actorId))
      .execute()).map((p) => [p.id, p]));
    // Candidates come newest first; an ascending page reads its batch closest to min_id first.
    const order = ascending ? [...candidates].reverse() : candidates;
    for (const id of order) {
      const post = checked.get(id);
      if (post) found.push(post);
      if (found.length === page.limit) break;
    }
    if (found.length === page.limit || candidates.length < batch) break;
    const last = order[order.length - 1];
    bounds = ascending ? { ...bounds, minId: last } : { ...bounds, maxId: last };
  }
  return ascending ? found.reverse() : found;
}

/** What was posted in a group (threads and their comments), as `viewer` may see it: the group account's statuses. */
export function groupPosts(db: Db, viewer: Viewer, groupId: string, page: Page, options: { excludeReplies?: boolean; tagged?: string } = {}): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.group_id", "=", groupId)
    .where(visibleTo(viewer));
  if (options.excludeReplies) q = q.where("posts.in_reply_to_id", "is", null).where("posts.in_reply_to_iri", "is", null);
  if (options.tagged !== undefined) q = q.where(carries(options.tagged));
  return run(q, page);
}

/** The post carries hashtag `tag` (lower case): Mastodon's `tagged`. */
function carries(tag: string) {
  return (eb: ExpressionBuilder<Database, "posts">) => eb.exists(eb.selectFrom("post_tags").select(sql.lit(1).as("one"))
    .whereRef("post_tags.post_id", "=", "posts.id").where("post_tags.tag", "=", tag));
}

/** An account's posts as `viewer` may see them (profile, outbox). */
export async function actorPosts(db: Db, viewer: Viewer, actorId: string, page: Page, options: { excludeReplies?: boolean; excludeReblogs?: boolean; tagged?: string } = {}): Promise<Post[]> {
  const visible = await visibleToOfAuthor(db, viewer, actorId);
  if (!visible) return [];
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.actor_id", "=", actorId)
    .where(visible);
  if (options.excludeReplies) q = q.where("posts.in_reply_to_id", "is", null).where("posts.in_reply_to_iri", "is", null);
  if (options.excludeReblogs) q = q.where("posts.reblog_of_id", "is", null);
  if (options.tagged !== undefined) q = q.where(carries(options.tagged));
  return run(q, page);
}

/** How many of an account's posts (boosts included) `viewer` may see: the count beside actorPosts. */
export async function countActorPosts(db: Db, viewer: Viewer, actorId: string): Promise<number> {
  const visible = await visibleToOfAuthor(db, viewer, actorId);
  if (!visible) return 0;
  const row = await db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("posts.actor_id", "=", actorId)
    .where(visible)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Which servers' posts a public timeline shows (Mastodon's `local` and `remote` parameters). */
export type PublicSource = "all" | "local" | "remote";

/** Our posts, or those of publicly listed servers (silenced and blocked ones stay out: federation policy), or both. */
function fromSource(q: SelectQueryBuilder<Database, "posts", Post>, source: PublicSource): SelectQueryBuilder<Database, "posts", Post> {
  if (source === "local") return q.where("posts.local", "=", true);
  const listed = q.where(fromPubliclyListedServer());
  return source === "remote" ? listed.where("posts.local", "=", false) : listed;
}

/** Public timeline: public posts, optionally local or remote only; without the accounts the viewer mutes. */
export function publicTimeline(db: Db, viewer: Viewer, page: Page, source: PublicSource = "all"): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.visibility", "=", "public")
    .where("posts.reblog_of_id", "is", null)
    .where(visibleTo(viewer));
  q = fromSource(q, source);
  if (viewer.kind === "local") q = q.where(notMutedBy(viewer.actorId));
  return run(q, page);
}

/** Which tags a tag timeline asks for: the tag or `any` of these, `all` of these, `none` of these (lower case). */
export interface TagQuery {
  any: readonly string[];
  all: readonly string[];
  none: readonly string[];
}

/**
 * Mastodon's tag timeline: public posts carrying the tags asked for, as the
 * viewer may see them, from the servers the public timeline shows; with
 * `onlyMedia`, those with attachments only.
 */
export function tagTimeline(db: Db, viewer: Viewer, tags: TagQuery, page: Page, options: { source?: PublicSource; onlyMedia?: boolean } = {}): Promise<Post[]> {
  const tagged = (eb: ExpressionBuilder<Database, "posts">, tagList: readonly string[]) => eb.exists(eb.selectFrom("post_tags")
    .select(sql.lit(1).as("one")).whereRef("post_tags.post_id", "=", "posts.id").where("post_tags.tag", "in", tagList));
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.id", "in", (eb) => eb.selectFrom("post_tags").select("post_tags.post_id").where("post_tags.tag", "in", tags.any))
    .where("posts.visibility", "=", "public")
    .where("posts.reblog_of_id", "is", null)
    .where(visibleTo(viewer));
  for (const tag of tags.all) q = q.where((eb) => tagged(eb, [tag]));
  if (tags.none.length > 0) q = q.where((eb) => eb.not(tagged(eb, tags.none)));
  if (viewer.kind === "local") q = q.where(notMutedBy(viewer.actorId));
  if (options.onlyMedia) {
    q = q.where((eb) => eb.exists(eb.selectFrom("post_attachments").select(sql.lit(1).as("one")).whereRef("post_attachments.post_id", "=", "posts.id")));
  }
  q = fromSource(q, options.source ?? "all");
  return run(q, page);
}

/** Direct replies to a post, visible to viewer, oldest first (replies collection). */
export async function replies(db: Db, viewer: Viewer, postId: string, page: { afterId?: string; limit: number }): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.in_reply_to_id", "=", postId)
    .where(visibleTo(viewer));
  if (page.afterId && isRowId(page.afterId)) q = q.where("posts.id", ">", page.afterId);
  return q.orderBy("posts.id", "asc").limit(page.limit).execute();
}

/** Thread around a post: ancestors (root first) and descendants (depth-first by id), all visible to viewer. */
export async function context(db: Db, viewer: Viewer, post: Post): Promise<{ ancestors: Post[]; descendants: Post[] }> {
  const ancestors: Post[] = [];
  let parentId = post.in_reply_to_id;
  const seen = new Set<string>([post.id]);
  while (parentId && ancestors.length < 100 && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = await db.selectFrom("posts").selectAll("posts").where("posts.id", "=", parentId)
      .where(visibleTo(viewer)).executeTakeFirst();
    if (!parent) break;
    ancestors.unshift(parent);
    parentId = parent.in_reply_to_id;
  }
  const descendants: Post[] = [];
  let frontier = [post.id];
  while (frontier.length && descendants.length < 500) {
    const children = await db.selectFrom("posts").selectAll("posts")
      .where("posts.in_reply_to_id", "in", frontier).where(visibleTo(viewer))
      .orderBy("posts.id", "asc").limit(500).execute();
    const fresh = children.filter((c) => !seen.has(c.id));
    fresh.forEach((c) => seen.add(c.id));
    descendants.push(...fresh);
    frontier = fresh.map((c) => c.id);
  }
  descendants.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return { ancestors, descendants };
}
