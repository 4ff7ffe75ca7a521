/** Reading posts by id or iri, with or without the visibility rule. */
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { notFound } from "../errors.ts";
import { isRowId } from "../ids.ts";
import { canView, type Viewer, visibleTo } from "../visibility.ts";

export async function getPost(db: Db, id: string): Promise<Post | undefined> {
  if (!isRowId(id)) return undefined;
  return db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();
}

export function getPostByIri(db: Db, iri: string): Promise<Post | undefined> {
  return db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
}

/** The post if `viewer` may see it; otherwise the same not-found as for a missing one. */
export async function getVisiblePost(db: Db, viewer: Viewer, id: string): Promise<Post> {
  const post = await getPost(db, id);
  if (!post || !(await canView(db, viewer, post.id))) throw notFound();
  return post;
}

/** A local post (not a boost), by id or iri, that `viewer` may see; absent and forbidden are the same `undefined`. */
export function findVisibleLocalPost(db: Db, viewer: Viewer, key: { id: string } | { iri: string }): Promise<Post | undefined> {
  if ("id" in key && !isRowId(key.id)) return Promise.resolve(undefined);
  return db.selectFrom("posts").selectAll("posts")
    .where("posts.local", "=", true)
    .where("posts.reblog_of_id", "is", null)
    .where((eb) => ("id" in key ? eb("posts.id", "=", key.id) : eb("posts.iri", "=", key.iri)))
    .where(visibleTo(viewer))
    .executeTakeFirst();
}

/** The remote group a local post (by iri) was made in, if any (whatever the post's visibility). */
export async function remoteGroupOfPost(db: Db, iri: string): Promise<Actor | undefined> {
  return db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.group_id")
    .selectAll("actors")
    .where("posts.iri", "=", iri).where("posts.local", "=", true).where("actors.local", "=", false)
    .executeTakeFirst();
}

/** A deleted local post (not a boost) by iri: what a Tombstone stands for. */
export function findDeletedLocalPost(db: Db, iri: string): Promise<Post | undefined> {
  return db.selectFrom("posts").selectAll()
    .where("iri", "=", iri).where("local", "=", true).where("reblog_of_id", "is", null)
    .where("deleted_at", "is not", null)
    .executeTakeFirst();
}

/** The posts that `boosts` boost, with their authors' ids, keyed by post id (who may see them is the caller's rule). */
export async function originalsOf(db: Db, boosts: readonly Post[]): Promise<Map<string, { iri: string; authorIri: string }>> {
  const ids = [...new Set(boosts.flatMap((b) => (b.reblog_of_id ? [b.reblog_of_id] : [])))];
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("posts").innerJoin("actors", "actors.id", "posts.actor_id")
    .select(["posts.id", "posts.iri", "actors.iri as authorIri"])
    .where("posts.id", "in", ids)
    .execute();
  return new Map(rows.map(({ id, ...rest }) => [id, rest]));
}
