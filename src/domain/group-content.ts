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
  /** only groups `viewer` is a current member of */
  mine?: boolean;
}

/**
 * Groups of this instance a viewer may find: public and closed ones, and the
 * secret ones they are a current member of (a secret group is not listed,
 * not findable by anyone else). Newest first.
 */
export async function listLocalGroups(db: Db, viewer: Viewer, filter: GroupListFilter, page: Page): Promise<Actor[]> {
  const me = viewer.kind === "local" ? viewer.actorId : null;
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
  q = filter.mine
    ? q.where((eb) => (me === null ? eb.val(false) : memberOf(eb)))
    : q.where((eb) => eb.or([eb("groups.visibility", "!=", "secret"), ...(me === null ? [] : [memberOf(eb)])]));
  if (filter.query) {
    const pattern = `${filter.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([
      eb(eb.fn("lower", ["actors.username"]), "like", pattern),
      eb(eb.fn("lower", ["actors.display_name"]), "like", pattern),
    ]));
  }
  return keysetPage(q, "actors.id", page);
}
