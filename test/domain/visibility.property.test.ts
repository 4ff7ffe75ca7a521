/**
 * Property-based tests of the one visibility rule (src/domain/visibility.ts)
 * and of the timelines built on it (src/domain/timelines.ts).
 *
 * Each fast-check run inserts a random world (local and remote actors on a few
 * domains, instance actors included; pending and accepted follows; blocks;
 * posts of every federated and local scope, some deleted, some boosts and
 * replies; mentions; local groups (public, closed, secret) and remote ones,
 * memberships of local and remote people in every state and role, posts and
 * replies in groups, some awaiting moderation) inside a transaction that is
 * rolled back afterwards, and compares what the database answers with a plain
 * TypeScript model of the rule written from its documentation
 * (src/domain/scopes.ts, the comments of src/domain/visibility.ts):
 *
 * - deleted posts: nobody;
 * - public, unlisted: everyone;
 * - followers: the author, accepted followers, the mentioned;
 * - direct: the author and the mentioned;
 * - instance: the author and signed-in local accounts, for local posts only;
 * - an actor (local or remote viewer) blocked by the author sees none of the author's posts;
 * - a remote server (its instance actor), known by its whole origin, sees a
 *   followers post when one of its remote actors is an accepted follower, a
 *   followers or direct post when one of its remote actors is mentioned; a
 *   server on our host name with another scheme speaks for no local account;
 * - a pending follow grants nothing (Pixelfed CVE-2025-30741);
 * - a current member of a group is one in state "member" whose actor is not
 *   gone; a pending request, an invitation or a ban grants nothing;
 * - group (a closed or secret group's content, or a remote group's): the
 *   author, the group's current members and the group actor itself; a remote
 *   server when one of its remote actors is a current member; mentions and
 *   follows grant nothing;
 * - a post awaiting moderation: only its author and the group's owner, admins
 *   and moderators who are current members (never anonymous or a server);
 * - audience: accepted followers and the mentioned (only the mentioned for
 *   direct, nobody for instance); for a post in a local group its current
 *   members, in a remote group the group actor only (nobody once the group is
 *   gone); never the author, a gone actor or an actor the author blocks; every
 *   member (and its server) may view what it receives once it is approved.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type {
  ActorType, FollowState, GroupVisibility, MembershipRole, MembershipState, ModerationState, Post, Visibility,
} from "../../src/db/schema.ts";
import { actorPosts, context, homeTimeline, publicTimeline, replies } from "../../src/domain/timelines.ts";
import { ANONYMOUS, audience, canView, followerAudience, type Viewer, visibleTo } from "../../src/domain/visibility.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const LOCAL_DOMAIN = "plein.test";
const REMOTE_DOMAINS = ["a.example", "b.example", "c.example"];
/** The scopes a post outside groups is given; "group" belongs to posts in groups. */
const SCOPES = ["public", "unlisted", "followers", "direct", "instance"] as const satisfies readonly Visibility[];
const MEMBERSHIP_STATES: readonly MembershipState[] = ["pending", "invited", "member", "banned"];
const ROLES: readonly MembershipRole[] = ["owner", "admin", "moderator", "member"];
const MODERATOR_ROLES: readonly MembershipRole[] = ["owner", "admin", "moderator"];
const ALL = { limit: 10_000 };

// ---------------------------------------------------------------------------
// The world: plain data with actors and posts referred to by index.

interface ActorSpec {
  local: boolean;
  domain: string;
  username: string;
  type: ActorType;
  gone: boolean;
}

interface PostSpec {
  author: number;
  visibility: Visibility;
  deleted: boolean;
  /** index of an earlier post this row boosts */
  reblogOf: number | null;
  /** index of an earlier post this one replies to */
  inReplyTo: number | null;
  mentions: number[];
  /** index (in `groups`) of the group it was posted in */
  group: number | null;
  moderation: ModerationState;
}

interface GroupSpec {
  /** index of its Group actor */
  actor: number;
  /** a local group's setting; null for a remote group */
  visibility: GroupVisibility | null;
}

interface MembershipSpec {
  /** index in `groups` */
  group: number;
  member: number;
  state: MembershipState;
  role: MembershipRole;
}

interface World {
  actors: ActorSpec[];
  follows: { follower: number; followee: number; state: FollowState }[];
  blocks: { actor: number; target: number }[];
  posts: PostSpec[];
  groups: GroupSpec[];
  memberships: MembershipSpec[];
}

