import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { pinnedAmong } from "./pins.ts";
import { loadPostDetails, type PostDetails } from "./post-details.ts";
import { findActorsByIds } from "./remote-actors.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

/** Everything a client needs to show a page of posts to `viewer`, loaded in a fixed number of queries. */
export interface PostViews {
  /** originals of the boosts on the page that the viewer may see */
  originals: Map<string, Post>;
  details: Map<string, PostDetails>;
  authors: Actor[];
  /** posts the viewer favourited / boosted / bookmarked (local viewers only) */
  liked: Set<string>;
  boosted: Set<string>;
  bookmarked: Set<string>;
  /** posts pinned by their author, when the viewer is that author */
  pinned: Set<string>;
  /** author of each visible parent */
  parentAuthor: Map<string, string>;
  /** replies and boosts the viewer may see, per post */
  replyCounts: Map<string, number>;
  boostCounts: Map<string, number>;
}

export async function loadPostViews(db: Db, viewer: Viewer, posts: Post[]): Promise<PostViews> {
  const me = viewer.kind === "local" ? viewer.actorId : undefined;
  const boostOf = [...new Set(posts.flatMap((p) => (p.reblog_of_id ? [p.reblog_of_id] : [])))];
  const originals = boostOf.length
    ? await db.selectFrom("posts").selectAll("posts").where("posts.id", "in", boostOf).where(visibleTo(viewer)).execute()
    : [];
  const content = [...posts.filter((p) => !p.reblog_of_id), ...originals];
  const contentIds = [...new Set(content.map((p) => p.id))];
  const parentIds = [...new Set(content.flatMap((p) => (p.in_reply_to_id ? [p.in_reply_to_id] : [])))];
  const authorIds = [...new Set([...posts, ...originals].map((p) => p.actor_id))];

  const none = Promise.resolve([]);
  const ownIds = me ? content.filter((p) => p.actor_id === me).map((p) => p.id) : [];
  const [details, liked, boosted, bookmarked, pinned, parents, replyCounts, boostCounts, authors] = await Promise.all([
    loadPostDetails(db, content),
    me && contentIds.length
      ? db.selectFrom("likes").select("post_id").where("actor_id", "=", me).where("post_id", "in", contentIds).execute()
      : none,
    me && contentIds.length
      ? db.selectFrom("posts").select("reblog_of_id").where("actor_id", "=", me).where("reblog_of_id", "in", contentIds)
        .where("deleted_at", "is", null).execute()
      : none,
    me && contentIds.length
      ? db.selectFrom("bookmarks").select("post_id").where("actor_id", "=", me).where("post_id", "in", contentIds).execute()
      : none,
    pinnedAmong(db, ownIds),
    parentIds.length
      ? db.selectFrom("posts").select(["posts.id", "posts.actor_id"]).where("posts.id", "in", parentIds).where(visibleTo(viewer)).execute()
      : none,
    contentIds.length
      ? db.selectFrom("posts").select(["posts.in_reply_to_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("posts.in_reply_to_id", "in", contentIds).where(visibleTo(viewer)).groupBy("posts.in_reply_to_id").execute()
      : none,
    contentIds.length
      ? db.selectFrom("posts").select(["posts.reblog_of_id as id", (eb) => eb.fn.countAll<string>().as("n")])
        .where("posts.reblog_of_id", "in", contentIds).where(visibleTo(viewer)).groupBy("posts.reblog_of_id").execute()
      : none,
    findActorsByIds(db, authorIds),
  ]);
  return {
    originals: new Map(originals.map((p) => [p.id, p])),
    details,
    authors,
    liked: new Set(liked.map((r) => r.post_id)),
    boosted: new Set(boosted.flatMap((r) => (r.reblog_of_id ? [r.reblog_of_id] : []))),
    bookmarked: new Set(bookmarked.map((r) => r.post_id)),
    pinned,
    parentAuthor: new Map(parents.map((r) => [r.id, r.actor_id])),
    replyCounts: new Map(replyCounts.map((r) => [r.id ?? "", Number(r.n)])),
    boostCounts: new Map(boostCounts.map((r) => [r.id ?? "", Number(r.n)])),
  };
}
