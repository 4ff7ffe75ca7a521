/**
 * What has happened under posts as a viewer may see it: how many comments
 * (replies at any depth) and when the last one came. Discussions, blog posts
 * and questions show these.
 */
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { visibleTo, type Viewer } from "../../domain/visibility.ts";

export interface ThreadStats {
  /** comments at any depth that the viewer may see */
  comments: number;
  /** the post's own time (its last edit) or its newest visible comment's, whichever is later */
  lastActivity: Date;
}

export async function threadStats(db: Db, viewer: Viewer, posts: readonly Post[]): Promise<Map<string, ThreadStats>> {
  const stats = new Map<string, ThreadStats>(posts.map((p) => [p.id, {
    comments: 0,
    lastActivity: p.edited_at && p.edited_at > p.published_at ? p.edited_at : p.published_at,
  }]));
  if (posts.length === 0) return stats;
  const rows = await db
    // UNION (not UNION ALL) keeps each (thread, post) pair once: a loop of
    // replies (two remote posts naming each other as parent) ends.
    .withRecursive("thread(root_id, id)", (qb) => qb.selectFrom("posts")
      .select(["posts.id as root_id", "posts.id as id"])
      .where("posts.id", "in", posts.map((p) => p.id))
      .union((qb2) => qb2.selectFrom("posts")
        .innerJoin("thread", "thread.id", "posts.in_reply_to_id")
        .select(["thread.root_id", "posts.id"])))
    .selectFrom("posts")
    .innerJoin("thread", "thread.id", "posts.id")
    .whereRef("thread.id", "!=", "thread.root_id")
    .where(visibleTo(viewer))
    .select((eb) => ["thread.root_id", eb.fn.count<string>("posts.id").distinct().as("comments"), eb.fn.max("posts.published_at").as("latest")])
    .groupBy("thread.root_id")
    .execute();
  for (const row of rows) {
    const s = stats.get(row.root_id);
    if (!s) continue;
    s.comments = Number(row.comments);
    const latest = new Date(row.latest);
    if (latest > s.lastActivity) s.lastActivity = latest;
  }
  return stats;
}

/** JSON Schemas of `threadFields`, for the OpenAPI document. */
export const THREAD_FIELDS = {
  comments_count: { type: "integer", description: "comments at any depth that the caller may see" },
  last_activity_at: { type: "string", format: "date-time", description: "the post's last edit or its newest visible comment, whichever is later" },
} as const;

/** `comments_count` and `last_activity_at` of each post, as the API shows them. */
export async function threadFields(db: Db, posts: readonly Post[], viewer: Viewer): Promise<Map<string, Record<string, unknown>>> {
  const stats = await threadStats(db, viewer, posts);
  return new Map([...stats].map(([id, s]) => [id, { comments_count: s.comments, last_activity_at: s.lastActivity.toISOString() }]));
}