/** `list[i]`, which must exist. */
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`index ${i} out of range`);
  return v;
}

/** 1 in `n` chance of true. */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((k) => k === 1);
const index = fc.nat({ max: 63 });

const rawWorld = fc.record({
  localPersons: fc.integer({ min: 1, max: 4 }),
  remotePersons: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }),
  localGroups: fc.array(fc.constantFrom<GroupVisibility>("public", "closed", "secret"), { maxLength: 2 }),
  /** the domain (index) of each remote group */
  remoteGroups: fc.array(fc.nat({ max: 2 }), { maxLength: 2 }),
  gone: fc.uniqueArray(index, { maxLength: 3 }),
  memberships: fc.array(fc.record({
    group: index, member: index,
    state: fc.constantFrom(...MEMBERSHIP_STATES), role: fc.constantFrom(...ROLES),
  }), { maxLength: 20 }),
  follows: fc.array(fc.record({
    follower: index, followee: index,
    state: fc.constantFrom<FollowState>("pending", "accepted"),
  }), { maxLength: 24 }),
  blocks: fc.array(fc.record({ actor: index, target: index }), { maxLength: 4 }),
  posts: fc.array(fc.record({
    author: index,
    visibility: fc.constantFrom<Visibility>(...SCOPES),
    deleted: oneIn(6),
    reblogOf: fc.option(index, { freq: 5 }),
    inReplyTo: fc.option(index, { freq: 2 }),
    mentions: fc.uniqueArray(index, { maxLength: 3 }),
    group: fc.option(index, { freq: 2 }),
    pending: oneIn(4),
    /** a post in a remote group: addressed publicly (a public Lemmy community) rather than to its members */
    publicInRemoteGroup: oneIn(3),
  }), { maxLength: 16 }),
});

type RawWorld = typeof rawWorld extends fc.Arbitrary<infer T> ? T : never;

/** Resolves free indices against the world's sizes (so shrinking stays meaningful). */
function buildWorld(raw: RawWorld): World {
  const actors: ActorSpec[] = [
    { local: true, domain: LOCAL_DOMAIN, username: LOCAL_DOMAIN, type: "Application", gone: false },
  ];
  for (let i = 0; i < raw.localPersons; i++) {
    actors.push({ local: true, domain: LOCAL_DOMAIN, username: `local${i}`, type: "Person", gone: false });
  }
  const remoteStart = actors.length;
  raw.remotePersons.forEach((persons, d) => {
    const domain = at(REMOTE_DOMAINS, d);
    actors.push({ local: false, domain, username: domain, type: "Application", gone: false });
    for (let i = 0; i < persons; i++) {
      actors.push({ local: false, domain, username: `remote${i}`, type: "Person", gone: false });
    }
  });
  const groups: GroupSpec[] = [];
  raw.remoteGroups.forEach((d, i) => {
    groups.push({ actor: actors.length, visibility: null });
    actors.push({ local: false, domain: at(REMOTE_DOMAINS, d % raw.remotePersons.length), username: `group${i}`, type: "Group", gone: false });
  });
  const remoteCount = actors.length - remoteStart;
  for (const g of raw.gone) at(actors, remoteStart + (g % remoteCount)).gone = true;
  raw.localGroups.forEach((visibility, i) => {
    groups.push({ actor: actors.length, visibility });
    actors.push({ local: true, domain: LOCAL_DOMAIN, username: `group${i}`, type: "Group", gone: false });
  });

  const n = actors.length;
  const follows: World["follows"] = [];
  const pairs = new Set<string>();
  for (const f of raw.follows) {
    const follower = f.follower % n;
    const followee = f.followee % n;
    if (follower === followee || pairs.has(`${follower}>${followee}`)) continue;
    pairs.add(`${follower}>${followee}`);
    follows.push({ follower, followee, state: f.state });
  }
  const blocks: World["blocks"] = [];
  const blockPairs = new Set<string>();
  for (const b of raw.blocks) {
    const actor = b.actor % n;
    const target = b.target % n;
    if (actor === target || blockPairs.has(`${actor}>${target}`)) continue;
    blockPairs.add(`${actor}>${target}`);
    blocks.push({ actor, target });
  }
  const persons = actors.flatMap((a, i) => (a.type === "Person" ? [i] : []));
  const memberships: MembershipSpec[] = [];
  const memberPairs = new Set<string>();
  for (const m of groups.length ? raw.memberships : []) {
    const group = m.group % groups.length;
    const member = at(persons, m.member % persons.length);
    if (memberPairs.has(`${group}>${member}`)) continue;
    memberPairs.add(`${group}>${member}`);
    memberships.push({ group, member, state: m.state, role: m.role });
  }
  const posts: PostSpec[] = [];
  raw.posts.forEach((p, i) => {
    const reblogOf = i > 0 && p.reblogOf !== null ? p.reblogOf % i : null;
    const inReplyTo = i > 0 && p.inReplyTo !== null ? p.inReplyTo % i : null;
    const parent = inReplyTo === null ? undefined : at(posts, inReplyTo);
    // As the domain places them: a reply stays in its parent's group with its
    // scope; a post in a local group takes the group's scope; a boost is in no group.
    let group = reblogOf === null && groups.length && p.group !== null ? p.group % groups.length : null;
    let visibility = p.visibility;
    if (reblogOf === null && parent && parent.group !== null) {
      group = parent.group;
      visibility = parent.visibility;
    } else if (group !== null) {
      const settings = at(groups, group).visibility;
      visibility = settings === null
        ? (p.publicInRemoteGroup ? "public" : "group")
        : (settings === "public" ? "public" : "group");
    }
    const inLocalGroup = group !== null && at(groups, group).visibility !== null;
    posts.push({
      author: p.author % n,
      visibility,
      deleted: p.deleted,
      reblogOf,
      inReplyTo,
      mentions: [...new Set(p.mentions.map((m) => m % n))],
      group,
      moderation: inLocalGroup && p.pending ? "pending" : "approved",
    });
  });
  return { actors, follows, blocks, posts, groups, memberships };
}

