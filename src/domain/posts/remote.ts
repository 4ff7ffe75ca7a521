/** Remote posts as the inbox stores, updates and deletes them. */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Actor, ObjectType, Post, Visibility } from "../../db/schema.ts";
import { conflict, forbidden } from "../errors.ts";
import { bumpReplies, insertDetails } from "./details.ts";
import { keepEarlierVersion } from "./history.ts";
import { assertMayEditInGroup, notifyOfEdit, notifyOfPost, placeRemoteInGroup, queuePostDelivery } from "./in-groups.ts";
import { type AttachmentInput, checkLengths } from "./limits.ts";
import { publishStreamEvent } from "../stream-events.ts";

export interface RemotePostInput {
  iri: string;
  url: string | null;
  type: ObjectType;
  visibility: Visibility;
  inReplyToIri: string | null;
  name: string | null;
  summary: string | null;
  sensitive: boolean;
  contentHtml: string;
  language: string | null;
  publishedAt: Date;
  editedAt: Date | null;
  mentionIds: string[];
  tags: string[];
  attachments: AttachmentInput[];
  extra: Record<string, unknown>;
  /** the group (a Group actor we know) the post names as its audience */
  groupId?: string | null;
  /** the content module it belongs to (checked against a local group's modules) */
  module?: string;
}

/** No remote clock may pin a post to the top of timelines: future dates become "now". */
export function clampDate(d: Date): Date {
  const now = Date.now();
  return Number.isNaN(d.getTime()) || d.getTime() > now ? new Date(now) : d;
}

/**
 * Stores or updates a remote post on behalf of `author` (already verified as the
 * activity's signer and the object's origin). An existing post owned by someone
 * else is never touched, and a stored post's scope never changes (an edit of
 * a post in a group addressed otherwise is refused). A post in a local group
 * passes the group's rules (src/domain/posts/in-groups.ts) and is
 * redistributed by the group once approved; only a current member edits it.
 */
