import { type Kysely, sql } from "kysely";

// Mastodon conversations (src/domain/conversations.ts): a conversation is a
// thread of direct posts. posts.conversation_id is set as a post is stored:
// the parent's conversation (its conversation_id, or its own id for a post
// stored before this migration) for a reply, else the post's own id (the
// identity default is assigned before a BEFORE trigger runs). Rows stored
// before keep null and are read as coalesce(conversation_id, id).
// conversation_marks: how far an account has read a conversation, and up to
// which post it hid (deleted) it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("posts").addColumn("conversation_id", "bigint").execute();
  await sql`
    create function posts_conversation() returns trigger language plpgsql as $$
    begin
      new.conversation_id := new.id;
      if new.in_reply_to_id is not null then
        select coalesce(p.conversation_id, p.id) into new.conversation_id from posts p where p.id = new.in_reply_to_id;
        new.conversation_id := coalesce(new.conversation_id, new.id);
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger posts_conversation before insert on posts for each row execute function posts_conversation()`.execute(db);
  // A reply that arrived before its parent is linked to it later (src/domain/posts/remote.ts): it joins the
  // parent's thread, and so do the direct posts that had joined the reply's own.
  await sql`
    create function posts_conversation_relinked() returns trigger language plpgsql as $$
    declare
      was bigint := coalesce(old.conversation_id, old.id);
    begin
      if new.in_reply_to_id is null or new.in_reply_to_id is not distinct from old.in_reply_to_id then
        return new;
      end if;
      select coalesce(p.conversation_id, p.id) into new.conversation_id from posts p where p.id = new.in_reply_to_id;
      new.conversation_id := coalesce(new.conversation_id, new.id);
      if new.conversation_id <> was then
        update posts set conversation_id = new.conversation_id
         where coalesce(conversation_id, id) = was and visibility = 'direct' and id <> new.id;
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger posts_conversation_relinked before update of in_reply_to_id on posts for each row execute function posts_conversation_relinked()`
    .execute(db);
  // The direct posts of a conversation (its participants, its newest post).
  await sql`create index posts_direct_conversation on posts ((coalesce(conversation_id, id)), id) where visibility = 'direct'`.execute(db);

  await db.schema
    .createTable("conversation_marks")
    .addColumn("owner_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("conversation_id", "bigint", (c) => c.notNull())
    .addColumn("read_up_to_post_id", "bigint")
    .addColumn("hidden_up_to_post_id", "bigint")
    .addPrimaryKeyConstraint("conversation_marks_pkey", ["owner_id", "conversation_id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("conversation_marks").execute();
  await sql`drop index posts_direct_conversation`.execute(db);
  await sql`drop trigger posts_conversation_relinked on posts`.execute(db);
  await sql`drop function posts_conversation_relinked()`.execute(db);
  await sql`drop trigger posts_conversation on posts`.execute(db);
  await sql`drop function posts_conversation()`.execute(db);
  await db.schema.alterTable("posts").dropColumn("conversation_id").execute();
}