const worlds = rawWorld.map(buildWorld);

// ---------------------------------------------------------------------------
// Putting a world into the database, inside a transaction rolled back afterwards.

interface Ids {
  actor: string[];
  post: string[];
  /** database id -> post index */
  postIndex: Map<string, number>;
  actorIndex: Map<string, number>;
}

function actorIri(a: ActorSpec): string {
  return `https://${a.domain}/users/${a.username}`;
}

async function insertWorld(db: Db, w: World): Promise<Ids> {
  const rows = await db.insertInto("actors").values(w.actors.map((a) => ({
    iri: actorIri(a),
    type: a.type,
    username: a.username,
    domain: a.domain,
    local: a.local,
    inbox_url: `${actorIri(a)}/inbox`,
    shared_inbox_url: `https://${a.domain}/inbox`,
    gone_at: a.gone ? new Date() : null,
  }))).returning(["id", "iri"]).execute();
  const byIri = new Map(rows.map((r) => [r.iri, r.id]));
  const actor = w.actors.map((a) => byIri.get(actorIri(a))!);
  if (w.follows.length) {
    await db.insertInto("follows").values(w.follows.map((f, i) => ({
      follower_id: at(actor, f.follower), followee_id: at(actor, f.followee), state: f.state,
      activity_iri: `https://${at(w.actors, f.follower).domain}/follows/${i}`,
    }))).execute();
  }
  if (w.blocks.length) {
    await db.insertInto("blocks").values(w.blocks.map((b) => ({
      actor_id: at(actor, b.actor), target_id: at(actor, b.target), activity_iri: null,
    }))).execute();
  }
  const localGroups = w.groups.filter((g) => g.visibility !== null);
  if (localGroups.length) {
    await db.insertInto("groups").values(localGroups.map((g) => ({
      actor_id: at(actor, g.actor), visibility: g.visibility!, join_mode: "open",
    }))).execute();
  }
  if (w.memberships.length) {
    await db.insertInto("memberships").values(w.memberships.map((m) => ({
      group_id: at(actor, at(w.groups, m.group).actor), member_id: at(actor, m.member), state: m.state, role: m.role,
    }))).execute();
  }
  const post: string[] = [];
  for (const [i, p] of w.posts.entries()) {
    const author = at(w.actors, p.author);
    const row = await db.insertInto("posts").values({
      iri: `${actorIri(author)}/posts/${i}`,
      actor_id: at(actor, p.author),
      local: author.local,
      type: "Note",
      visibility: p.visibility,
      reblog_of_id: p.reblogOf === null ? null : at(post, p.reblogOf),
      in_reply_to_id: p.inReplyTo === null ? null : at(post, p.inReplyTo),
      content_html: `<p>post ${i}</p>`,
      published_at: new Date(Date.UTC(2025, 0, 1, 0, i)),
      deleted_at: p.deleted ? new Date() : null,
      group_id: p.group === null ? null : at(actor, at(w.groups, p.group).actor),
      moderation: p.moderation,
    }).returning("id").executeTakeFirstOrThrow();
    post.push(row.id);
  }
  const mentions = w.posts.flatMap((p, i) => p.mentions.map((m) => ({ post_id: at(post, i), actor_id: at(actor, m) })));
  if (mentions.length) await db.insertInto("post_mentions").values(mentions).execute();
  return {
    actor, post,
    postIndex: new Map(post.map((id, i) => [id, i])),
    actorIndex: new Map(actor.map((id, i) => [id, i])),
  };
}

