import { getLogger } from "@logtape/logtape";
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { findGroup } from "./groups.ts";
import { knowsOfGroup } from "./membership.ts";
import type { Resolver } from "./resolver.ts";
import { canView, visibleTo, type Viewer } from "./visibility.ts";

const logger = getLogger(["plein", "domain", "search"]);

/** LIKE pattern for "starts with `text`", wildcards escaped (backslash is LIKE's escape). */
function prefixPattern(text: string): string {
  return `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface ActorSearch {
  /** start of the user name (or display name) */
  username: string;
  /** start of the domain, when the query named one */
  domain?: string;
  /** only accounts this account follows */
  followedBy?: string;
  limit: number;
  offset: number;
}

/**
 * Known accounts (local and remote people and groups) whose user name or
 * display name starts with the query; local accounts first. The instance
 * actor and gone actors are left out (the API leaves out secret groups for
 * those they do not know of).
 */
export function searchActors(db: Db, query: ActorSearch): Promise<Actor[]> {
  const pattern = prefixPattern(query.username);
  let q = db.selectFrom("actors").selectAll()
    .where("type", "!=", "Application")
    .where("gone_at", "is", null)
    .where((eb) => eb.or([
      eb(eb.fn("lower", ["username"]), "like", pattern),
      eb(eb.fn("lower", ["display_name"]), "like", pattern),
    ]));
  if (query.domain !== undefined) q = q.where(eb => eb(eb.fn("lower", ["domain"]), "like", prefixPattern(query.domain!)));
  if (query.followedBy !== undefined) {
    const follower = query.followedBy;
    q = q.where((eb) => eb.exists(eb.selectFrom("follows").select(sql.lit(1).as("one"))
      .where("follows.follower_id", "=", follower).whereRef("follows.followee_id", "=", "actors.id").where("follows.state", "=", "accepted")));
  }
  return q.orderBy("local", "desc")
    .orderBy(sql`lower(username) = ${query.username.toLowerCase()}`, "desc")
    .orderBy("username").orderBy("id")
    .limit(query.limit).offset(query.offset).execute();
}

/**
 * A secret group is not findable (issue 7): search shows it only to people it
 * knows of (members, and those invited or asking to join). Its account stays
 * reachable by id or handle for whoever has them.
 */
export async function findableActors(db: Db, viewer: Viewer, actors: Actor[]): Promise<Actor[]> {
  const kept = await Promise.all(actors.map(async (actor) => {
    if (!actor.local || actor.type !== "Group") return true;
    const group = await findGroup(db, actor.id);
    return !group || knowsOfGroup(db, viewer, group);
  }));
  return actors.filter((_, i) => kept[i]);
}

/**
 * Hashtags starting with `prefix` that appear on at least one post the
 * viewer may see (a tag used only in closed posts stays unknown), most used first.
 */
export async function searchTags(db: Db, viewer: Viewer, prefix: string, limit: number, offset: number): Promise<string[]> {
  // The tags that match come from the prefix index first, at most MAX_TAG_ROWS of them: each is
  // then checked by primary key. Joining first lets the planner choose to read all posts.
  const matching = db.selectFrom("post_tags").select(["post_tags.tag", "post_tags.post_id"])
    .where("post_tags.tag", "like", prefixPattern(prefix))
    .limit(MAX_TAG_ROWS)
    .as("matching");
  const rows = await db.selectFrom(matching)
    .innerJoin("posts", "posts.id", "matching.post_id")
    .select(["matching.tag", (eb) => eb.fn.countAll<string>().as("uses")])
    .where(visibleTo(viewer))
    .groupBy("matching.tag")
    .orderBy("uses", "desc").orderBy("matching.tag")
    .limit(limit).offset(offset).execute();
  return rows.map((r) => r.tag);
}

/** Tag uses one prefix search reads at most (enough to rank the tags a person is typing). */
const MAX_TAG_ROWS = 5_000;

/**
 * A stored post by its ActivityPub id, or by its web address when that is on
 * the post's own origin: any server can claim any `url` for its objects, so a
 * `url` of another origin names nothing (not checked for visibility).
 */
export async function findPostByUrl(db: Db, url: string): Promise<Post | undefined> {
  if (!URL.canParse(url)) return undefined;
  const origin = new URL(url).origin;
  const candidates = await db.selectFrom("posts").selectAll()
    .where((eb) => eb.or([eb("iri", "=", url), eb("url", "=", url)]))
    .where("reblog_of_id", "is", null)
    .orderBy("id").limit(20).execute();
  return candidates.find((p) => p.iri === url)
    ?? candidates.find((p) => URL.canParse(p.iri) && new URL(p.iri).origin === origin);
}

/**
 * The post a search for its address finds, if the viewer may see it: a
 * stored one, or (`resolve`, for the signed-in only: it makes this server
 * fetch) one fetched from its server. A failed fetch finds nothing.
 */
export async function findPostForSearch(db: Db, resolver: Resolver, viewer: Viewer, url: string, resolve: boolean): Promise<Post | undefined> {
  let post = await findPostByUrl(db, url);
  if (!post && resolve) {
    try {
      post = await resolver.resolvePost(url);
    } catch (error) {
      logger.debug("Search lookup of {url} failed: {error}", { url, error });
    }
  }
  return post && (await canView(db, viewer, post.id)) ? post : undefined;
}
