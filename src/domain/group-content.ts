/** What is in a group, as a viewer may see it: its posts by module, and the groups there are. */
import type { ExpressionBuilder } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Database, Post } from "../db/schema.ts";
import { keysetPage, type Page } from "./paging.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface GroupPostsFilter {
  /** one content module's posts; null: plain statuses (no module); undefined: all */
  module?: string | null;
  /** threads only (no comments) */
  topLevel?: boolean;
}

/** Posts made in a group that `viewer` may see, newest first. */
export function groupPosts(db: Db, viewer: Viewer, groupId: string, filter: GroupPostsFilter, page: Page): Promise<Post[]> {
  let q = db.selectFrom("posts").selectAll("posts")
    .where("posts.group_id", "=", groupId)
    .where("posts.reblog_of_id", "is", null)
    .where(visibleTo(viewer));
  if (filter.module !== undefined) {
    q = filter.module === null ? q.where("posts.module", "is", null) : q.where("posts.module", "=", filter.module);
  }
  if (filter.topLevel) q = q.where("posts.in_reply_to_iri", "is", null);
  return keysetPage(q, "posts.id", page);
}

export interface GroupListFilter {
  /** the start of the group's name or display name */
  query?: string;
  /**
   * The viewer's own groups, here and on other servers: those they are a
   * member of, have asked to join, or are invited into.
   */
  mine?: boolean;
}

/**
 * Groups a viewer may find: this instance's public and closed ones, and the
 * secret ones they belong to (a secret group is not listed, not findable by
 * anyone else); or, with `mine`, the viewer's own groups anywhere. Newest first.
 */
export async function listGroups(db: Db, viewer: Viewer, filter: GroupListFilter, page: Page): Promise<Actor[]> {
  const me = viewer.kind === "local" ? viewer.actorId : null;
  if (filter.mine) {
    if (me === null) return [];
    let mine = db.selectFrom("actors").innerJoin("memberships", "memberships.group_id", "actors.id")
      .selectAll("actors")
      .where("memberships.member_id", "=", me)
      .where("memberships.state", "in", ["member", "invited", "pending"])
      .where("actors.type", "=", "Group").where("actors.gone_at", "is", null);
    if (filter.query) mine = mine.where((eb) => nameStarts(eb, filter.query!));
    return keysetPage(mine, "actors.id", page);
  }
  let q = db.selectFrom("actors").innerJoin("groups", "groups.actor_id", "actors.id")
    .selectAll("actors")
    .where("actors.local", "=", true)
    .where("actors.type", "=", "Group");
  const memberOf = (eb: ExpressionBuilder<Database, "actors" | "groups">) => eb.exists(
    eb.selectFrom("memberships").select("memberships.id")
      .whereRef("memberships.group_id", "=", "actors.id")
      .where("memberships.member_id", "=", me ?? "0")
      .where("memberships.state", "=", "member"),
  );
  q = q.where((eb) => eb.or([eb("groups.visibility", "!=", "secret"), ...(me === null ? [] : [memberOf(eb)])]));
  if (filter.query) q = q.where((eb) => nameStarts(eb, filter.query!));
  return keysetPage(q, "actors.id", page);
}

function nameStarts(eb: ExpressionBuilder<Database, "actors">, query: string) {
  const pattern = `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return eb.or([
    eb(eb.fn("lower", ["actors.username"]), "like", pattern),
    eb(eb.fn("lower", ["actors.display_name"]), "like", pattern),
  ]);
}