class Rollback extends Error {}

let handle: TestDatabase;

/** Runs `check` against `w` inserted in a transaction that is always rolled back. */
async function withWorld(w: World, check: (db: Db, ids: Ids) => Promise<void>): Promise<void> {
  try {
    await handle.db.transaction().execute(async (trx) => {
      const ids = await insertWorld(trx, w);
      await check(trx, ids);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
}

// ---------------------------------------------------------------------------
// The reference model.

type RefViewer =
  | { kind: "anonymous" }
  | { kind: "local" | "remote"; actor: number }
  | { kind: "server"; origin: string };

/** The origin a remote actor's server has (`actorIri`); local actors belong to no remote server. */
function serverOf(a: ActorSpec): string | null {
  return a.local ? null : `https://${a.domain}`;
}

interface ViewerCase {
  label: string;
  ref: RefViewer;
  viewer(ids: Ids): Viewer;
}

/** Anonymous, each local actor, each remote actor, each remote server present in the world. */
function viewersOf(w: World): ViewerCase[] {
  const cases: ViewerCase[] = [{ label: "anonymous", ref: { kind: "anonymous" }, viewer: () => ANONYMOUS }];
  w.actors.forEach((a, i) => {
    const kind = a.local ? "local" : "remote";
    cases.push({ label: `${kind} #${i} ${a.username}@${a.domain}`, ref: { kind, actor: i }, viewer: (ids) => ({ kind, actorId: at(ids.actor, i) }) });
  });
  // Every remote server present, and one on our own host name but another scheme (not us).
  for (const origin of new Set([...w.actors.flatMap((a) => serverOf(a) ?? []), `http://${LOCAL_DOMAIN}`])) {
    cases.push({ label: `server ${origin}`, ref: { kind: "server", origin }, viewer: () => ({ kind: "server", origin }) });
  }
  return cases;
}

function acceptedFollow(w: World, follower: number, followee: number): boolean {
  return w.follows.some((f) => f.follower === follower && f.followee === followee && f.state === "accepted");
}

/** Whether `actor` holds a membership in state "member" of group `g` (the home timeline's group source). */
function isCurrentMember(w: World, actor: number, g: number | null): boolean {
  return g !== null && w.memberships.some((m) => m.group === g && m.member === actor && m.state === "member");
}

function blocks(w: World, actor: number, target: number): boolean {
  return w.blocks.some((b) => b.actor === actor && b.target === target);
}

/** The current members of group `g` (in `groups`): state "member", not gone. */
function currentMembers(w: World, g: number, roles: readonly MembershipRole[] = ROLES): number[] {
  return w.memberships.filter((m) => m.group === g && m.state === "member" && roles.includes(m.role) && !at(w.actors, m.member).gone)
    .map((m) => m.member);
}

/** May local or remote actor `a` read group-scoped post `p` by its group? Its current members and the group itself. */
function readsInGroup(w: World, p: PostSpec, a: number): boolean {
  return p.group !== null && (currentMembers(w, p.group).includes(a) || at(w.groups, p.group).actor === a);
}

function refCanView(w: World, v: RefViewer, i: number): boolean {
  const p = at(w.posts, i);
  if (p.deleted) return false;
  const open = p.visibility === "public" || p.visibility === "unlisted";
  const mentionable = p.visibility === "followers" || p.visibility === "direct";
  const members = p.visibility === "group";
  if (p.moderation === "pending") {
    if (v.kind === "anonymous" || v.kind === "server") return false;
    if (p.author !== v.actor && !(p.group !== null && currentMembers(w, p.group, MODERATOR_ROLES).includes(v.actor))) return false;
  }
  switch (v.kind) {
    case "anonymous":
      return open;
    case "local":
    case "remote":
      if (blocks(w, p.author, v.actor)) return false;
      return open
        || p.author === v.actor
        || (p.visibility === "followers" && acceptedFollow(w, v.actor, p.author))
        || (mentionable && p.mentions.includes(v.actor))
        || (v.kind === "local" && p.visibility === "instance" && at(w.actors, p.author).local)
        || (members && readsInGroup(w, p, v.actor));
    case "server":
      return open
        || (p.visibility === "followers" && w.follows.some((f) =>
          f.followee === p.author && f.state === "accepted" && serverOf(at(w.actors, f.follower)) === v.origin))
        || (mentionable && p.mentions.some((m) => serverOf(at(w.actors, m)) === v.origin))
        || (members && p.group !== null && currentMembers(w, p.group).some((m) => serverOf(at(w.actors, m)) === v.origin));
  }
}

/**
 * Who must receive post `i`: in a local group its current members, in a remote
 * group the group (while it is not gone); otherwise accepted followers and the
 * mentioned (only the mentioned if direct; nobody if instance-only). Never the
 * author, never gone actors, never an actor the author blocks.
 */
function refAudience(w: World, i: number): number[] {
  const p = at(w.posts, i);
  if (p.visibility === "instance") return [];
  const members = new Set<number>();
  if (p.group !== null) {
    const group = at(w.groups, p.group);
    if (group.visibility === null) members.add(group.actor);
    else currentMembers(w, p.group).forEach((m) => members.add(m));
  } else {
    p.mentions.forEach((m) => members.add(m));
    if (p.visibility !== "direct") {
      for (const f of w.follows) if (f.followee === p.author && f.state === "accepted") members.add(f.follower);
    }
  }
  return [...members].filter((a) => a !== p.author && !at(w.actors, a).gone && !blocks(w, p.author, a)).sort((a, b) => a - b);
}

/** Who hears of an actor's own updates: its accepted followers, a group's current members; never gone actors. */
function refFollowerAudience(w: World, actor: number): number[] {
  const g = w.groups.findIndex((x) => x.actor === actor);
  const followers = g >= 0
    ? currentMembers(w, g)
    : w.follows.filter((f) => f.followee === actor && f.state === "accepted").map((f) => f.follower);
  return followers.filter((a) => a !== actor && !at(w.actors, a).gone).sort((a, b) => a - b);
}

/** The actors who wrote a post, and one who wrote none (if any). */
function authorsAndOne(w: World): number[] {
  const authors = new Set(w.posts.map((p) => p.author));
  const other = w.actors.findIndex((_, a) => !authors.has(a));
  return [...authors, ...(other >= 0 ? [other] : [])].sort((a, b) => a - b);
}

const byIdDesc = (ids: Ids) => (a: number, b: number) => (BigInt(at(ids.post, b)) > BigInt(at(ids.post, a)) ? 1 : -1);
const byIdAsc = (ids: Ids) => (a: number, b: number) => (BigInt(at(ids.post, a)) > BigInt(at(ids.post, b)) ? 1 : -1);
const indices = (ids: Ids, posts: Post[]) => posts.map((p) => ids.postIndex.get(p.id)!);

function describePost(p: PostSpec): string {
  return `${p.visibility}${p.group === null ? "" : ` in group ${p.group}`}${p.moderation === "pending" ? ", pending" : ""}`
    + `${p.deleted ? ", deleted" : ""} by #${p.author}`;
}

/**
 * What `visibleTo` (the condition canView and every list apply) lets each
 * viewer see, one query per viewer: matrix[viewer][post]. The canView test
 * checks canView itself post by post against the model.
 */
async function visibleMatrix(db: Db, ids: Ids, viewers: ViewerCase[]): Promise<boolean[][]> {
  const matrix: boolean[][] = [];
  for (const v of viewers) {
    const rows = ids.post.length
      ? await db.selectFrom("posts").select("posts.id").where("posts.id", "in", ids.post).where(visibleTo(v.viewer(ids))).execute()
      : [];
    const seen = new Set(rows.map((r) => r.id));
    matrix.push(ids.post.map((id) => seen.has(id)));
  }
  return matrix;
}

/** canView for every viewer and every post: matrix[viewer][post]. */
async function canViewMatrix(db: Db, ids: Ids, viewers: ViewerCase[], w: World): Promise<boolean[][]> {
  const matrix: boolean[][] = [];
  for (const v of viewers) {
    const viewer = v.viewer(ids);
    matrix.push(await Promise.all(w.posts.map((_, i) => canView(db, viewer, at(ids.post, i)))));
  }
  return matrix;
}

// ---------------------------------------------------------------------------

beforeAll(async () => {
  handle = await openTestDatabase();
  const existing = await handle.db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
  expect(Number(existing.n)).toBe(0);
});

afterAll(async () => {
  await handle?.close();
});

describe("the visibility rule against its reference model", () => {
  it("canView answers like the model for every viewer and every post", async () => {
    await fc.assert(fc.asyncProperty(worlds, async (w) => {
      await withWorld(w, async (db, ids) => {
        const viewers = viewersOf(w);
        const matrix = await canViewMatrix(db, ids, viewers, w);
        viewers.forEach((v, vi) => {
          w.posts.forEach((p, i) => {
            expect(at(matrix, vi)[i], `${v.label} on post #${i} (${describePost(p)})`)
              .toBe(refCanView(w, v.ref, i));
          });
        });
      });
    }), { numRuns: 50 });
  }, 180_000);

  it("audience is accepted followers and the mentioned, and every member may view what it receives", async () => {
    await fc.assert(fc.asyncProperty(worlds, async (w) => {
      await withWorld(w, async (db, ids) => {
        for (const [i, p] of w.posts.entries()) {
          const members = await audience(db, at(ids.post, i));
          const got = members.map((m) => ids.actorIndex.get(m.actorId)!).sort((a, b) => a - b);
          expect(got, `audience of post #${i} (${describePost(p)})`).toEqual(refAudience(w, i));
          for (const m of members) {
            const a = at(w.actors, ids.actorIndex.get(m.actorId)!);
            expect(m).toEqual({
              actorId: m.actorId, iri: actorIri(a), inbox: `${actorIri(a)}/inbox`,
              sharedInbox: `https://${a.domain}/inbox`, local: a.local,
            });
          }
          // A deleted post's audience is where its Delete goes; nobody may view the post itself.
          // A post awaiting moderation is sent nowhere yet (src/domain/posts/in-groups.ts queues nothing).
          if (p.deleted || p.moderation === "pending") continue;
          for (const m of members) {
            const viewer: Viewer = m.local ? { kind: "local", actorId: m.actorId } : { kind: "remote", actorId: m.actorId };
            expect(await canView(db, viewer, at(ids.post, i)), `audience member ${m.iri} of post #${i} (${p.visibility}) may view it`).toBe(true);
            // A remote group is sent what is posted in it; its server fetches as a server only if it hosts a current member.
            if (!m.local && at(w.actors, ids.actorIndex.get(m.actorId)!).type !== "Group") {
              const origin = serverOf(at(w.actors, ids.actorIndex.get(m.actorId)!))!;
              expect(await canView(db, { kind: "server", origin }, at(ids.post, i)), `server ${origin} of audience member ${m.iri} may fetch post #${i}`).toBe(true);
            }
          }
        }
        for (const [a] of w.actors.entries()) {
          const got = (await followerAudience(db, at(ids.actor, a))).map((m) => ids.actorIndex.get(m.actorId)!).sort((x, y) => x - y);
          expect(got, `followerAudience of actor #${a}`).toEqual(refFollowerAudience(w, a));
        }
      });
    }), { numRuns: 80 });
  }, 180_000);

  it("a pending follow never grants visibility, audience or a place in the home timeline", async () => {
    await fc.assert(fc.asyncProperty(worlds, async (w) => {
      await withWorld(w, async (db, ids) => {
        for (const f of w.follows.filter((x) => x.state === "pending")) {
          const follower = at(w.actors, f.follower);
          const viewer: Viewer = { kind: follower.local ? "local" : "remote", actorId: at(ids.actor, f.follower) };
          const home = follower.local ? new Set((await homeTimeline(db, at(ids.actor, f.follower), ALL)).map((p) => p.id)) : new Set<string>();
          for (const [i, p] of w.posts.entries()) {
            if (p.author !== f.followee || p.visibility !== "followers" || p.mentions.includes(f.follower)) continue;
            const label = `pending follower #${f.follower} on followers post #${i} of #${f.followee}`;
            expect(await canView(db, viewer, at(ids.post, i)), label).toBe(false);
            expect((await audience(db, at(ids.post, i))).map((m) => m.actorId), label).not.toContain(at(ids.actor, f.follower));
            expect(home.has(at(ids.post, i)), label).toBe(false);
            if (!follower.local) {
              const origin = serverOf(follower)!;
              const granted = !p.deleted && (w.follows.some((o) => o.followee === p.author && o.state === "accepted" && serverOf(at(w.actors, o.follower)) === origin)
                || p.mentions.some((m) => serverOf(at(w.actors, m)) === origin));
              expect(await canView(db, { kind: "server", origin }, at(ids.post, i)), label).toBe(granted);
            }
          }
        }
      });
    }), { numRuns: 60 });
  }, 180_000);

  it("CVE-2025-30741: a pending follower of a locked account cannot read its followers-only posts", async () => {
    const w: World = {
      actors: [
        { local: true, domain: LOCAL_DOMAIN, username: "locked", type: "Person", gone: false },
        { local: false, domain: "a.example", username: "asker", type: "Person", gone: false },
        { local: true, domain: LOCAL_DOMAIN, username: "asker2", type: "Person", gone: false },
      ],
      follows: [{ follower: 1, followee: 0, state: "pending" }, { follower: 2, followee: 0, state: "pending" }],
      blocks: [],
      posts: [{ author: 0, visibility: "followers", deleted: false, reblogOf: null, inReplyTo: null, mentions: [], group: null, moderation: "approved" }],
      groups: [],
      memberships: [],
    };
    await withWorld(w, async (db, ids) => {
      expect(await canView(db, { kind: "remote", actorId: at(ids.actor, 1) }, at(ids.post, 0))).toBe(false);
      expect(await canView(db, { kind: "server", origin: "https://a.example" }, at(ids.post, 0))).toBe(false);
      expect(await canView(db, { kind: "local", actorId: at(ids.actor, 2) }, at(ids.post, 0))).toBe(false);
      expect(await audience(db, at(ids.post, 0))).toEqual([]);
      expect(await followerAudience(db, at(ids.actor, 0))).toEqual([]);
      expect(await actorPosts(db, { kind: "remote", actorId: at(ids.actor, 1) }, at(ids.actor, 0), ALL)).toEqual([]);
      expect(await homeTimeline(db, at(ids.actor, 2), ALL)).toEqual([]);
      // Accepting the request is what opens the post.
      await db.updateTable("follows").set({ state: "accepted" }).where("follower_id", "=", at(ids.actor, 1)).execute();
      expect(await canView(db, { kind: "remote", actorId: at(ids.actor, 1) }, at(ids.post, 0))).toBe(true);
      expect(await canView(db, { kind: "server", origin: "https://a.example" }, at(ids.post, 0))).toBe(true);
      expect(await canView(db, { kind: "local", actorId: at(ids.actor, 2) }, at(ids.post, 0))).toBe(false);
    });
  });
});

describe("timelines only ever show what the rule allows", () => {
  it("home, actor and public timelines are exactly the visible posts they select", async () => {
    await fc.assert(fc.asyncProperty(worlds, fc.boolean(), fc.boolean(), async (w, excludeReplies, excludeReblogs) => {
      await withWorld(w, async (db, ids) => {
        const viewers = viewersOf(w);
        const matrix = await visibleMatrix(db, ids, viewers);
        const all = w.posts.map((_, i) => i);
        for (const [vi, v] of viewers.entries()) {
          const viewer = v.viewer(ids);
          const sees = (i: number) => refCanView(w, v.ref, i);
          const shown = (list: number[], what: string) => {
            for (const i of list) expect(at(matrix, vi)[i], `${what} for ${v.label} shows post #${i} that canView refuses`).toBe(true);
          };

          if (v.ref.kind === "local") {
            const me = v.ref.actor;
            const home = indices(ids, await homeTimeline(db, at(ids.actor, me), ALL));
            shown(home, "home");
            expect(home, `home of ${v.label}`).toEqual(all.filter((i) => sees(i) && (
              at(w.posts, i).author === me || acceptedFollow(w, me, at(w.posts, i).author) || at(w.posts, i).mentions.includes(me)
              || isCurrentMember(w, me, at(w.posts, i).group)
            )).sort(byIdDesc(ids)));
            // Paging with max_id walks the same list.
            const paged: number[] = [];
            let maxId: string | undefined;
            // (bounded: a page bound that does not advance must fail, not loop)
            for (let pages = 0; pages <= w.posts.length; pages++) {
              const page = await homeTimeline(db, at(ids.actor, me), { limit: 3, maxId });
              if (!page.length) break;
              paged.push(...indices(ids, page));
              maxId = at(page, page.length - 1).id;
            }
            expect(paged, `paged home of ${v.label}`).toEqual(home);
          }

          // Every author's posts, and those of one actor who wrote nothing.
          for (const a of authorsAndOne(w)) {
            const got = indices(ids, await actorPosts(db, viewer, at(ids.actor, a), ALL, { excludeReplies, excludeReblogs }));
            shown(got, `posts of #${a}`);
            expect(got, `posts of #${a} for ${v.label}`).toEqual(all.filter((i) => at(w.posts, i).author === a && sees(i)
              && !(excludeReplies && at(w.posts, i).inReplyTo !== null) && !(excludeReblogs && at(w.posts, i).reblogOf !== null))
              .sort(byIdDesc(ids)));
          }

          for (const localOnly of [false, true]) {
            const got = indices(ids, await publicTimeline(db, viewer, ALL, localOnly ? "local" : "all"));
            shown(got, "public timeline");
            expect(got, `public timeline (localOnly ${localOnly}) for ${v.label}`).toEqual(all.filter((i) => sees(i)
              && at(w.posts, i).visibility === "public" && at(w.posts, i).reblogOf === null
              && (!localOnly || at(w.actors, at(w.posts, i).author).local)).sort(byIdDesc(ids)));
          }
        }
      });
    }), { numRuns: 35 });
  }, 180_000);

  it("replies and thread context hold only visible posts, and every visible one reachable through visible posts", async () => {
    await fc.assert(fc.asyncProperty(worlds, async (w) => {
      await withWorld(w, async (db, ids) => {
        const viewers = viewersOf(w);
        const matrix = await visibleMatrix(db, ids, viewers);
        const all = w.posts.map((_, i) => i);
        const rows = await db.selectFrom("posts").selectAll().where("id", "in", ids.post.length ? ids.post : ["0"]).execute();
        const rowOf = new Map(rows.map((r) => [r.id, r]));
        for (const [vi, v] of viewers.entries()) {
          const viewer = v.viewer(ids);
          const sees = (i: number) => refCanView(w, v.ref, i);
          const visible = (j: number) => expect(at(matrix, vi)[j], `post #${j} shown to ${v.label} is visible to it`).toBe(true);
          for (const [i] of w.posts.entries()) {
            const got = indices(ids, await replies(db, viewer, at(ids.post, i), ALL));
            expect(got, `replies to #${i} for ${v.label}`)
              .toEqual(all.filter((j) => at(w.posts, j).inReplyTo === i && sees(j)).sort(byIdAsc(ids)));
            got.forEach(visible);

            const ctx = await context(db, viewer, rowOf.get(at(ids.post, i))!);
            const ancestors: number[] = [];
            for (let parent = at(w.posts, i).inReplyTo; parent !== null && sees(parent); parent = at(w.posts, parent).inReplyTo) {
              ancestors.unshift(parent);
            }
            const descendants: number[] = [];
            let frontier = [i];
            while (frontier.length) {
              frontier = all.filter((j) => at(w.posts, j).inReplyTo !== null && frontier.includes(at(w.posts, j).inReplyTo!) && sees(j));
              descendants.push(...frontier);
            }
            expect(indices(ids, ctx.ancestors), `ancestors of #${i} for ${v.label}`).toEqual(ancestors);
            expect(indices(ids, ctx.descendants), `descendants of #${i} for ${v.label}`).toEqual(descendants.sort(byIdAsc(ids)));
            [...ancestors, ...descendants].forEach(visible);
          }
        }
      });
    }), { numRuns: 20 });
  }, 180_000);
});
