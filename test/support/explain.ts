import { rebuildPostCounts } from "../../src/domain/account-counts.ts";
import {
  CompiledQuery,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PostgresQueryCompiler,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
} from "kysely";
import type { DatabaseHandle, Db } from "../../src/db/database.ts";
import { preparable } from "../../src/db/prepared-statements.ts";

/**
 * The project rule: a query that lists or looks things up in a table that
 * grows is checked with EXPLAIN on a large seeded database before it ships.
 * `seedLargeDatabase` fills one; `plansOf` runs real domain code, records the
 * SQL it sends and EXPLAIN ANALYZEs each statement with its parameters;
 * `fullScansIn` lists the statements that read a large table end to end.
 */

/**
 * Rows seeded per table: enough that the planner prefers any usable index to
 * a full read, few enough to seed in seconds on PGlite. Their tables are the
 * tables a plan must not read end to end.
 */
export const SEEDED_ROWS = {
  actors: 10_000,
  follows: 40_000,
  posts: 100_000,
  post_tags: 100_000,
  post_mentions: 50_000,
  memberships: 20_000,
  processed_activities: 50_000,
  notifications: 50_000,
  // The event module's tables (src/modules/event): events in groups, and their RSVPs.
  event_details: 20_000,
  event_rsvps: 100_000,
  // The delivery audit (src/domain/audit.ts): four records per activity, over every group and server.
  delivery_audit: 100_000,
  // What accounts keep (src/domain/saved-posts.ts, blocks.ts, mutes.ts, pins.ts), mostly the local accounts'.
  likes: 50_000,
  bookmarks: 50_000,
  blocks: 10_000,
  mutes: 10_000,
  pins: 2_000,
  post_edits: 50_000,
  // Lists and filters (src/domain/lists.ts, filters.ts): ten lists and ten filters per local account.
  lists: 2_000,
  list_accounts: 20_000,
  filters: 2_000,
  filter_keywords: 10_000,
  // What instance admins and people review (src/domain/report-review.ts, sessions.ts): reports, half dealt with; web sessions of the local accounts.
  reports: 20_000,
  web_sessions: 20_000,
  // Home feeds (migration 0017): the local accounts' candidate posts, five hundred each.
  home_feed: 100_000,
  // Copies of other servers' files (migration 0013), most used recently, some long ago.
  remote_media: 50_000,
} as const;

export type LargeTable = keyof typeof SEEDED_ROWS;

/** Values that exist in the seeded data, for the queries under test to look up. */
export interface Seeded {
  /** a local account (follows some, is followed by some) */
  localActorId: string;
  /** activity id of one stored follow */
  followActivityIri: string;
  /** web URL (not id) of one stored post */
  postUrl: string;
  /** a hashtag prefix that a few dozen posts' tags start with */
  tagPrefix: string;
  /** a user name prefix that a handful of accounts start with */
  usernamePrefix: string;
  /** an actor standing for a group: posts are made in it, actors are members */
  groupId: string;
  /** a group (an actor) with a hundred events */
  eventGroupId: string;
  /** an event with a few RSVPs of each kind */
  eventPostId: string;
  /** a list of the local account, with ten of the accounts it follows */
  listId: string;
  /** a group with delivery audit records, a server that received some of them, one post and one activity in them */
  audit: { groupId: string; server: string; objectIri: string; activityId: string };
}

const DOMAINS = 200;
/** Actors that stand for groups: posts and memberships name them (their type does not matter to a plan). */
const GROUPS = 500;

/**
 * Fills a fresh, migrated database with SEEDED_ROWS rows per table (set-based
 * inserts, a few seconds even on PGlite) and ANALYZEs it so the planner knows.
 */
