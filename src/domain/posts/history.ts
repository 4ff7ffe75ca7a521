/** Earlier versions of edited posts (Mastodon's status history), kept in the edit's transaction. */
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";

/** One version of a post: its text as it was from `createdAt` on. */
export interface PostVersion {
  name: string | null;
  summary: string | null;
  sensitive: boolean;
  contentHtml: string;
  contentSource: string | null;
  language: string | null;
  createdAt: Date;
}

/** At most this many earlier versions are kept per post; the oldest (the original) always stays. */
export const MAX_KEPT_VERSIONS = 100;

/** Keeps `before` (the row as it is before an edit) as an earlier version. Call in the edit's transaction. */
export async function keepEarlierVersion(trx: Db, before: Post): Promise<void> {
  await trx.insertInto("post_edits").values({
    post_id: before.id,
    name: before.name,
    summary: before.summary,
    sensitive: before.sensitive,
    content_html: before.content_html,
    content_source: before.content_source,
    language: before.language,
    created_at: before.edited_at ?? before.published_at,
  }).execute();
  // A post edited without end keeps its original and its latest versions.
  const kept = await trx.selectFrom("post_edits").select("id").where("post_id", "=", before.id)
    .orderBy("id", "desc").offset(MAX_KEPT_VERSIONS - 1).limit(1).executeTakeFirst();
  if (kept) {
    const first = await trx.selectFrom("post_edits").select("id").where("post_id", "=", before.id)
      .orderBy("id", "asc").limit(1).executeTakeFirstOrThrow();
    await trx.deleteFrom("post_edits").where("post_id", "=", before.id)
      .where("id", ">", first.id).where("id", "<=", kept.id).execute();
  }
}

/**
 * Every version of `post`, oldest first, the current one last (a post never
 * edited has one). Whether the caller may see the post is asked before.
 */
export async function postVersions(db: Db, post: Post): Promise<PostVersion[]> {
  const earlier = await db.selectFrom("post_edits").selectAll().where("post_id", "=", post.id)
    .orderBy("id", "asc").limit(MAX_KEPT_VERSIONS).execute();
  return [
    ...earlier.map((e) => ({
      name: e.name, summary: e.summary, sensitive: e.sensitive, contentHtml: e.content_html,
      contentSource: e.content_source, language: e.language, createdAt: e.created_at,
    })),
    {
      name: post.name, summary: post.summary, sensitive: post.sensitive, contentHtml: post.content_html,
      contentSource: post.content_source, language: post.language, createdAt: post.edited_at ?? post.published_at,
    },
  ];
}