export async function upsertRemotePost(
  db: Db,
  author: Actor,
  input: RemotePostInput,
  mode: "create" | "update",
  /** a content module's own rows, saved in the post's transaction */
  inTransaction?: (trx: Db, post: Post) => Promise<void>,
): Promise<Post> {
  if (author.local) throw forbidden();
  checkLengths(input);
  return db.transaction().execute(async (trx) => {
    // A reply and its parent may be stored at once (a group announces a comment right after its thread):
    // each would miss the other's uncommitted row and the reply would never be linked. Both lock the
    // parent's id (in one order everywhere), so the later one sees the earlier and links either way.
    for (const iri of [...new Set([input.iri, input.inReplyToIri ?? input.iri])].sort()) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${iri}, 0))`.execute(trx);
    }
    const existing = await trx.selectFrom("posts").selectAll().where("iri", "=", input.iri).executeTakeFirst();
    if (existing) {
      if (existing.actor_id !== author.id) throw forbidden("Object belongs to another actor");
      if (existing.deleted_at) throw conflict("Object was deleted");
      if (mode === "create") return existing;
      if (existing.group_id !== null) {
        // Content of a group: an edit addressed elsewhere (another scope, another group) is refused
        // whole, not just kept in place, so the group never redistributes it; and only a current
        // member edits. Elsewhere an edit is taken and the scope kept (the audience of a stored post
        // never changes by a remote activity: Mastodon CVE-2024-37903).
        if (input.visibility !== existing.visibility) throw forbidden("An edit may not change the audience of a post in a group");
        if (input.groupId != null && input.groupId !== existing.group_id) throw forbidden("An edit may not move a post to another group");
        await assertMayEditInGroup(trx, author, existing.group_id);
      }
      // A poll's new tallies (Mastodon and Plein send them as an Update that is no edit: same text, same time).
      if (isPollRefresh(existing, input)) {
        const refreshed = await trx.updateTable("posts").set({ extra: JSON.stringify(input.extra) })
          .where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
        await publishStreamEvent(trx, { type: "status.update", postId: refreshed.id });
        return refreshed;
      }
      // An edit older than (or as old as) the one we hold was overtaken: keep ours.
      const editedAt = input.editedAt ? clampDate(input.editedAt) : null;
      if (existing.edited_at && (!editedAt || editedAt.getTime() <= existing.edited_at.getTime())) return existing;
      await keepEarlierVersion(trx, existing);
      const updated = await trx.updateTable("posts").set({
        name: input.name, summary: input.summary, sensitive: input.sensitive, content_html: input.contentHtml,
        language: input.language, extra: JSON.stringify(input.extra),
        edited_at: editedAt ?? new Date(),
      }).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
      // Mentions decide who may see followers/direct posts: an edit may not widen them.
      await trx.deleteFrom("post_tags").where("post_id", "=", existing.id).execute();
      await trx.deleteFrom("post_attachments").where("post_id", "=", existing.id).execute();
      await insertDetails(trx, existing.id, { tags: input.tags, attachments: input.attachments });
      if (inTransaction) await inTransaction(trx, updated);
      await queuePostDelivery(trx, updated, "update");
      await publishStreamEvent(trx, { type: "status.update", postId: updated.id });
      await notifyOfEdit(trx, updated);
      return updated;
    }
    const parent = input.inReplyToIri
      ? await trx.selectFrom("posts").select(["id", "group_id", "visibility"]).where("iri", "=", input.inReplyToIri).executeTakeFirst()
      : undefined;
    const placement = await placeRemoteInGroup(trx, author, input.groupId ?? null, parent, input.module, input.visibility);
    const post = await trx.insertInto("posts").values({
      iri: input.iri, url: input.url, actor_id: author.id, local: false, type: input.type,
      visibility: placement?.visibility ?? input.visibility,
      group_id: placement?.group.actor.id ?? null,
      moderation: placement?.moderation ?? "approved",
      module: input.module ?? null,
      in_reply_to_id: parent?.id ?? null, in_reply_to_iri: input.inReplyToIri,
      name: input.name, summary: input.summary, sensitive: input.sensitive, content_html: input.contentHtml,
      language: input.language, extra: JSON.stringify(input.extra),
      published_at: clampDate(input.publishedAt),
      edited_at: input.editedAt ? clampDate(input.editedAt) : null,
    }).returningAll().executeTakeFirstOrThrow();
    await insertDetails(trx, post.id, input);
    if (post.moderation === "approved") await bumpReplies(trx, post.in_reply_to_id, 1);
    // Replies that arrived before their parent get linked now.
    await trx.updateTable("posts").set({ in_reply_to_id: post.id })
      .where("in_reply_to_iri", "=", post.iri).where("in_reply_to_id", "is", null).execute();
    if (inTransaction) await inTransaction(trx, post);
    await queuePostDelivery(trx, post, "create");
    await publishStreamEvent(trx, { type: "update", postId: post.id });
    await notifyOfPost(trx, post, input.mentionIds);
    return post;
  });
}

/** An Update of a poll that changes nothing but its poll (tallies, closing): not an edit. */
function isPollRefresh(existing: Post, input: RemotePostInput): boolean {
  return existing.type === "Question" && input.type === "Question"
    && existing.content_html === input.contentHtml && existing.summary === input.summary && existing.name === input.name
    && (input.editedAt === null || existing.edited_at?.getTime() === clampDate(input.editedAt).getTime());
}

/** Inbound Delete: only the owner may delete; the post becomes a tombstone. */
export async function deleteRemotePost(db: Db, author: Actor, iri: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const post = await trx.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
    if (!post || post.deleted_at) return false;
    if (post.actor_id !== author.id) throw forbidden("Object belongs to another actor");
    const deleted = await trx.updateTable("posts").set({ deleted_at: new Date(), content_html: "", summary: null })
      .where("id", "=", post.id).returningAll().executeTakeFirstOrThrow();
    await queuePostDelivery(trx, deleted, "delete");
    await publishStreamEvent(trx, { type: "delete", postId: deleted.id });
    if (post.reblog_of_id) {
      await trx.updateTable("posts").set({ reblogs_count: sql`greatest(reblogs_count - 1, 0)` })
        .where("id", "=", post.reblog_of_id).execute();
    } else {
      await bumpReplies(trx, post.in_reply_to_id, -1);
      const boosts = await trx.updateTable("posts").set({ deleted_at: new Date() }).where("reblog_of_id", "=", post.id)
        .returning("id").execute();
      for (const boost of boosts) await publishStreamEvent(trx, { type: "delete", postId: boost.id });
    }
    return true;
  });
}