export async function seedLargeDatabase(handle: DatabaseHandle): Promise<Seeded> {
  const { db } = handle;
  await db.transaction().execute(async (trx) => {
    // The rows are consistent by construction, and the feeds and counts the
    // triggers keep are written below in one statement each: skip foreign key
    // checks (PGlite makes them row by row, slowly) and the row triggers (a
    // home-feed insert per post made the seed outlast the hook's deadline on
    // PostgreSQL). That takes a superuser: PGlite always is, CI's role is.
    const { rows: [role] } = await sql<{ super: boolean }>`select rolsuper as super from pg_roles where rolname = current_user`.execute(trx);
    if (handle.driver === "pglite" || role?.super) await sql`set local session_replication_role = replica`.execute(trx);
    await insertRows(trx);
  });
  // Statistics from a full sample: with the default (a sample of 30,000 rows) the
  // estimates for prefix matches vary from run to run, and so would the plans.
  await db.connection().execute(async (conn) => {
    await sql`set default_statistics_target = 10000`.execute(conn);
    await sql`analyze`.execute(conn);
    await sql`reset default_statistics_target`.execute(conn);
  });

  const follow = await db.selectFrom("follows").select("activity_iri").orderBy("id").offset(SEEDED_ROWS.follows / 2)
    .limit(1).executeTakeFirstOrThrow();
  // The newest: a walk of posts in id order, filtered until it turns up, reads the whole table.
  const post = await db.selectFrom("posts").select("url").where("url", "is not", null).orderBy("id", "desc")
    .limit(1).executeTakeFirstOrThrow();
  const local = await db.selectFrom("actors").select("id").where("username", "=", "user7").executeTakeFirstOrThrow();
  const group = await db.selectFrom("actors").select("id").where("username", "=", `user${SEEDED_ROWS.actors - GROUPS}`)
    .executeTakeFirstOrThrow();
  const { rows: [event] } = await sql<{ post_id: string; group_id: string }>`
    select post_id, group_id from event_details order by post_id offset ${SEEDED_ROWS.event_details / 2} limit 1`.execute(db);
  const audited = await db.selectFrom("delivery_audit").select(["group_id", "server", "object_iri", "activity_id"])
    .orderBy("id").offset(SEEDED_ROWS.delivery_audit / 2).limit(1).executeTakeFirstOrThrow();
  const list = await db.selectFrom("lists").select("id").where("owner_id", "=", local.id).orderBy("id").limit(1).executeTakeFirstOrThrow();
  return {
    listId: list.id,
    audit: { groupId: audited.group_id, server: audited.server, objectIri: audited.object_iri, activityId: audited.activity_id },
    localActorId: local.id,
    followActivityIri: follow.activity_iri,
    postUrl: post.url!,
    tagPrefix: "tag1234",
    usernamePrefix: "user1234",
    groupId: group.id,
    eventGroupId: event!.group_id,
    eventPostId: event!.post_id,
  };
}

