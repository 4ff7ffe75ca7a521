/**
 * Mastodon's conversations: the threads of direct posts an account takes
 * part in. A thread is keyed by posts.conversation_id (migration 0020; read
 * as coalesce(conversation_id, id) for posts stored before it). Which posts
 * of a thread an account sees is the visibility rule's answer; its newest
 * such post is the conversation's last post, and orders and pages the list.
 */
import { type ExpressionBuilder, sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, Post } from "../db/schema.ts";
import { keysetPage, type Page } from "./paging.ts";
import { visibleTo, type Viewer } from "./visibility.ts";

export interface Conversation {
  /** the thread's key */
  id: string;
  /** the newest direct post of the thread the account may see */
  lastStatus: Post;
  /** that post is someone else's and came after the account last read the thread */
  unread: boolean;
  /** the other participants: authors and mentioned accounts of the thread's posts the account sees, in order of appearance */
  participantIds: string[];
}

const conversationKey = sql<string>`coalesce(posts.conversation_id, posts.id)`;

/** Direct posts, as `viewer` may see them. */
function directVisibleTo(viewer: Viewer) {
  const visible = visibleTo(viewer);
  return (eb: ExpressionBuilder<Database, "posts">) => eb.and([eb("posts.visibility", "=", "direct"), visible(eb)]);
}

/**
 * The direct posts `actorId` wrote or is mentioned in and may see, with
 * their thread: each source read on its own index (the author's posts, the
 * account's mentions).
 */
function directPostsOf(db: Db, actorId: string) {
  const viewer: Viewer = { kind: "local", actorId };
  const own = db.selectFrom("posts").select([conversationKey.as("conversation_id"), "posts.id as post_id"])
    .where("posts.actor_id", "=", actorId)
    .where(directVisibleTo(viewer));
  const mentioned = db.selectFrom("post_mentions").innerJoin("posts", "posts.id", "post_mentions.post_id")
    .select([conversationKey.as("conversation_id"), "posts.id as post_id"])
    .where("post_mentions.actor_id", "=", actorId)
    .where(directVisibleTo(viewer));
  return own.union(mentioned);
}

/**
 * `actorId`'s conversations, the one with the newest post first, keyset-paged
 * on that post's id. A conversation hidden up to a post shows again only
 * once a newer post arrives.
 */
export async function listConversations(db: Db, actorId: string, page: Page): Promise<Conversation[]> {
  const latest = db.selectFrom(directPostsOf(db, actorId).as("seen"))
    .leftJoin("conversation_marks", (j) => j.onRef("conversation_marks.conversation_id", "=", "seen.conversation_id")
      .on("conversation_marks.owner_id", "=", actorId))
    .select(["seen.conversation_id", sql<string>`max(seen.post_id)`.as("post_id")])
    .groupBy(["seen.conversation_id", "conversation_marks.hidden_up_to_post_id"])
    .having(sql<boolean>`max(seen.post_id) > coalesce(conversation_marks.hidden_up_to_post_id, 0)`);
  const rows = await keysetPage(db.selectFrom(latest.as("latest")).select(["latest.conversation_id", "latest.post_id"]), "latest.post_id", page);
  return complete(db, actorId, rows.map((r) => ({ conversationId: r.conversation_id, postId: r.post_id })));
}

/** One of `actorId`'s conversations (not hidden), or undefined. */
export async function findConversation(db: Db, actorId: string, conversationId: string): Promise<Conversation | undefined> {
  const viewer: Viewer = { kind: "local", actorId };
  const newest = await db.selectFrom("posts").select("posts.id")
    .where(conversationKey, "=", conversationId)
    .where(directVisibleTo(viewer))
    .where((eb) => eb.not(eb.exists(eb.selectFrom("conversation_marks").select(sql.lit(1).as("one"))
      .where("conversation_marks.owner_id", "=", actorId).where("conversation_marks.conversation_id", "=", conversationId)
      .whereRef("conversation_marks.hidden_up_to_post_id", ">=", "posts.id"))))
    .orderBy("posts.id", "desc").limit(1).executeTakeFirst();
  if (!newest) return undefined;
  const [conversation] = await complete(db, actorId, [{ conversationId, postId: newest.id }]);
  return conversation;
}

