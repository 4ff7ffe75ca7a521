import type { SelectQueryBuilder } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, Post } from "../db/schema.ts";
import { isRowId } from "./ids.ts";
import { keysetPage, type Page } from "./paging.ts";
import { fromPubliclyListedServer } from "./policy.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

function run(q: SelectQueryBuilder<Database, "posts", Post>, page: Page): Promise<Post[]> {
  return keysetPage(q, "posts.id", page);
}

/** Home: own posts, posts and boosts of accounts followed, and posts that mention the viewer. */
export function homeTimeline(db: Db, actorId: string, page: Page): Promise<Post[]> {
  const viewer: Viewer = { kind: "local", actorId };
  const q = db.selectFrom("posts").selectAll("posts")
    .where(visibleTo(viewer))
    .where((eb) => eb.or([
      eb("posts.actor_id", "=", actorId),
      eb("posts.actor_id", "in", eb.selectFrom("follows").select("followee_id")
        .where("follower_id", "=", actorId).where("state", "=", "accepted")),
      eb("posts.id", "in", eb.selectFrom("post_mentions").select("post_id").where("actor_id", "=", actorId)),
    ]));
  return run(q, page);
}

/** An account's posts as `viewer` may see them (profile, outbox). */
export function actorPosts(db: Db, viewer: Viewer, actorId: string, page: Page, options: { excludeReplies?: boolean; excludeReblogs?: boolean } = {}): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.actor_id", "=", actorId)
    .where(visibleTo(viewer));
  if (options.excludeReplies) q = q.where("posts.in_reply_to_id", "is", null).where("posts.in_reply_to_iri", "is", null);
  if (options.excludeReblogs) q = q.where("posts.reblog_of_id", "is", null);
  return run(q, page);
}

/** How many of an account's posts (boosts included) `viewer` may see: the count beside actorPosts. */
export async function countActorPosts(db: Db, viewer: Viewer, actorId: string): Promise<number> {
  const row = await db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("posts.actor_id", "=", actorId)
    .where(visibleTo(viewer))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Public timeline: public posts, optionally local only. */
export function publicTimeline(db: Db, viewer: Viewer, page: Page, localOnly = false): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.visibility", "=", "public")
    .where("posts.reblog_of_id", "is", null)
    .where(visibleTo(viewer));
  if (localOnly) q = q.where("posts.local", "=", true);
  else q = q.where(fromPubliclyListedServer()); // silenced and blocked servers stay out (federation policy)
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
