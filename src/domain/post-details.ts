import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { Post, PostAttachmentsTable } from "../db/schema.ts";
import { isRowId } from "./ids.ts";

/** A mentioned actor, as every surface renders a mention. */
export interface MentionedActor {
  id: string;
  iri: string;
  username: string;
  domain: string;
  local: boolean;
  url: string | null;
}

export type PostAttachment = Omit<Selectable<PostAttachmentsTable>, "post_id">;

/** The group a post was made in, as every surface names it. */
export interface PostGroup {
  id: string;
  iri: string;
  username: string;
  domain: string;
  local: boolean;
  url: string | null;
  /** its followers collection: its members */
  followersUrl: string | null;
}

/** What a post carries besides its own row: mentions, hashtags, attachments, its group. */
export interface PostDetails {
  mentions: MentionedActor[];
  tags: string[];
  attachments: PostAttachment[];
  group: PostGroup | null;
}

export const EMPTY_DETAILS: PostDetails = Object.freeze({ mentions: [], tags: [], attachments: [], group: null });

/** Mentions (with their actors), tags, attachments and groups of many posts, in four queries. */
export async function loadPostDetails(db: Db, posts: readonly Pick<Post, "id" | "group_id">[]): Promise<Map<string, PostDetails>> {
  const result = new Map<string, PostDetails>();
  const ids = [...new Set(posts.map((p) => p.id))];
  if (ids.length === 0) return result;
  const groupIds = [...new Set(posts.flatMap((p) => (p.group_id ? [p.group_id] : [])))];
  for (const id of ids) result.set(id, { mentions: [], tags: [], attachments: [], group: null });
  const [mentions, tags, attachments, groups] = await Promise.all([
    db.selectFrom("post_mentions").innerJoin("actors", "actors.id", "post_mentions.actor_id")
      .select(["post_mentions.post_id", "actors.id", "actors.iri", "actors.username", "actors.domain", "actors.local", "actors.url"])
      .where("post_mentions.post_id", "in", ids)
      .orderBy("actors.id")
      .execute(),
    db.selectFrom("post_tags").select(["post_id", "tag"]).where("post_id", "in", ids).orderBy("tag").execute(),
    db.selectFrom("post_attachments").selectAll()
      .where("post_id", "in", ids)
      .orderBy("position").orderBy("id")
      .execute(),
    // By the groups' own ids: joined from the posts, the statement PostgreSQL keeps prepared
    // read the whole actors table (2-4 ms a page).
    groupIds.length
      ? db.selectFrom("actors")
        .select(["actors.id", "actors.iri", "actors.username", "actors.domain", "actors.local", "actors.url", "actors.followers_url as followersUrl"])
        .where("actors.id", "in", groupIds)
        .execute()
      : Promise.resolve([]),
  ]);
  for (const { post_id, ...actor } of mentions) result.get(post_id)?.mentions.push(actor);
  for (const t of tags) result.get(t.post_id)?.tags.push(t.tag);
  for (const { post_id, ...attachment } of attachments) result.get(post_id)?.attachments.push(attachment);
  const groupById = new Map(groups.map((g) => [g.id, g]));
  for (const p of posts) {
    const group = p.group_id ? groupById.get(p.group_id) : undefined;
    const details = result.get(p.id);
    if (details && group) details.group = group;
  }
  return result;
}

/** One attachment and the post it belongs to (whether the caller may see that post is the visibility rule's to say). */
export async function findAttachment(db: Db, id: string): Promise<Selectable<PostAttachmentsTable> | undefined> {
  if (!isRowId(id)) return undefined;
  return db.selectFrom("post_attachments").selectAll().where("id", "=", id).executeTakeFirst();
}