/** Marks the conversation read up to its newest post; undefined when it is not one of the account's. */
export async function markConversationRead(db: Db, actorId: string, conversationId: string): Promise<Conversation | undefined> {
  const conversation = await findConversation(db, actorId, conversationId);
  if (!conversation) return undefined;
  await db.insertInto("conversation_marks")
    .values({ owner_id: actorId, conversation_id: conversationId, read_up_to_post_id: conversation.lastStatus.id })
    .onConflict((oc) => oc.columns(["owner_id", "conversation_id"]).doUpdateSet({ read_up_to_post_id: conversation.lastStatus.id }))
    .execute();
  return { ...conversation, unread: false };
}

/** Hides the conversation from the account's list until a newer post arrives; false when it is not one of the account's. */
export async function hideConversation(db: Db, actorId: string, conversationId: string): Promise<boolean> {
  const conversation = await findConversation(db, actorId, conversationId);
  if (!conversation) return false;
  await db.insertInto("conversation_marks")
    .values({ owner_id: actorId, conversation_id: conversationId, hidden_up_to_post_id: conversation.lastStatus.id })
    .onConflict((oc) => oc.columns(["owner_id", "conversation_id"]).doUpdateSet({ hidden_up_to_post_id: conversation.lastStatus.id }))
    .execute();
  return true;
}

/** The last posts, read marks and participants of the conversations found. */
async function complete(db: Db, actorId: string, found: Array<{ conversationId: string; postId: string }>): Promise<Conversation[]> {
  if (found.length === 0) return [];
  const viewer: Viewer = { kind: "local", actorId };
  const keys = found.map((f) => f.conversationId);
  const [lastPosts, marks, threadPosts] = await Promise.all([
    db.selectFrom("posts").selectAll("posts").where("posts.id", "in", found.map((f) => f.postId)).execute(),
    db.selectFrom("conversation_marks").select(["conversation_id", "read_up_to_post_id"])
      .where("owner_id", "=", actorId).where("conversation_id", "in", keys).execute(),
    db.selectFrom("posts").select([conversationKey.as("conversation_id"), "posts.id", "posts.actor_id"])
      .where(conversationKey, "in", keys).where(directVisibleTo(viewer)).orderBy("posts.id").execute(),
  ]);
  const mentions = await db.selectFrom("post_mentions").select(["post_id", "actor_id"])
    .where("post_id", "in", threadPosts.length > 0 ? threadPosts.map((p) => p.id) : ["0"]).orderBy("post_id").execute();
  const participants = new Map<string, string[]>();
  const add = (key: string, id: string) => {
    const list = participants.get(key) ?? [];
    if (id !== actorId && !list.includes(id)) list.push(id);
    participants.set(key, list);
  };
  const mentionsOf = Map.groupBy(mentions, (m) => m.post_id);
  for (const p of threadPosts) {
    add(p.conversation_id, p.actor_id);
    for (const m of mentionsOf.get(p.id) ?? []) add(p.conversation_id, m.actor_id);
  }
  const postById = new Map(lastPosts.map((p) => [p.id, p]));
  const readUpTo = new Map(marks.map((m) => [m.conversation_id, m.read_up_to_post_id]));
  return found.flatMap((f) => {
    const last = postById.get(f.postId);
    if (!last) return [];
    const read = readUpTo.get(f.conversationId);
    const unread = last.actor_id !== actorId && (read == null || BigInt(last.id) > BigInt(read));
    return [{ id: f.conversationId, lastStatus: last, unread, participantIds: participants.get(f.conversationId) ?? [] }];
  });
}