async function insertRows(db: Db): Promise<void> {
  const n = SEEDED_ROWS;
  // Actors: the first DOMAINS are local, the rest spread over DOMAINS remote servers.
  await sql`
    insert into actors (iri, type, username, domain, local, display_name, inbox_url)
    select case when i < ${DOMAINS} then 'https://plein.example/users/user' || i
                else 'https://remote' || (i % ${DOMAINS}) || '.example/users/user' || i end,
           'Person', 'user' || i,
           case when i < ${DOMAINS} then 'plein.example' else 'remote' || (i % ${DOMAINS}) || '.example' end,
           i < ${DOMAINS}, 'User ' || i,
           'https://remote' || (i % ${DOMAINS}) || '.example/users/user' || i || '/inbox'
    from generate_series(0, ${n.actors - 1}) as i`.execute(db);
  const { rows: [range] } = await sql<{ first: string; count: string }>`
    select min(id) as first, count(*) as count from actors where username like 'user%'`.execute(db);
  if (!range || Number(range.count) !== n.actors) throw new Error("seeding actors failed");
  const first = range.first;

  // Follows: distinct (follower, followee) pairs, each actor following follows/actors others.
  await sql`
    insert into follows (follower_id, followee_id, state, activity_iri)
    select ${first}::bigint + i % ${n.actors},
           ${first}::bigint + (i % ${n.actors} + i / ${n.actors} + 1) % ${n.actors},
           case when i % 20 = 0 then 'pending' else 'accepted' end,
           'https://remote' || (i % ${DOMAINS}) || '.example/activities/follow/' || i
    from generate_series(0, ${n.follows - 1}) as i`.execute(db);

  // Posts of every scope, half of them with a web URL distinct from their id, one hashtag each; every tenth is
  // in one of GROUPS groups (the last actors).
  const groupsFrom = n.actors - GROUPS;
  await sql`
    insert into posts (iri, url, actor_id, local, type, visibility, content_html, published_at, group_id)
    select 'https://remote' || (i % ${DOMAINS}) || '.example/objects/' || i,
           case when i % 2 = 0 then 'https://remote' || (i % ${DOMAINS}) || '.example/@user/' || i end,
           ${first}::bigint + i % ${n.actors}, i % ${n.actors} < ${DOMAINS}, 'Note',
           (array['public', 'public', 'public', 'unlisted', 'followers', 'direct', 'instance'])[1 + i % 7],
           '<p>post ' || i || '</p>', now() - i * interval '1 minute',
           case when i % 10 = 0 then ${first}::bigint + ${groupsFrom} + (i / 10) % ${GROUPS} end
    from generate_series(0, ${n.posts - 1}) as i`.execute(db);
  await sql`
    insert into post_tags (post_id, tag)
    select id, 'tag' || (id % 20000) from posts`.execute(db);

  // Notifications for the local accounts, a fifth about no post (follows), the rest about posts of every scope.
  const { rows: [posts] } = await sql<{ first: string }>`select min(id) as first from posts`.execute(db);
  await sql`
    insert into notifications (recipient_id, type, actor_id, post_id)
    select ${first}::bigint + i % ${DOMAINS},
           (array['favourite', 'mention', 'follow', 'reblog', 'status'])[1 + i % 5],
           ${first}::bigint + (i * 7919) % ${n.actors},
           case when i % 5 <> 2 then ${posts!.first}::bigint + (i * 13) % ${n.posts} end
    from generate_series(0, ${n.notifications - 1}) as i`.execute(db);
  // Each actor is a member of two groups (one in twenty only asks to be); every other post mentions someone.
  await sql`
    insert into memberships (group_id, member_id, state)
    select ${first}::bigint + ${groupsFrom} + (i * 7 + i / ${n.actors}) % ${GROUPS},
           ${first}::bigint + i % ${n.actors},
           case when i % 20 = 1 then 'pending' else 'member' end
    from generate_series(0, ${n.memberships - 1}) as i`.execute(db);
  await sql`
    insert into post_mentions (post_id, actor_id)
    select id, ${first}::bigint + (id * 7) % ${n.actors} from posts where id % 2 = 0`.execute(db);

  // Likes and bookmarks: 250 per local account, a few per remote one, of posts of every scope.
  for (const [table, step] of [["likes", 37], ["bookmarks", 41]] as const) {
    const activity = table === "likes" ? sql`, activity_iri` : sql``;
    const activityValue = table === "likes" ? sql`, 'https://plein.example/activities/like/' || i` : sql``;
    await sql`
      insert into ${sql.table(table)} (actor_id, post_id${activity})
      select ${first}::bigint + i % ${DOMAINS * 2}, ${posts!.first}::bigint + (i * ${step}) % ${n.posts}${activityValue}
      from generate_series(0, ${n[table] - 1}) as i`.execute(db);
  }
  // Blocks and mutes: each local account blocks and mutes fifty others.
  for (const table of ["blocks", "mutes"] as const) {
    await sql`
      insert into ${sql.table(table)} (actor_id, target_id)
      select ${first}::bigint + i % ${DOMAINS}, ${first}::bigint + (i + 1 + (${table === "mutes" ? 7 : 0})) % ${n.actors}
      from generate_series(0, ${n[table] - 1}) as i`.execute(db);
  }
  // Pins: ten posts of each local account; earlier versions of every other post.
  await sql`
    insert into pins (actor_id, post_id)
    select actor_id, id from (select actor_id, id, row_number() over (partition by actor_id order by id) as k
                              from posts where actor_id < ${first}::bigint + ${DOMAINS}) as p where k <= 10`.execute(db);
  await sql`
    insert into post_edits (post_id, content_html, created_at)
    select id, '<p>earlier</p>', now() - interval '1 day' from posts where id % 2 = 1`.execute(db);

  // Events: the first posts, in DOMAINS groups (actors stand in for them), one a day from a year ago on;
  // RSVPs: five per event, of every status, some waiting.
  await sql`
    insert into event_details (post_id, group_id, starts_at, time_zone, capacity, going_count, waitlist_count, maybe_count, not_going_count)
    select ${posts!.first}::bigint + i, ${first}::bigint + i % ${DOMAINS}, now() - interval '365 days' + i * interval '1 day' / 50,
           'Europe/Amsterdam', 3, 0, 0, 0, 0
    from generate_series(0, ${n.event_details - 1}) as i`.execute(db);
  await sql`
    insert into event_rsvps (post_id, actor_iri, actor_id, status, waitlist_position)
    select ${posts!.first}::bigint + i / 5, 'https://plein.example/users/user' || (i % ${n.actors}), ${first}::bigint + (i * 7) % ${n.actors},
           (array['going', 'going', 'going', 'maybe', 'not_going'])[1 + i % 5], null
    from generate_series(0, ${n.event_rsvps - 1}) as i`.execute(db);

  await sql`
    insert into delivery_audit (group_id, group_iri, object_iri, activity_id, activity_type, server, inbox, result, status_code, attempt, created_at)
    select ${first}::bigint + ${groupsFrom} + (i / 4) % ${GROUPS}, 'https://plein.example/users/user' || (${groupsFrom} + (i / 4) % ${GROUPS}),
           'https://plein.example/objects/' || (i / 4), 'https://plein.example/activities/' || (i / 4), 'Announce',
           'remote' || (i % ${DOMAINS}) || '.example', 'https://remote' || (i % ${DOMAINS}) || '.example/inbox',
           (array['queued', 'delivered', 'retrying', 'refused'])[1 + i % 4], case when i % 4 = 2 then 503 end,
           case when i % 4 in (1, 2) then 1 end, now() - (${n.delivery_audit} - i) * interval '1 second'
    from generate_series(0, ${n.delivery_audit - 1}) as i`.execute(db);

  // The local accounts' users (user7, the seeded local account, an instance admin), their reports and web sessions.
  await sql`
    insert into users (actor_id, email, password_hash, admin)
    select ${first}::bigint + i, 'user' || i || '@plein.example', 'not a hash', i = 7
    from generate_series(0, ${DOMAINS - 1}) as i`.execute(db);
  await sql`
    insert into reports (reporter_id, target_id, post_ids, comment, created_at, resolved_at)
    select ${first}::bigint + i % ${DOMAINS}, ${first}::bigint + ${DOMAINS} + i % ${n.actors - DOMAINS},
           jsonb_build_array((${posts!.first}::bigint + (i * 13) % ${n.posts})::text), 'report ' || i,
           now() - (${n.reports} - i) * interval '1 minute', case when i % 2 = 0 then now() end
    from generate_series(0, ${n.reports - 1}) as i`.execute(db);
  // Each seeded report names one post: its group, if any, is the report's.
  await sql`
    insert into report_groups (group_id, report_id)
    select posts.group_id, reports.id from reports join posts on posts.id = (reports.post_ids ->> 0)::bigint
    where posts.group_id is not null`.execute(db);
  await sql`
    insert into web_sessions (session_digest, actor_id, expires_at, created_at)
    select md5('session' || i), ${first}::bigint + i % ${DOMAINS}, now() + interval '1 day' - (i % 3) * interval '2 days',
           now() - i * interval '1 minute'
    from generate_series(0, ${n.web_sessions - 1}) as i`.execute(db);

  // Home feeds and stored counts, written as the triggers would (they are off here: replication role).
  await sql`delete from home_feed`.execute(db);
  await sql`
    insert into home_feed (owner_id, post_id)
    select ${first}::bigint + i % ${DOMAINS}, ${posts!.first}::bigint + (i * 7) % ${n.posts}
    from generate_series(0, ${n.home_feed - 1}) as i
    on conflict do nothing`.execute(db);
  await sql`
    insert into remote_media (kind, url, storage_key, content_type, size, fetched_at, last_used_at)
    select (array['avatar', 'header', 'attachment'])[1 + i % 3], 'https://remote' || (i % ${DOMAINS}) || '.example/media/' || i,
           'ab/' || md5(i::text), 'image/png', 1000, now() - interval '1 day',
           now() - (case when i % 50 = 0 then 30 else 0 end) * interval '1 day' - i * interval '1 second'
    from generate_series(0, ${n.remote_media - 1}) as i`.execute(db);
  await rebuildPostCounts(db);

  // Lists: ten per local account, each with ten of the accounts it follows; filters: ten per local account, five keywords each.
  await sql`
    insert into lists (owner_id, title)
    select ${first}::bigint + i % ${DOMAINS}, 'list ' || i from generate_series(0, ${n.lists - 1}) as i`.execute(db);
  await sql`
    insert into list_accounts (list_id, actor_id, follow_id)
    select l.id, f.followee_id, f.id
    from lists l cross join lateral (select id, followee_id from follows where follower_id = l.owner_id
                                     order by id offset (l.id % 10) limit 10) as f`.execute(db);
  await sql`
    insert into filters (owner_id, title, context, action)
    select ${first}::bigint + i % ${DOMAINS}, 'filter ' || i,
           case when i % 2 = 0 then array['home', 'public'] else array['notifications', 'thread'] end,
           case when i % 3 = 0 then 'hide' else 'warn' end
    from generate_series(0, ${n.filters - 1}) as i`.execute(db);
  await sql`
    insert into filter_keywords (filter_id, keyword)
    select id, 'word' || k from filters cross join generate_series(1, 5) as k`.execute(db);

  // Inbox ids over the last 30 days and a bit: the hourly clean-up finds the oldest few.
  await sql`
    insert into processed_activities (activity_iri, processed_at)
    select 'https://remote' || (i % ${DOMAINS}) || '.example/activities/' || i,
           now() - (i::double precision / ${n.processed_activities}) * interval '30 days 6 hours'
    from generate_series(0, ${n.processed_activities - 1}) as i`.execute(db);
}

