import { type Kysely, sql } from "kysely";

/** How many posts a new follow, a new membership or this migration puts in a home feed at most. */
const BACKFILL = 400;

// Timelines at national scale (issue 10).
//
// home_feed: the candidate posts of each local account's home timeline, one
// row per (owner, post). Triggers fill it in the transaction that stores a
// post (for the author, if local, its accepted local followers and the local
// members of its group), a mention (for the mentioned), an accepted follow
// and a started membership (the newest posts of the followee or group). It is
// only an index: the home timeline rechecks every row it returns against the
// visibility rule, mutes, lists and follow options (src/domain/timelines.ts),
// so a row that no longer qualifies (unfollowed, left, blocked, deleted) is
// skipped, never shown.
//
// post_counts: per author, and per group for the posts made in it, how many
// posts anyone may read (public and unlisted, approved, not deleted) and when
// the newest of them was published; src/domain/account-counts.ts adds what a
// viewer may see beyond those. Kept by a trigger on posts.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("home_feed")
    .addColumn("owner_id", "bigint", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("home_feed_pkey", ["owner_id", "post_id"])
    .execute();
  // Deleting a post (or an actor's posts) finds its feed rows by post.
  await db.schema.createIndex("home_feed_post").on("home_feed").column("post_id").execute();

  await sql`
    create function home_feed_post_inserted() returns trigger language plpgsql as $$
    begin
      insert into home_feed (owner_id, post_id)
      select a.id, new.id from actors a where a.id = new.actor_id and a.local
      union
      select f.follower_id, new.id from follows f join actors a on a.id = f.follower_id
       where f.followee_id = new.actor_id and f.state = 'accepted' and a.local
      union
      select m.member_id, new.id from memberships m join actors a on a.id = m.member_id
       where new.group_id is not null and m.group_id = new.group_id and m.state = 'member' and a.local
      on conflict do nothing;
      return null;
    end $$`.execute(db);
  await sql`create trigger posts_home_feed after insert on posts for each row execute function home_feed_post_inserted()`.execute(db);

  await sql`
    create function home_feed_mention_inserted() returns trigger language plpgsql as $$
    begin
      insert into home_feed (owner_id, post_id)
      select a.id, new.post_id from actors a where a.id = new.actor_id and a.local
      on conflict do nothing;
      return null;
    end $$`.execute(db);
  await sql`create trigger post_mentions_home_feed after insert on post_mentions for each row execute function home_feed_mention_inserted()`
    .execute(db);

  await sql`
    create function home_feed_follow_accepted() returns trigger language plpgsql as $$
    begin
      if new.state = 'accepted' and (tg_op = 'INSERT' or old.state <> 'accepted') then
        insert into home_feed (owner_id, post_id)
        select a.id, p.id from actors a
          cross join lateral (select id from posts where actor_id = new.followee_id order by id desc limit ${sql.lit(BACKFILL)}) p
         where a.id = new.follower_id and a.local
        on conflict do nothing;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger follows_home_feed after insert or update of state on follows for each row execute function home_feed_follow_accepted()`
    .execute(db);

  await sql`
    create function home_feed_membership_started() returns trigger language plpgsql as $$
    begin
      if new.state = 'member' and (tg_op = 'INSERT' or old.state <> 'member') then
        insert into home_feed (owner_id, post_id)
        select a.id, p.id from actors a
          cross join lateral (select id from posts where group_id = new.group_id order by id desc limit ${sql.lit(BACKFILL)}) p
         where a.id = new.member_id and a.local
        on conflict do nothing;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger memberships_home_feed after insert or update of state on memberships for each row execute function home_feed_membership_started()`
    .execute(db);

  // Each local account's newest BACKFILL candidates (each source read on its own index, BACKFILL deep).
  const deep = sql.lit(BACKFILL);
  await sql`
    insert into home_feed (owner_id, post_id)
    select a.id, c.id from actors a cross join lateral (
      select u.id from (
        (select p.id from posts p where p.actor_id = a.id order by p.id desc limit ${deep})
        union
        (select x.id from follows f
           cross join lateral (select p.id from posts p where p.actor_id = f.followee_id order by p.id desc limit ${deep}) x
          where f.follower_id = a.id and f.state = 'accepted')
        union
        (select pm.post_id from post_mentions pm where pm.actor_id = a.id order by pm.post_id desc limit ${deep})
        union
        (select x.id from memberships m
           cross join lateral (select p.id from posts p where p.group_id = m.group_id order by p.id desc limit ${deep}) x
          where m.member_id = a.id and m.state = 'member')
      ) u order by u.id desc limit ${deep}) c
    where a.local
    on conflict do nothing`.execute(db);

  await db.schema
    .createTable("post_counts")
    .addColumn("actor_id", "bigint", (c) => c.primaryKey().references("actors.id").onDelete("cascade"))
    // posts it wrote
    .addColumn("statuses", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_status_at", "timestamptz")
    // a group: posts made in it
    .addColumn("group_statuses", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_group_status_at", "timestamptz")
    .execute();
  const counted = (p: string) => sql.raw(`${p}.visibility in ('public', 'unlisted') and ${p}.moderation = 'approved' and ${p}.deleted_at is null`);
  await sql`
    create function post_counts_changed() returns trigger language plpgsql as $$
    declare
      was boolean := false;
      now_counted boolean := false;
    begin
      if tg_op <> 'INSERT' then
        was := ${counted("old")};
      end if;
      if tg_op <> 'DELETE' then
        now_counted := ${counted("new")};
      end if;
      if now_counted and not was then
        insert into post_counts (actor_id, statuses, last_status_at) values (new.actor_id, 1, new.published_at)
        on conflict (actor_id) do update set statuses = post_counts.statuses + 1,
          last_status_at = greatest(post_counts.last_status_at, excluded.last_status_at);
        if new.group_id is not null then
          insert into post_counts (actor_id, group_statuses, last_group_status_at) values (new.group_id, 1, new.published_at)
          on conflict (actor_id) do update set group_statuses = post_counts.group_statuses + 1,
            last_group_status_at = greatest(post_counts.last_group_status_at, excluded.last_group_status_at);
        end if;
      elsif was and not now_counted then
        update post_counts set statuses = greatest(statuses - 1, 0) where actor_id = old.actor_id;
        update post_counts set group_statuses = greatest(group_statuses - 1, 0) where actor_id = old.group_id;
        -- A post taken back (not a row removed with its actor or its server's content): find the newest one left.
        if tg_op = 'DELETE' then
          return null;
        end if;
        update post_counts set last_status_at = (select max(published_at) from posts p where p.actor_id = old.actor_id and ${counted("p")})
         where actor_id = old.actor_id;
        update post_counts set last_group_status_at = (select max(published_at) from posts p where p.group_id = old.group_id and ${counted("p")})
         where actor_id = old.group_id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger posts_post_counts after insert or update of visibility, moderation, deleted_at or delete on posts
    for each row execute function post_counts_changed()`.execute(db);
  await sql`
    insert into post_counts (actor_id, statuses, last_status_at, group_statuses, last_group_status_at)
    select x.id, sum(x.n), max(x.last), sum(x.gn), max(x.glast) from (
      select p.actor_id as id, count(*) as n, max(p.published_at) as last, 0 as gn, null::timestamptz as glast
        from posts p where ${counted("p")} group by p.actor_id
      union all
      select p.group_id, 0, null, count(*), max(p.published_at) from posts p where ${counted("p")} and p.group_id is not null group by p.group_id
    ) x group by x.id`.execute(db);

  // What a viewer may see beyond the counted posts is counted at read time, from these.
  const restricted = sql`not (visibility in ('public', 'unlisted') and moderation = 'approved')`;
  await sql`create index posts_actor_restricted on posts (actor_id, id) where ${restricted}`.execute(db);
  await sql`create index posts_group_restricted on posts (group_id, id) where ${restricted}`.execute(db);
  // The local public timeline walks our public posts only.
  await sql`create index posts_local_public on posts (id) where local and visibility = 'public' and reblog_of_id is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const i of ["posts_local_public", "posts_group_restricted", "posts_actor_restricted"]) await db.schema.dropIndex(i).execute();
  await sql`drop trigger posts_post_counts on posts`.execute(db);
  await sql`drop function post_counts_changed()`.execute(db);
  await db.schema.dropTable("post_counts").execute();
  await sql`drop trigger memberships_home_feed on memberships`.execute(db);
  await sql`drop trigger follows_home_feed on follows`.execute(db);
  await sql`drop trigger post_mentions_home_feed on post_mentions`.execute(db);
  await sql`drop trigger posts_home_feed on posts`.execute(db);
  for (const f of ["home_feed_membership_started", "home_feed_follow_accepted", "home_feed_mention_inserted", "home_feed_post_inserted"]) {
    await sql`drop function ${sql.raw(f)}()`.execute(db);
  }
  await db.schema.dropTable("home_feed").execute();
}
