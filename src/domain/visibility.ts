import { type ExpressionBuilder, type Expression, type SqlBool, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, MembershipRole, Visibility } from "../db/schema.ts";
import { ROSTER_TTL_SECONDS } from "./group-roster.ts";
import { type Scope, SCOPES, scopesRead } from "./scopes.ts";

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
type ActorsEb = ExpressionBuilder<Database, "actors">;

/** The posts whose scope lets `readers` read them (src/domain/scopes.ts). */
function readBy(eb: PostsEb, readers: Scope["readers"]): Expression<SqlBool> {
  return eb("posts.visibility", "in", scopesRead(readers));
}

function followsAuthor(eb: PostsEb, follower: (eb: ActorsEb) => Expression<SqlBool>) {
  return eb.exists(
    eb.selectFrom("follows")
      .innerJoin("actors", "actors.id", "follows.follower_id")
      .select(sql.lit(1).as("one"))
      .whereRef("follows.followee_id", "=", "posts.actor_id")
      .where("follows.state", "=", "accepted")
      .where((e) => follower(e as unknown as ActorsEb)),
  );
}

function mentions(eb: PostsEb, mentioned: (eb: ActorsEb) => Expression<SqlBool>) {
  return eb.exists(
    eb.selectFrom("post_mentions")
      .innerJoin("actors", "actors.id", "post_mentions.actor_id")
      .select(sql.lit(1).as("one"))
      .whereRef("post_mentions.post_id", "=", "posts.id")
      .where((e) => mentioned(e as unknown as ActorsEb)),
  );
}

/**
 * A current member of the post's group (approved, not banned, not gone, as
 * `memberAudience` counts them) matches `member`: a server whose last member
 * is gone reads no more than it is sent.
 */
function memberOfGroup(eb: PostsEb, member: (eb: ActorsEb) => Expression<SqlBool>, roles?: readonly MembershipRole[]) {
  let q = eb.selectFrom("memberships")
    .innerJoin("actors", "actors.id", "memberships.member_id")
    .select(sql.lit(1).as("one"))
    .whereRef("memberships.group_id", "=", "posts.group_id")
    .where("memberships.state", "=", "member")
    .where("actors.gone_at", "is", null)
    .where((e) => member(e as unknown as ActorsEb));
  if (roles) q = q.where("memberships.role", "in", roles);
  return eb.exists(q);
}

/** Who moderates a group's pending posts. */
export const MODERATOR_ROLES: readonly MembershipRole[] = ["owner", "admin", "moderator"];

/**
 * A WHERE condition on `posts` that is true when `viewer` may see the row.
 * Deleted posts are never visible; a post awaiting moderation only to its
 * author and its group's moderators. Usable in lists (timelines) and single
 * lookups alike. `evenDeleted` asks who could see a post before it was
 * deleted (who is told of its deletion); nothing else asks it.
 */
export function visibleTo(viewer: Viewer, options: { evenDeleted?: boolean } = {}) {
  return rule(viewer, options, false);
}

/**
 * `visibleTo` for the posts of one author (a profile's statuses, their
 * count): whether the author blocks the viewer is asked once, here, instead
 * of on every row, so that the planner walks the author's index and stops
 * at the end of the page. Undefined when the author blocks the viewer, who
 * then sees none of its posts.
 */
export async function visibleToOfAuthor(db: Db, viewer: Viewer, authorId: string): Promise<((eb: PostsEb) => Expression<SqlBool>) | undefined> {
  if (viewer.kind !== "local" && viewer.kind !== "remote") return visibleTo(viewer);
  const blocked = await db.selectFrom("blocks").select("blocks.actor_id")
    .where("blocks.actor_id", "=", authorId).where("blocks.target_id", "=", viewer.actorId).executeTakeFirst();
  if (blocked) return undefined;
  const onlyAuthor = rule(viewer, {}, true);
  return (eb) => eb.and([eb("posts.actor_id", "=", authorId), onlyAuthor(eb)]);
}