/** Records every statement sent through it, compiled as the PostgreSQL dialects compile it. */
class RecordingPlugin implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  readonly #compiler = new PostgresQueryCompiler();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.queries.push(this.#compiler.compileQuery(args.node, args.queryId));
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** The SQL statements `run` sends to the database, in order (run really executes). */
export async function recordQueries(db: Db, run: (db: Db) => Promise<unknown>): Promise<CompiledQuery[]> {
  const recorder = new RecordingPlugin();
  await run(db.withPlugin(recorder));
  return recorder.queries;
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

export interface ExplainedQuery {
  sql: string;
  /** EXPLAIN's text output (the plan, without timings) */
  plan: string;
  /** one line: the scans, e.g. "Index Scan using follows_activity_iri on follows (read 1)" */
  summary: string;
  /**
   * How the statement read a large table end to end: a Seq Scan, or any scan
   * that read more than READ_LIMIT of the table's rows, such as an index
   * walked in id order and filtered until the one match turns up.
   */
  fullScans: string[];
}

/** Share of a large table that one scan may read before it counts as reading the whole table. */
const READ_LIMIT = 0.1;

function scanNodes(node: PlanNode): PlanNode[] {
  const own = node["Node Type"].endsWith("Scan") ? [node] : [];
  return own.concat((node.Plans ?? []).flatMap(scanNodes));
}

/** Rows the scan looked at: those it returned and those it filtered out, over all its loops. */
function rowsRead(s: PlanNode): number {
  const perLoop = s["Actual Rows"] + (s["Rows Removed by Filter"] ?? 0) + (s["Rows Removed by Index Recheck"] ?? 0);
  return Math.round(perLoop * s["Actual Loops"]);
}

function describeScan(s: PlanNode): string {
  const where = s["Relation Name"] ? ` on ${s["Relation Name"]}` : "";
  return `${s["Node Type"]}${s["Index Name"] ? ` using ${s["Index Name"]}` : ""}${where} (read ${rowsRead(s)})`;
}

function readsWholeTable(s: PlanNode): boolean {
  const table = s["Relation Name"];
  if (!table || !(table in SEEDED_ROWS)) return false;
  return s["Node Type"] === "Seq Scan" || rowsRead(s) > READ_LIMIT * SEEDED_ROWS[table as LargeTable];
}

const EXPLAINABLE = /^\s*(select|insert|update|delete|with|values)\b/i;
const READ = /^\s*select\b/i;

function explained(sql: string, plan: PlanNode, text: { "QUERY PLAN": string }[]): ExplainedQuery {
  const scans = scanNodes(plan);
  return {
    sql,
    plan: text.map((r) => r["QUERY PLAN"]).join("\n"),
    summary: scans.map(describeScan).join("; "),
    fullScans: scans.filter(readsWholeTable).map(describeScan),
  };
}

/**
 * EXPLAIN ANALYZEs one recorded statement with its parameters (a custom plan,
 * as when it ran), in a transaction that is rolled back: writes leave no trace.
 */
export async function explainQuery(db: Db, query: CompiledQuery): Promise<ExplainedQuery> {
  const params = [...query.parameters];
  const trx = await db.startTransaction().execute();
  try {
    const analyzed = await trx.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`explain (analyze, format json) ${query.sql}`, params));
    const text = await trx.executeQuery<{ "QUERY PLAN": string }>(CompiledQuery.raw(`explain ${query.sql}`, params));
    return explained(query.sql, analyzed.rows[0]!["QUERY PLAN"][0].Plan, text.rows);
  } finally {
    await trx.rollback().execute();
  }
}

