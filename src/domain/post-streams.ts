/**
 * Which live timelines a post belongs in (the streaming API's question),
 * always together with the visibility rule: a post is shown in a stream only
 * to a viewer `visibleTo` lets see it. Deleted posts are asked about as they
 * were (`evenDeleted`), to tell those who saw them that they are gone.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Post } from "../db/schema.ts";
import { isRowId } from "./ids.ts";
import { notFromExclusiveListMember, followOptionsAllow } from "./list-rules.ts";
import { inListTimeline } from "./list-timeline.ts";
import { ownedList } from "./lists.ts";
import { notMutedBy } from "./mutes.ts";
import { fromPubliclyListedServer } from "./policy.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface PostStreamFacts {
  post: Post;
  /** belongs on the public timelines (public scope, not a boost, from a publicly listed server) */
  publiclyListed: boolean;
  /** lower-cased hashtags */
  tags: string[];
}

/** The post (deleted or not) and where it is listed; undefined when it does not exist. */
export async function postStreamFacts(db: Db, postId: string): Promise<PostStreamFacts | undefined> {
  if (!isRowId(postId)) return undefined;
  const row = await db.selectFrom("posts").selectAll("posts")
    .select(sql<boolean>`posts.visibility = 'public' and posts.reblog_of_id is null and ${fromPubliclyListedServer()}`.as("publicly_listed"))
    .where("posts.id", "=", postId).executeTakeFirst();
  if (!row) return undefined;
  const { publicly_listed, ...post } = row;
  const tags = await db.selectFrom("post_tags").select("tag").where("post_id", "=", postId).execute();
  return { post, publiclyListed: publicly_listed, tags: tags.map((t) => t.tag.toLowerCase()) };
}

/**
 * Is the post in `actorId`'s home timeline (as `homeTimeline` composes it: own,
 * followed authors and boosters (boosts only when shown), mentions, groups of
 * which they are a current member; nothing of an account on one of their
 * exclusive lists) and may they see it?
 */
export async function inHomeTimelineOf(db: Db, actorId: string, postId: string, options: { evenDeleted?: boolean } = {}): Promise<boolean> {
  const viewer: Viewer = { kind: "local", actorId };
  const row = await db.selectFrom("posts").select("posts.id")
    .where("posts.id", "=", postId)
    .where(visibleTo(viewer, options))
    // As the home timeline: nothing of (or boosted from) an account one mutes.
    .where(notMutedBy(actorId))
    .where((eb) => eb.or([
      eb("posts.actor_id", "=", actorId),
      eb.and([notFromExclusiveListMember(actorId)(eb), eb.or([
        eb.exists(eb.selectFrom("follows").select(sql.lit(1).as("one"))
          .whereRef("follows.followee_id", "=", "posts.actor_id")
          .where("follows.follower_id", "=", actorId).where("follows.state", "=", "accepted")
          .where(followOptionsAllow)),
        eb.exists(eb.selectFrom("post_mentions").select(sql.lit(1).as("one"))
          .whereRef("post_mentions.post_id", "=", "posts.id").where("post_mentions.actor_id", "=", actorId)),
        eb.exists(eb.selectFrom("memberships").select(sql.lit(1).as("one"))
          .whereRef("memberships.group_id", "=", "posts.group_id")
          .where("memberships.member_id", "=", actorId).where("memberships.state", "=", "member")),
      ])]),
    ]))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * May `viewer` be streamed the post on a public or hashtag stream: the
 * visibility rule and, when signed in, not of an account the viewer mutes
 * (as the public and tag timelines leave those out).
 */
export async function inPublicStreamOf(db: Db, viewer: Viewer, postId: string, options: { evenDeleted?: boolean } = {}): Promise<boolean> {
  let q = db.selectFrom("posts").select("posts.id").where("posts.id", "=", postId).where(visibleTo(viewer, options));
  if (viewer.kind === "local") q = q.where(notMutedBy(viewer.actorId));
  return (await q.executeTakeFirst()) !== undefined;
}

/** Is the post in the timeline of `listId`, a list of `ownerId`'s (the live `list` stream)? */
export async function inListTimelineOf(db: Db, ownerId: string, listId: string, postId: string, options: { evenDeleted?: boolean } = {}): Promise<boolean> {
  const list = await ownedList(db, ownerId, listId);
  return list !== undefined && inListTimeline(db, list, postId, options);
}