/** The rule; `authorDoesNotBlock`: the caller asked, for the one author whose posts it reads (visibleToOfAuthor). */
function rule(viewer: Viewer, options: { evenDeleted?: boolean }, authorDoesNotBlock: boolean) {
  return (eb: PostsEb): Expression<SqlBool> => {
    const alive = options.evenDeleted ? eb.lit(true) : eb("posts.deleted_at", "is", null);
    const approved = eb("posts.moderation", "=", "approved");
    const anyone = readBy(eb, "anyone");
    switch (viewer.kind) {
      case "anonymous":
        return eb.and([alive, approved, anyone]);
      case "local":
      case "remote": {
        const me = viewer.actorId;
        const isMe = (e: ActorsEb) => e("actors.id", "=", me);
        const own = eb("posts.actor_id", "=", me);
        const scoped = [
          anyone,
          eb.and([readBy(eb, "followers-and-mentioned"), followsAuthor(eb, isMe)]),
          eb.and([eb.or([readBy(eb, "followers-and-mentioned"), readBy(eb, "mentioned")]), mentions(eb, isMe)]),
          // A group reads what is posted in it (a remote group fetching its content).
          eb.and([readBy(eb, "group-members"), eb.or([memberOfGroup(eb, isMe), eb("posts.group_id", "=", me)])]),
        ];
        if (viewer.kind === "local") {
          // "instance" posts: every signed-in account of this instance, never federated.
          scoped.push(eb.and([readBy(eb, "local-accounts"), eb("posts.local", "=", true)]));
        }
        const moderated = eb.or([approved, own, memberOfGroup(eb, isMe, MODERATOR_ROLES)]);
        if (authorDoesNotBlock) return eb.and([alive, moderated, eb.or([own, ...scoped])]);
        const blocked = eb.exists(eb.selectFrom("blocks").select(sql.lit(1).as("one"))
          .whereRef("blocks.actor_id", "=", "posts.actor_id").where("blocks.target_id", "=", me));
        return eb.and([alive, eb.not(blocked), moderated, eb.or([own, ...scoped])]);
      }
      case "server": {
        const prefix = `${new URL(viewer.origin).origin}/`;
        // The remote actors the server speaks for: never a local account, whatever its host name.
        const onServer = (e: ActorsEb) => e.and([
          e("actors.local", "=", false),
          e(e.fn("left", ["actors.iri", e.val(prefix.length)]), "=", prefix),
        ]);
        // For a group on another server we know our own members only: its members
        // collection told us lately whether this server hosts one (src/domain/group-roster.ts).
        const hostsMemberOfRemoteGroup = eb.exists(eb.selectFrom("group_servers").select(sql.lit(1).as("one"))
          .whereRef("group_servers.group_id", "=", "posts.group_id")
          .where("group_servers.origin", "=", new URL(viewer.origin).origin)
          .where("group_servers.hosts_member", "=", true)
          .where("group_servers.checked_at", ">", sql<Date>`now() - make_interval(secs => ${ROSTER_TTL_SECONDS})`));
        return eb.and([alive, approved, eb.or([
          anyone,
          eb.and([readBy(eb, "followers-and-mentioned"), followsAuthor(eb, onServer)]),
          eb.and([eb.or([readBy(eb, "followers-and-mentioned"), readBy(eb, "mentioned")]), mentions(eb, onServer)]),
          eb.and([readBy(eb, "group-members"), eb.or([memberOfGroup(eb, onServer), hostsMemberOfRemoteGroup])]),
        ])]);
      }
    }
  };
}

/** May `viewer` see post `postId` (or, `evenDeleted`, could they before it was deleted)? Forbidden and absent are the same answer. */
export async function canView(db: Db, viewer: Viewer, postId: string, options: { evenDeleted?: boolean } = {}): Promise<boolean> {
  const row = await db.selectFrom("posts").select("posts.id")
    .where("posts.id", "=", postId)
    .where(visibleTo(viewer, options))
    .executeTakeFirst();
  return row !== undefined;
}

/** Does this scope ever leave the instance? */
export function federates(visibility: Visibility): boolean {
  return SCOPES[visibility].federates;
}

/** May anyone read a post of this scope (and so learn that it was deleted)? */
export function readableByAnyone(visibility: Visibility): boolean {
  return SCOPES[visibility].readers === "anyone";
}