/** Statements explainPrepared has prepared: each gets a name of its own. */
let preparedCount = 0;

/** A parameter as an SQL literal, for EXECUTE's argument list (values the code under test sent). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return literal(value.toISOString());
  if (Array.isArray(value)) return literal(`{${value.map((v) => `"${String(v).replace(/["\\]/g, "\\$&")}"`).join(",")}}`);
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`;
  return literal(JSON.stringify(value));
}

/**
 * EXPLAIN ANALYZEs the plan PostgreSQL keeps for a prepared statement, as
 * Plein's pool prepares the statements it repeats (src/db/prepared-statements.ts):
 * executed six times first, after which PostgreSQL uses a generic plan (one for
 * any parameters) if it estimates it no dearer than the custom ones. A generic
 * plan can misjudge what a custom one gets right. Rolled back like explainQuery.
 */
export async function explainPrepared(db: Db, query: CompiledQuery): Promise<ExplainedQuery> {
  const args = query.parameters.length ? `(${query.parameters.map(literal).join(", ")})` : "";
  // PREPARE outlives a rollback: a name of its own, deallocated before the rollback.
  const name = `plein_explained_${++preparedCount}`;
  const trx = await db.startTransaction().execute();
  try {
    await trx.executeQuery(CompiledQuery.raw(`prepare ${name} as ${query.sql}`));
    for (let i = 0; i < 6; i++) await trx.executeQuery(CompiledQuery.raw(`execute ${name}${args}`));
    const analyzed = await trx.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`explain (analyze, format json) execute ${name}${args}`));
    const text = await trx.executeQuery<{ "QUERY PLAN": string }>(CompiledQuery.raw(`explain execute ${name}${args}`));
    await trx.executeQuery(CompiledQuery.raw(`deallocate ${name}`));
    return explained(query.sql, analyzed.rows[0]!["QUERY PLAN"][0].Plan, text.rows);
  } finally {
    await trx.rollback().execute();
  }
}

/** Runs `run` against `db` and EXPLAINs every statement it sent (`prepared`: the plan kept once prepared). */
export async function plansOf(db: Db, run: (db: Db) => Promise<unknown>, prepared = false): Promise<ExplainedQuery[]> {
  // Prepared and run seven times, a write would repeat itself: reads only.
  const sent = (await recordQueries(db, run)).filter((q) => EXPLAINABLE.test(q.sql));
  if (sent.length === 0) throw new Error("the code under test sent no query");
  const queries = prepared ? sent.filter((q) => READ.test(q.sql) && preparable(q.sql)) : sent;
  const plans: ExplainedQuery[] = [];
  for (const q of queries) plans.push(await (prepared ? explainPrepared(db, q) : explainQuery(db, q)));
  return plans;
}

/** Each statement of `run` that reads a large table end to end, with its plan: [] when all use indexes. */
export async function fullScansIn(db: Db, run: (db: Db) => Promise<unknown>, prepared = false): Promise<string[]> {
  return (await plansOf(db, run, prepared)).filter((p) => p.fullScans.length > 0)
    .map((p) => `${p.fullScans.join(", ")} in\n${p.sql}\n${p.plan}`);
}
