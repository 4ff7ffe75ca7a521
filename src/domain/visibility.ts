import { type ExpressionBuilder, type Expression, type SqlBool, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, Visibility } from "../db/schema.ts";

/**
 * The one rule that decides who may see a post and whose servers receive it.
 * Every surface (delivery, ActivityPub GET, Mastodon API, pages, feeds, media)
 * asks this module; nothing else derives visibility.
 */
export type Viewer =
  | { kind: "anonymous" }
  /** a signed-in local account */
  | { kind: "local"; actorId: string }
  /** a remote actor, proven by a verified signature */
  | { kind: "remote"; actorId: string }
  /**
   * a remote server's instance actor (how servers fetch on behalf of their
   * users), identified by its full origin (scheme, host, port): it speaks for
   * the remote actors whose ids have that origin, never for local ones
   */
  | { kind: "server"; origin: string };

export const ANONYMOUS: Viewer = { kind: "anonymous" };

type PostsEb = ExpressionBuilder<Database, "posts">;

/** Scopes anyone may read. */
const OPEN: Visibility[] = ["public", "unlisted"];

function followsAuthor(eb: PostsEb, followerCondition: (eb: ExpressionBuilder<Database, "posts" | "follows" | "actors">) => Expression<SqlBool>) {
  return eb.exists(
    eb.selectFrom("follows")
      .innerJoin("actors", "actors.id", "follows.follower_id")
      .select(sql.lit(1).as("one"))
      .whereRef("follows.followee_id", "=", "posts.actor_id")
      .where("follows.state", "=", "accepted")
      .where(followerCondition),
  );
}

function mentions(eb: PostsEb, condition: (eb: ExpressionBuilder<Database, "posts" | "post_mentions" | "actors">) => Expression<SqlBool>) {
  return eb.exists(
    eb.selectFrom("post_mentions")
      .innerJoin("actors", "actors.id", "post_mentions.actor_id")
      .select(sql.lit(1).as("one"))
      .whereRef("post_mentions.post_id", "=", "posts.id")
      .where(condition),
  );
}

/**
 * A WHERE condition on `posts` that is true when `viewer` may see the row.
 * Deleted posts are never visible. Usable in lists (timelines) and single lookups alike.
 */
export function visibleTo(viewer: Viewer) {
  return (eb: PostsEb): Expression<SqlBool> => {
    const alive = eb("posts.deleted_at", "is", null);
    const open = eb("posts.visibility", "in", OPEN);
    switch (viewer.kind) {
      case "anonymous":
        return eb.and([alive, open]);
      case "local":
      case "remote": {
        const me = viewer.actorId;
        const scoped = [
          open,
          eb("posts.actor_id", "=", me),
          eb.and([eb("posts.visibility", "=", "followers"), followsAuthor(eb, (e) => e("follows.follower_id", "=", me))]),
          eb.and([eb("posts.visibility", "in", ["followers", "direct"]), mentions(eb, (e) => e("post_mentions.actor_id", "=", me))]),
        ];
        if (viewer.kind === "local") {
          // "instance" posts: every signed-in account of this instance, never federated.
          scoped.push(eb.and([eb("posts.visibility", "=", "instance"), eb("posts.local", "=", true)]));
        }
        const blocked = eb.exists(eb.selectFrom("blocks").select(sql.lit(1).as("one"))
          .whereRef("blocks.actor_id", "=", "posts.actor_id").where("blocks.target_id", "=", me));
        return eb.and([alive, eb.not(blocked), eb.or(scoped)]);
      }
      case "server": {
        const prefix = `${new URL(viewer.origin).origin}/`;
        const onServer = (e: ExpressionBuilder<Database, "actors">) => e.and([
          e("actors.local", "=", false),
          e(e.fn("left", ["actors.iri", e.val(prefix.length)]), "=", prefix),
        ]);
        return eb.and([alive, eb.or([
          open,
          eb.and([eb("posts.visibility", "=", "followers"), followsAuthor(eb, onServer)]),
          eb.and([eb("posts.visibility", "in", ["followers", "direct"]), mentions(eb, onServer)]),
        ])]);
      }
    }
  };
}

/** May `viewer` see post `postId`? Forbidden and absent are the same answer. */
export async function canView(db: Db, viewer: Viewer, postId: string): Promise<boolean> {
  const row = await db.selectFrom("posts").select("posts.id")
    .where("posts.id", "=", postId)
    .where(visibleTo(viewer))
    .executeTakeFirst();
  return row !== undefined;
}

/** Does this scope ever leave the instance? */
export function federates(visibility: Visibility): boolean {
  return visibility !== "instance";
}

/** Is the post addressed to the public collection (as:Public)? Only such posts may be boosted. */
export function isPublicScope(visibility: Visibility): boolean {
  return visibility === "public" || visibility === "unlisted";
}

export interface AudienceMember {
  actorId: string;
  iri: string;
  inbox: string | null;
  sharedInbox: string | null;
  local: boolean;
}

/**
 * The actors whose servers must receive `postId` (remote ones only matter for
 * delivery; local ones already see it through the database). Followers-scoped
 * and public posts go to accepted followers and the mentioned; direct ones only
 * to the mentioned; instance-only posts to nobody. Never to an actor the author
 * blocks: `visibleTo` refuses them the post, so delivery must not hand it over.
 */
export async function audience(db: Db, postId: string): Promise<AudienceMember[]> {
  const post = await db.selectFrom("posts").select(["id", "actor_id", "visibility"])
    .where("id", "=", postId).executeTakeFirst();
  if (!post || !federates(post.visibility)) return [];
  const cols = ["actors.id as actorId", "actors.iri", "actors.inbox_url as inbox",
    "actors.shared_inbox_url as sharedInbox", "actors.local"] as const;
  const blockedByAuthor = db.selectFrom("blocks").select("blocks.target_id").where("blocks.actor_id", "=", post.actor_id);
  const mentioned = db.selectFrom("post_mentions").innerJoin("actors", "actors.id", "post_mentions.actor_id")
    .select(cols).where("post_mentions.post_id", "=", postId).where("actors.gone_at", "is", null)
    .where("actors.id", "not in", blockedByAuthor);
  const rows = post.visibility === "direct"
    ? await mentioned.execute()
    : await mentioned.union(
      db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id")
        .select(cols)
        .where("follows.followee_id", "=", post.actor_id)
        .where("follows.state", "=", "accepted")
        .where("actors.gone_at", "is", null)
        .where("actors.id", "not in", blockedByAuthor),
    ).execute();
  return rows.filter((r) => r.actorId !== post.actor_id);
}

/**
 * The actors whose servers must hear about an actor itself (profile updates):
 * its accepted followers that are not gone. Local ones read the database.
 */
export async function followerAudience(db: Db, actorId: string): Promise<AudienceMember[]> {
  const rows = await db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id")
    .select(["actors.id as actorId", "actors.iri", "actors.inbox_url as inbox",
      "actors.shared_inbox_url as sharedInbox", "actors.local"])
    .where("follows.followee_id", "=", actorId)
    .where("follows.state", "=", "accepted")
    .where("actors.gone_at", "is", null)
    .execute();
  return rows.filter((r) => r.actorId !== actorId);
}