/** May a post of this scope be boosted (Announced by someone who sees it)? */
export function isBoostable(visibility: Visibility): boolean {
  return SCOPES[visibility].boostable;
}

export interface AudienceMember {
  actorId: string;
  iri: string;
  inbox: string | null;
  sharedInbox: string | null;
  local: boolean;
}

const AUDIENCE_COLUMNS = ["actors.id as actorId", "actors.iri", "actors.inbox_url as inbox",
  "actors.shared_inbox_url as sharedInbox", "actors.local"] as const;

/**
 * The current members of a group (state "member", not gone): the audience of
 * everything the group redistributes, and of updates of the group itself.
 */
export async function memberAudience(db: Db, groupId: string): Promise<AudienceMember[]> {
  return db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
    .select(AUDIENCE_COLUMNS)
    .where("memberships.group_id", "=", groupId)
    .where("memberships.state", "=", "member")
    .where("actors.gone_at", "is", null)
    .execute();
}

/**
 * The actors whose servers must receive `postId` (remote ones only matter for
 * delivery; local ones already see it through the database), by the audience
 * of its scope (src/domain/scopes.ts): accepted followers and the mentioned,
 * the mentioned only, or nobody. A post made in a group goes to the group's
 * current members whatever its scope (the group redistributes it; a group on
 * another server is sent the post, and redistributes it itself). Never to an
 * actor the author blocks: `visibleTo` refuses them the post, so delivery must
 * not hand it over.
 */
export async function audience(db: Db, postId: string): Promise<AudienceMember[]> {
  const post = await db.selectFrom("posts").select(["id", "actor_id", "visibility", "group_id"])
    .where("id", "=", postId).executeTakeFirst();
  if (!post || !federates(post.visibility)) return [];
  const blockedByAuthor = db.selectFrom("blocks").select("blocks.target_id").where("blocks.actor_id", "=", post.actor_id);
  const notBlocked = (rows: AudienceMember[], blocked: Set<string>) =>
    rows.filter((r) => r.actorId !== post.actor_id && !blocked.has(r.actorId));
  if (post.group_id !== null) {
    const group = await db.selectFrom("actors").select([...AUDIENCE_COLUMNS, "actors.gone_at"])
      .where("actors.id", "=", post.group_id).executeTakeFirst();
    if (!group || group.gone_at) return [];
    const blocked = new Set((await blockedByAuthor.execute()).map((b) => b.target_id));
    const { gone_at: _, ...groupMember } = group;
    return notBlocked(group.local ? await memberAudience(db, group.actorId) : [groupMember], blocked);
  }
  const scope = SCOPES[post.visibility];
  if (scope.audience === "nobody" || scope.audience === "group-members") return [];
  const mentioned = db.selectFrom("post_mentions").innerJoin("actors", "actors.id", "post_mentions.actor_id")
    .select(AUDIENCE_COLUMNS).where("post_mentions.post_id", "=", postId).where("actors.gone_at", "is", null)
    .where("actors.id", "not in", blockedByAuthor);
  const rows = scope.audience === "mentioned"
    ? await mentioned.execute()
    : await mentioned.union(
      db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id")
        .select(AUDIENCE_COLUMNS)
        .where("follows.followee_id", "=", post.actor_id)
        .where("follows.state", "=", "accepted")
        .where("actors.gone_at", "is", null)
        .where("actors.id", "not in", blockedByAuthor),
    ).execute();
  return rows.filter((r) => r.actorId !== post.actor_id);
}

/**
 * The actors whose servers must hear about an actor itself (profile updates):
 * its accepted followers (a group's: its current members) that are not gone.
 * Local ones read the database.
 */
export async function followerAudience(db: Db, actorId: string): Promise<AudienceMember[]> {
  const actor = await db.selectFrom("actors").select("type").where("id", "=", actorId).executeTakeFirst();
  if (actor?.type === "Group") return (await memberAudience(db, actorId)).filter((r) => r.actorId !== actorId);
  const rows = await db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id")
    .select(AUDIENCE_COLUMNS)
    .where("follows.followee_id", "=", actorId)
    .where("follows.state", "=", "accepted")
    .where("actors.gone_at", "is", null)
    .execute();
  return rows.filter((r) => r.actorId !== actorId);
}
