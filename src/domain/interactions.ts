import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import type { Page } from "./timelines.ts";
import { visibleTo, type Viewer } from "./visibility.ts";
import { isRowId } from "./ids.ts";

/** An account that acted on a post, with the row id of its act as the page cursor. */
export interface ActorEntry {
  cursor: string;
  actor: Actor;
}


interface Bounds {
  ascending: boolean;
  max?: string;
  since?: string;
  min?: string;
}

function bounds(page: Page): Bounds {
  const ok = (id: string | undefined) => (id && isRowId(id) ? id : undefined);
  return { ascending: ok(page.minId) !== undefined, max: ok(page.maxId), since: ok(page.sinceId), min: ok(page.minId) };
}

/**
 * Who favourited `postId`, newest first. The caller has checked that the
 * viewer may see the post (getVisiblePost); the likes of a visible post are
 * visible with it.
 */
export async function likersOf(db: Db, postId: string, page: Page): Promise<ActorEntry[]> {
  const b = bounds(page);
  let q = db.selectFrom("likes").innerJoin("actors", "actors.id", "likes.actor_id")
    .selectAll("actors").select("likes.id as like_id")
    .where("likes.post_id", "=", postId);
  if (b.max) q = q.where("likes.id", "<", b.max);
  if (b.since) q = q.where("likes.id", ">", b.since);
  if (b.min) q = q.where("likes.id", ">", b.min);
  const rows = await q.orderBy("likes.id", b.ascending ? "asc" : "desc").limit(page.limit).execute();
  if (b.ascending) rows.reverse();
  return rows.map(({ like_id, ...actor }) => ({ cursor: like_id, actor }));
}

/** Who boosted `postId`, newest first: only boosts the viewer may see themselves. */
export async function boostersOf(db: Db, viewer: Viewer, postId: string, page: Page): Promise<ActorEntry[]> {
  const b = bounds(page);
  let q = db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.actor_id")
    .selectAll("actors").select("posts.id as boost_id")
    .where("posts.reblog_of_id", "=", postId)
    .where(visibleTo(viewer));
  if (b.max) q = q.where("posts.id", "<", b.max);
  if (b.since) q = q.where("posts.id", ">", b.since);
  if (b.min) q = q.where("posts.id", ">", b.min);
  const rows = await q.orderBy("posts.id", b.ascending ? "asc" : "desc").limit(page.limit).execute();
  if (b.ascending) rows.reverse();
  return rows.map(({ boost_id, ...actor }) => ({ cursor: boost_id, actor }));
}
