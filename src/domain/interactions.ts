import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { keysetPage, type Page } from "./paging.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

/** An account that acted on a post, with the row id of its act as the page cursor. */
export interface ActorEntry {
  cursor: string;
  actor: Actor;
}


/**
 * Who favourited `postId`, newest first. The caller has checked that the
 * viewer may see the post (getVisiblePost); the likes of a visible post are
 * visible with it.
 */
export async function likersOf(db: Db, postId: string, page: Page): Promise<ActorEntry[]> {
  const q = db.selectFrom("likes").innerJoin("actors", "actors.id", "likes.actor_id")
    .selectAll("actors").select("likes.id as like_id")
    .where("likes.post_id", "=", postId);
  const rows = await keysetPage(q, "likes.id", page);
  return rows.map(({ like_id, ...actor }) => ({ cursor: like_id, actor }));
}

/** Who boosted `postId`, newest first: only boosts the viewer may see themselves. */
export async function boostersOf(db: Db, viewer: Viewer, postId: string, page: Page): Promise<ActorEntry[]> {
  const q = db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.actor_id")
    .selectAll("actors").select("posts.id as boost_id")
    .where("posts.reblog_of_id", "=", postId)
    .where(visibleTo(viewer));
  const rows = await keysetPage(q, "posts.id", page);
  return rows.map(({ boost_id, ...actor }) => ({ cursor: boost_id, actor }));
}
