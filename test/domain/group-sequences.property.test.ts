/**
 * Property test of a closed group over time, through the real domain
 * functions: random sequences of joins (local, and remote by Follow), join
 * decisions, invitations, leaves, removals and bans, role changes, blocks,
 * posts and replies by local and remote members (some held for moderation),
 * approvals and removals of posts, and changes of the group's visibility, on
 * a small world (local people, people on three remote servers, a local group
 * and a remote one).
 *
 * A plain model of memberships and posts, written from the documentation
 * (src/domain/membership.ts, src/domain/posts/in-groups.ts, the comments of
 * src/domain/visibility.ts, src/domain/scopes.ts), predicts each step: which
 * are refused, and the memberships and posts after it. After every step:
 *
 * - the database holds the model's memberships and posts;
 * - who may view each post is exactly what the model says; in particular
 *   nobody but the author, a current member or the group itself, and no
 *   server without a current member, views a group-scoped post, and nobody
 *   but the author and the group's current owner, admins and moderators views
 *   a post awaiting moderation;
 * - `audience` of a post in the local group is its current members minus the
 *   author and those the author blocks (its remote part: exactly the current
 *   remote members not blocked by the author); in the remote group, the group;
 * - the delivery queue holds a group Announce of a post exactly when the post
 *   has been approved (and a Delete once an approved post is removed), never
 *   the author's own Create of a post in a local group.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type { Actor, GroupVisibility, JoinMode, MembershipRole, MembershipState, ModerationState, Visibility } from "../../src/db/schema.ts";
import { block, receiveBlock, unblock } from "../../src/domain/blocks.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { createGroup, findGroup, type GroupView, updateGroup } from "../../src/domain/groups.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import {
  decideRequest, invite, join, leave, receiveInvite, receiveInviteAccepted, receiveJoin, receiveLeave,
  receiveMembershipAccepted, receiveMembershipEnded, removeMember, setRole, unban,
} from "../../src/domain/membership.ts";
import { approvePost, removePost } from "../../src/domain/moderation.ts";
import { createLocalPost, deleteLocalPost } from "../../src/domain/posts/authoring.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { localActorUrls } from "../../src/domain/urls.ts";
import { ANONYMOUS, audience, type Viewer, visibleTo } from "../../src/domain/visibility.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");

// ---------------------------------------------------------------------------
// The world: people 0-3 are local (0 founds the group), 4-7 on three other
// servers; actor 8 is the local group, 9 a group on b.example.

interface PersonSpec {
  local: boolean;
  domain: string;
  username: string;
}

const PEOPLE: readonly PersonSpec[] = [
  { local: true, domain: "plein.test", username: "owner" },
  { local: true, domain: "plein.test", username: "ann" },
  { local: true, domain: "plein.test", username: "bob" },
  { local: true, domain: "plein.test", username: "cor" },
  { local: false, domain: "a.example", username: "ria" },
  { local: false, domain: "a.example", username: "sam" },
  { local: false, domain: "b.example", username: "tom" },
  { local: false, domain: "c.example", username: "uma" },
];
const OWNER = 0;
const LOCAL_GROUP = 8;
const REMOTE_GROUP = 9;
const REMOTE_GROUP_DOMAIN = "b.example";
const SERVERS = ["https://a.example", "https://b.example", "https://c.example", "https://plein.test", "http://plein.test"];
const MODERATORS: readonly MembershipRole[] = ["owner", "admin", "moderator"];
const ADMINS: readonly MembershipRole[] = ["owner", "admin"];

type GroupKey = "local" | "remote";

function groupActor(g: GroupKey): number {
  return g === "local" ? LOCAL_GROUP : REMOTE_GROUP;
}

function remoteIri(domain: string, path: string): string {
  return `https://${domain}/${path}`;
}

/** `list[i]`, which must exist. */
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`index ${i} out of range`);
  return v;
}

// ---------------------------------------------------------------------------
// Operations.

type Op =
  | { kind: "join"; person: number; group: GroupKey }
  | { kind: "leave"; person: number; group: GroupKey }
  | { kind: "receiveJoin"; person: number }
  | { kind: "receiveLeave"; person: number }
  | { kind: "receiveInviteAccepted"; person: number }
  | { kind: "decide"; by: number; member: number; approve: boolean }
  | { kind: "invite"; by: number; invitee: number }
  | { kind: "remove"; by: number; member: number; ban: boolean }
  | { kind: "unban"; by: number; member: number }
  | { kind: "setRole"; by: number; member: number; role: Exclude<MembershipRole, "owner"> }
  | { kind: "remoteGroupAccepts"; person: number }
  | { kind: "remoteGroupEnds"; person: number }
  | { kind: "remoteGroupInvites"; person: number }
  | { kind: "block"; by: number; target: number }
  | { kind: "unblock"; by: number; target: number }
  | { kind: "remoteBlock"; by: number; target: number }
  | { kind: "post"; author: number; group: GroupKey }
  | { kind: "reply"; author: number; post: number }
  | { kind: "remotePost"; author: number; post: number | null; addressed: "public" | "group" }
  | { kind: "approve"; by: number; post: number }
  | { kind: "removePost"; by: number; post: number }
  | { kind: "deleteOwn"; post: number }
  | { kind: "setVisibility"; visibility: GroupVisibility };

/**
 * Who acts and on what is drawn as a choice, resolved against the state
 * before the step (`resolve`): usually among those for whom the step makes
 * sense (a pending request to decide, a current member to post), a quarter
 * of the time among everyone, so that refusals are exercised too.
 */
const choice = fc.nat({ max: 9_999 });
const groupKey = fc.constantFrom<GroupKey>("local", "remote");

const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("join" as const), person: choice, group: groupKey }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("leave" as const), person: choice, group: groupKey }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("receiveJoin" as const), person: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("receiveLeave" as const), person: choice }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("receiveInviteAccepted" as const), person: choice }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("decide" as const), by: choice, member: choice, approve: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("invite" as const), by: choice, invitee: choice }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), by: choice, member: choice, ban: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unban" as const), by: choice, member: choice }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("setRole" as const), by: choice, member: choice,
      role: fc.constantFrom<Exclude<MembershipRole, "owner">>("admin", "moderator", "member"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remoteGroupAccepts" as const), person: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remoteGroupEnds" as const), person: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remoteGroupInvites" as const), person: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("block" as const), by: choice, target: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unblock" as const), by: choice, target: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remoteBlock" as const), by: choice, target: choice }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("post" as const), author: choice, group: groupKey }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("reply" as const), author: choice, post: choice }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("remotePost" as const), author: choice, post: fc.option(choice, { freq: 2 }),
      addressed: fc.constantFrom<"public" | "group">("group", "group", "public"),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("approve" as const), by: choice, post: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removePost" as const), by: choice, post: choice }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteOwn" as const), post: choice }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("setVisibility" as const), visibility: fc.constantFrom<GroupVisibility>("public", "closed", "secret") }) },
);

const setups = fc.record({
  visibility: fc.constantFrom<GroupVisibility>("closed", "secret"),
  joinMode: fc.constantFrom<JoinMode>("open", "open", "approval", "approval", "invite"),
  moderatePosts: fc.boolean(),
  moderateComments: fc.boolean(),
});
type Setup = typeof setups extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------
// The model.

interface MemberState {
  state: MembershipState;
  role: MembershipRole;
}

interface ModelPost {
  author: number;
  group: GroupKey;
  visibility: Visibility;
  moderation: ModerationState;
  deleted: boolean;
  /** a reply: the index of its parent */
  parent: number | null;
}

interface Model {
  settings: Setup;
  members: Record<GroupKey, Map<number, MemberState>>;
  /** `${actor}>${target}` */
  blocks: Set<string>;
  posts: ModelPost[];
}

function newModel(setup: Setup): Model {
  return {
    settings: { ...setup },
    members: { local: new Map([[OWNER, { state: "member", role: "owner" }]]), remote: new Map() },
    blocks: new Set(),
    posts: [],
  };
}

function isLocal(a: number): boolean {
  return a === LOCAL_GROUP || (a < PEOPLE.length && at(PEOPLE, a).local);
}

/** The server a remote actor speaks through; null for local ones. */
function serverOf(a: number): string | null {
  if (a === REMOTE_GROUP) return `https://${REMOTE_GROUP_DOMAIN}`;
  return isLocal(a) ? null : `https://${at(PEOPLE, a).domain}`;
}

function hasRole(m: Model, g: GroupKey, a: number, roles: readonly MembershipRole[]): boolean {
  const x = m.members[g].get(a);
  return x?.state === "member" && roles.includes(x.role);
}

function isCurrent(m: Model, g: GroupKey, a: number): boolean {
  return m.members[g].get(a)?.state === "member";
}

function currentMembers(m: Model, g: GroupKey): number[] {
  return [...m.members[g]].filter(([, x]) => x.state === "member").map(([a]) => a);
}

function blocks(m: Model, actor: number, target: number): boolean {
  return m.blocks.has(`${actor}>${target}`);
}

type RefViewer = { kind: "anonymous" } | { kind: "actor"; actor: number } | { kind: "server"; origin: string };

/** The visibility rule, from its documentation. */
function sees(m: Model, v: RefViewer, i: number): boolean {
  const p = at(m.posts, i);
  if (p.deleted) return false;
  const open = p.visibility === "public";
  switch (v.kind) {
    case "anonymous":
      return p.moderation === "approved" && open;
    case "server":
      return p.moderation === "approved"
        && (open || (p.visibility === "group" && currentMembers(m, p.group).some((a) => serverOf(a) === v.origin)));
    case "actor": {
      const a = v.actor;
      if (blocks(m, p.author, a)) return false;
      if (p.moderation === "pending" && a !== p.author && !hasRole(m, p.group, a, MODERATORS)) return false;
      return open || a === p.author || isCurrent(m, p.group, a) || a === groupActor(p.group);
    }
  }
}

/** Where a post goes: a local group's current members, or the remote group; never the author or whom the author blocks. */
function refAudience(m: Model, i: number): number[] {
  const p = at(m.posts, i);
  const to = p.group === "local" ? currentMembers(m, "local") : [REMOTE_GROUP];
  return to.filter((a) => a !== p.author && !blocks(m, p.author, a)).sort((x, y) => x - y);
}

/**
 * The scope of a local person's new post in a group: a closed or secret
 * group's content is for its members, whatever the thread ("nothing public
 * enters a closed group"); in a public group a reply keeps its thread's scope,
 * a new thread is public; in a remote group a reply keeps its thread's scope,
 * a new thread is for the members.
 */
function localScope(m: Model, g: GroupKey, parent: ModelPost | undefined): Visibility {
  if (g === "local" && m.settings.visibility !== "public") return "group";
  return parent?.visibility ?? (g === "local" ? "public" : "group");
}

/**
 * A remote author's post: in our group, refused when it is addressed more
 * widely than the group's scope allows, else kept as addressed (narrowed to
 * the group for closed content); in a remote group, as addressed.
 */
function remoteScope(m: Model, g: GroupKey, parent: ModelPost | undefined, addressed: Visibility): Visibility | "refused" {
  // A remote group decides who posts, but a reply in one of its closed threads stays as closed as the thread.
  if (g === "remote") return parent?.visibility === "group" ? "group" : addressed;
  const scope = m.settings.visibility !== "public" ? "group" : parent?.visibility ?? "public";
  if (scope === "group" && addressed !== "group") return "refused";
  return scope === "group" ? "group" : addressed;
}

const ALL_PEOPLE = PEOPLE.map((_, i) => i);
const LOCAL_PEOPLE = ALL_PEOPLE.filter((i) => at(PEOPLE, i).local);
const REMOTE_PEOPLE = ALL_PEOPLE.filter((i) => !at(PEOPLE, i).local);

/** One of `wanted` (three times in four, when there is one), else one of `among`. */
function pick(c: number, wanted: readonly number[], among: readonly number[]): number {
  const pool = c % 4 === 0 || !wanted.length ? among : wanted;
  return at(pool, Math.floor(c / 4) % pool.length);
}

/** Turns the choices of a generated step into the actors and posts it is about, given the state before it. */
function resolve(m: Model, op: Op): Op {
  const local = m.members.local;
  const inState = (g: GroupKey, states: readonly MembershipState[], people: readonly number[]) => people.filter((a) => {
    const state = m.members[g].get(a)?.state;
    return state !== undefined && states.includes(state);
  });
  const without = (g: GroupKey, people: readonly number[]) => people.filter((a) => !m.members[g].has(a));
  const withRole = (roles: readonly MembershipRole[]) => ALL_PEOPLE.filter((a) => hasRole(m, "local", a, roles));
  const posts = m.posts.map((_, i) => i);
  const postWhere = (c: number, ok: (p: ModelPost) => boolean) =>
    (posts.length ? pick(c, posts.filter((i) => ok(at(m.posts, i))), posts) : c);
  switch (op.kind) {
    case "join":
      return { ...op, person: pick(op.person, [...without(op.group, LOCAL_PEOPLE), ...inState(op.group, ["invited"], LOCAL_PEOPLE)], LOCAL_PEOPLE) };
    case "leave":
      return { ...op, person: pick(op.person, LOCAL_PEOPLE.filter((a) => m.members[op.group].has(a)), LOCAL_PEOPLE) };
    case "receiveJoin":
      return { ...op, person: pick(op.person, [...without("local", REMOTE_PEOPLE), ...inState("local", ["invited"], REMOTE_PEOPLE)], REMOTE_PEOPLE) };
    case "receiveLeave":
      return { ...op, person: pick(op.person, REMOTE_PEOPLE.filter((a) => local.has(a)), REMOTE_PEOPLE) };
    case "receiveInviteAccepted":
      return { ...op, person: pick(op.person, inState("local", ["invited"], REMOTE_PEOPLE), REMOTE_PEOPLE) };
    case "decide":
      return { ...op, by: pick(op.by, withRole(ADMINS), ALL_PEOPLE), member: pick(op.member, inState("local", ["pending"], ALL_PEOPLE), ALL_PEOPLE) };
    case "invite":
      return { ...op, by: pick(op.by, withRole(ADMINS), ALL_PEOPLE), invitee: pick(op.invitee, [...without("local", ALL_PEOPLE), ...inState("local", ["pending"], ALL_PEOPLE)], ALL_PEOPLE) };
    case "remove":
      return { ...op, by: pick(op.by, withRole(ADMINS), ALL_PEOPLE), member: pick(op.member, ALL_PEOPLE.filter((a) => local.has(a) && local.get(a)?.role !== "owner"), ALL_PEOPLE) };
    case "unban":
      return { ...op, by: pick(op.by, withRole(ADMINS), ALL_PEOPLE), member: pick(op.member, inState("local", ["banned"], ALL_PEOPLE), ALL_PEOPLE) };
    case "setRole":
      return { ...op, by: pick(op.by, withRole(ADMINS), ALL_PEOPLE), member: pick(op.member, withRole(["admin", "moderator", "member"]), ALL_PEOPLE) };
    case "remoteGroupAccepts":
      return { ...op, person: pick(op.person, inState("remote", ["pending"], LOCAL_PEOPLE), LOCAL_PEOPLE) };
    case "remoteGroupEnds":
      return { ...op, person: pick(op.person, LOCAL_PEOPLE.filter((a) => m.members.remote.has(a)), LOCAL_PEOPLE) };
    case "remoteGroupInvites":
      return { ...op, person: pick(op.person, without("remote", LOCAL_PEOPLE), LOCAL_PEOPLE) };
    case "block": {
      const by = pick(op.by, LOCAL_PEOPLE, LOCAL_PEOPLE);
      return { ...op, by, target: pick(op.target, [...currentMembers(m, "local"), REMOTE_GROUP], [...ALL_PEOPLE, REMOTE_GROUP]) };
    }
    case "unblock": {
      const by = pick(op.by, LOCAL_PEOPLE.filter((a) => [...m.blocks].some((b) => b.startsWith(`${a}>`))), LOCAL_PEOPLE);
      const blocked = [...ALL_PEOPLE, REMOTE_GROUP].filter((t) => blocks(m, by, t));
      return { ...op, by, target: pick(op.target, blocked, ALL_PEOPLE) };
    }
    case "remoteBlock":
      return { ...op, by: pick(op.by, inState("local", ["member"], REMOTE_PEOPLE), REMOTE_PEOPLE), target: pick(op.target, LOCAL_PEOPLE, LOCAL_PEOPLE) };
    case "post":
      return { ...op, author: pick(op.author, inState(op.group, ["member"], LOCAL_PEOPLE), LOCAL_PEOPLE) };
    case "reply": {
      const post = postWhere(op.post, (p) => !p.deleted);
      const group = m.posts.length ? at(m.posts, post).group : "local";
      return { ...op, post, author: pick(op.author, inState(group, ["member"], LOCAL_PEOPLE), LOCAL_PEOPLE) };
    }
    case "remotePost": {
      const post = op.post === null ? null : postWhere(op.post, (p) => !p.deleted);
      return { ...op, post, author: pick(op.author, inState("local", ["member"], REMOTE_PEOPLE), REMOTE_PEOPLE) };
    }
    case "approve":
      return { ...op, by: pick(op.by, withRole(MODERATORS), ALL_PEOPLE), post: postWhere(op.post, (p) => p.moderation === "pending" && !p.deleted) };
    case "removePost":
      return { ...op, by: pick(op.by, withRole(MODERATORS), ALL_PEOPLE), post: postWhere(op.post, (p) => p.group === "local" && !p.deleted) };
    case "deleteOwn":
      return { ...op, post: postWhere(op.post, (p) => isLocal(p.author) && !p.deleted) };
    case "setVisibility":
      return op;
  }
}

type Outcome = "done" | "refused" | "skipped";

/** Applies `op` to the model; says whether the domain must refuse it. */
function predict(m: Model, op: Op): Outcome {
  const local = m.members.local;
  const mode = m.settings.joinMode;
  const post = (ref: number) => (m.posts.length ? ref % m.posts.length : null);
  switch (op.kind) {
    case "join": {
      const members = m.members[op.group];
      const cur = members.get(op.person);
      if (cur?.state === "banned") return "refused";
      if (cur?.state === "member" || cur?.state === "pending") return "done";
      if (op.group === "remote") {
        members.set(op.person, { state: cur?.state === "invited" ? "member" : "pending", role: "member" });
        return "done";
      }
      if (cur?.state === "invited" || mode === "open") {
        members.set(op.person, { state: "member", role: cur?.role ?? "member" });
        return "done";
      }
      if (mode === "invite") return "refused";
      members.set(op.person, { state: "pending", role: "member" });
      return "done";
    }
    case "leave": {
      const cur = m.members[op.group].get(op.person);
      if (!cur || cur.state === "banned") return "done";
      if (op.group === "local" && cur.role === "owner") return "refused";
      m.members[op.group].delete(op.person);
      return "done";
    }
    case "receiveJoin": {
      const cur = local.get(op.person);
      if (cur?.state === "banned" || (!cur && mode === "invite")) return "done";
      if (cur?.state === "member" || cur?.state === "invited" || (!cur && mode === "open")) {
        local.set(op.person, { state: "member", role: cur?.role ?? "member" });
      } else {
        local.set(op.person, { state: "pending", role: cur?.role ?? "member" });
      }
      return "done";
    }
    case "receiveLeave": {
      const cur = local.get(op.person);
      if (cur && cur.state !== "banned" && cur.role !== "owner") local.delete(op.person);
      return "done";
    }
    case "receiveInviteAccepted": {
      const cur = local.get(op.person);
      if (cur?.state === "invited") cur.state = "member";
      return "done";
    }
    case "decide": {
      if (!hasRole(m, "local", op.by, ADMINS)) return "refused";
      const cur = local.get(op.member);
      if (cur?.state !== "pending") return "refused";
      if (op.approve) cur.state = "member";
      else local.delete(op.member);
      return "done";
    }
    case "invite": {
      if (!hasRole(m, "local", op.by, ADMINS)) return "refused";
      const cur = local.get(op.invitee);
      if (cur?.state === "member" || cur?.state === "invited") return "done";
      if (cur?.state === "banned") return "refused";
      local.set(op.invitee, { state: "invited", role: cur?.role ?? "member" });
      return "done";
    }
    case "remove": {
      if (!hasRole(m, "local", op.by, ADMINS)) return "refused";
      const cur = local.get(op.member);
      if (!cur && !op.ban) return "refused";
      if (cur?.role === "owner") return "refused";
      if (cur?.role === "admin" && local.get(op.by)?.role !== "owner") return "refused";
      if (op.ban) local.set(op.member, { state: "banned", role: "member" });
      else local.delete(op.member);
      return "done";
    }
    case "unban": {
      if (!hasRole(m, "local", op.by, ADMINS)) return "refused";
      if (local.get(op.member)?.state === "banned") local.delete(op.member);
      return "done";
    }
    case "setRole": {
      if (!hasRole(m, "local", op.by, ADMINS)) return "refused";
      const cur = local.get(op.member);
      if (cur?.state !== "member" || cur.role === "owner") return "refused";
      if ((op.role === "admin" || cur.role === "admin") && local.get(op.by)?.role !== "owner") return "refused";
      cur.role = op.role;
      return "done";
    }
    case "remoteGroupAccepts": {
      const cur = m.members.remote.get(op.person);
      if (cur?.state === "pending" || cur?.state === "member") cur.state = "member";
      return "done";
    }
    case "remoteGroupEnds":
      m.members.remote.delete(op.person);
      return "done";
    case "remoteGroupInvites":
      if (!m.members.remote.has(op.person)) m.members.remote.set(op.person, { state: "invited", role: "member" });
      return "done";
    case "block":
      if (op.by === op.target) return "refused";
      m.blocks.add(`${op.by}>${op.target}`);
      return "done";
    case "unblock":
      m.blocks.delete(`${op.by}>${op.target}`);
      return "done";
    case "remoteBlock":
      m.blocks.add(`${op.by}>${op.target}`);
      return "done";
    case "post":
    case "reply": {
      let parentIndex: number | null = null;
      let g: GroupKey;
      if (op.kind === "reply") {
        parentIndex = post(op.post);
        if (parentIndex === null) return "skipped";
        // The author replies only to what they may see.
        if (!sees(m, { kind: "actor", actor: op.author }, parentIndex)) return "refused";
        g = at(m.posts, parentIndex).group;
      } else {
        g = op.group;
      }
      if (!isCurrent(m, g, op.author)) return "refused";
      const parent = parentIndex === null ? undefined : at(m.posts, parentIndex);
      const held = g === "local" && !hasRole(m, g, op.author, MODERATORS)
        && (parent ? m.settings.moderateComments : m.settings.moderatePosts);
      m.posts.push({
        author: op.author, group: g, parent: parentIndex, deleted: false,
        visibility: localScope(m, g, parent),
        moderation: held ? "pending" : "approved",
      });
      return "done";
    }
    case "remotePost": {
      const parentIndex = op.post === null ? null : post(op.post);
      const parent = parentIndex === null ? undefined : at(m.posts, parentIndex);
      const g = parent?.group ?? "local";
      if (g === "local" && !isCurrent(m, "local", op.author)) return "refused";
      const visibility = remoteScope(m, g, parent, op.addressed);
      if (visibility === "refused") return "refused";
      const held = g === "local" && !hasRole(m, g, op.author, MODERATORS)
        && (parent ? m.settings.moderateComments : m.settings.moderatePosts);
      m.posts.push({
        author: op.author, group: g, parent: parentIndex, deleted: false,
        visibility,
        moderation: held ? "pending" : "approved",
      });
      return "done";
    }
    case "approve":
    case "removePost": {
      const i = post(op.post);
      if (i === null) return "skipped";
      if (!hasRole(m, "local", op.by, MODERATORS)) return "refused";
      const p = at(m.posts, i);
      if (p.group !== "local" || p.deleted) return "refused";
      if (op.kind === "approve") p.moderation = "approved";
      else p.deleted = true;
      return "done";
    }
    case "deleteOwn": {
      const i = post(op.post);
      if (i === null || !isLocal(at(m.posts, i).author)) return "skipped";
      const p = at(m.posts, i);
      if (p.deleted) return "refused";
      p.deleted = true;
      return "done";
    }
    case "setVisibility":
      m.settings.visibility = op.visibility;
      return "done";
  }
}

// ---------------------------------------------------------------------------
// The database side.

let handle: TestDatabase;

interface World {
  /** actors by model index: people 0-7, the local group 8, the remote group 9 */
  actors: Actor[];
  actorIndex: Map<string, number>;
  /** database ids of the model's posts, in order */
  posts: string[];
  remotePosts: number;
}

async function resetDatabase(db: Db): Promise<void> {
  await db.deleteFrom("queue_messages").execute();
  // Everything else hangs off actors (on delete cascade).
  await db.deleteFrom("actors").execute();
}

async function makeWorld(db: Db, setup: Setup): Promise<World> {
  const people = await db.insertInto("actors").values([
    ...PEOPLE.map((p) => {
      const urls = p.local ? localActorUrls(ORIGIN, p.username) : undefined;
      const iri = urls?.iri ?? remoteIri(p.domain, `users/${p.username}`);
      return {
        iri, type: "Person" as const, username: p.username, domain: p.domain, local: p.local,
        inbox_url: urls?.inbox ?? `${iri}/inbox`, shared_inbox_url: urls?.sharedInbox ?? remoteIri(p.domain, "inbox"),
      };
    }),
  ]).returningAll().execute();
  const byIri = new Map(people.map((a) => [a.iri, a]));
  const actors = PEOPLE.map((p) => byIri.get(p.local ? localActorUrls(ORIGIN, p.username).iri : remoteIri(p.domain, `users/${p.username}`))!);
  const group = await createGroup(db, ORIGIN, at(actors, OWNER), {
    name: "team", visibility: setup.visibility, joinMode: setup.joinMode,
    moderatePosts: setup.moderatePosts, moderateComments: setup.moderateComments, modules: [],
  });
  const remoteGroupIri = remoteIri(REMOTE_GROUP_DOMAIN, "c/club");
  const remoteGroup = await db.insertInto("actors").values({
    iri: remoteGroupIri, type: "Group", username: "club", domain: REMOTE_GROUP_DOMAIN, local: false,
    inbox_url: `${remoteGroupIri}/inbox`, shared_inbox_url: remoteIri(REMOTE_GROUP_DOMAIN, "inbox"),
  }).returningAll().executeTakeFirstOrThrow();
  actors.push(group.actor, remoteGroup);
  return { actors, actorIndex: new Map(actors.map((a, i) => [a.id, i])), posts: [], remotePosts: 0 };
}

async function groupView(db: Db, w: World, g: GroupKey): Promise<GroupView> {
  return (await findGroup(db, at(w.actors, groupActor(g)).id))!;
}

/** Runs `op` through the domain; "refused" when it throws a domain error. */
async function perform(db: Db, w: World, m: Model, op: Op): Promise<Outcome> {
  const actor = (i: number) => at(w.actors, i);
  const postId = (ref: number) => at(w.posts, ref % w.posts.length);
  try {
    switch (op.kind) {
      case "join":
        await join(db, ORIGIN, await groupView(db, w, op.group), actor(op.person));
        break;
      case "leave":
        await leave(db, await groupView(db, w, op.group), actor(op.person));
        break;
      case "receiveJoin":
        await receiveJoin(db, await groupView(db, w, "local"), actor(op.person), remoteIri(at(PEOPLE, op.person).domain, `follows/${crypto.randomUUID()}`));
        break;
      case "receiveLeave":
        await receiveLeave(db, await groupView(db, w, "local"), actor(op.person));
        break;
      case "receiveInviteAccepted":
        await receiveInviteAccepted(db, await groupView(db, w, "local"), actor(op.person));
        break;
      case "decide":
        await decideRequest(db, await groupView(db, w, "local"), actor(op.by), actor(op.member), op.approve);
        break;
      case "invite":
        await invite(db, await groupView(db, w, "local"), actor(op.by), actor(op.invitee));
        break;
      case "remove":
        await removeMember(db, await groupView(db, w, "local"), actor(op.by), actor(op.member), { ban: op.ban });
        break;
      case "unban":
        await unban(db, await groupView(db, w, "local"), actor(op.by), actor(op.member));
        break;
      case "setRole":
        await setRole(db, await groupView(db, w, "local"), actor(op.by), actor(op.member), op.role);
        break;
      case "remoteGroupAccepts":
        await receiveMembershipAccepted(db, actor(REMOTE_GROUP), actor(op.person));
        break;
      case "remoteGroupEnds":
        await receiveMembershipEnded(db, actor(REMOTE_GROUP), actor(op.person));
        break;
      case "remoteGroupInvites":
        await receiveInvite(db, actor(REMOTE_GROUP), actor(op.person), remoteIri(REMOTE_GROUP_DOMAIN, `invites/${crypto.randomUUID()}`));
        break;
      case "block":
        await block(db, ORIGIN, actor(op.by), actor(op.target));
        break;
      case "unblock":
        await unblock(db, actor(op.by), actor(op.target));
        break;
      case "remoteBlock":
        await receiveBlock(db, actor(op.by), actor(op.target), remoteIri(at(PEOPLE, op.by).domain, `blocks/${crypto.randomUUID()}`));
        break;
      case "post":
      case "reply": {
        if (op.kind === "reply" && !w.posts.length) return "skipped";
        const created = await createLocalPost(db, ORIGIN, actor(op.author), {
          contentHtml: "<p>hello</p>", visibility: "public",
          ...(op.kind === "post" ? { groupId: actor(groupActor(op.group)).id } : { inReplyToId: postId(op.post) }),
        });
        w.posts.push(created.id);
        break;
      }
      case "remotePost": {
        const parent = op.post === null || !w.posts.length ? undefined
          : await db.selectFrom("posts").select("iri").where("id", "=", postId(op.post)).executeTakeFirstOrThrow();
        const created = await upsertRemotePost(db, actor(op.author), {
          iri: remoteIri(at(PEOPLE, op.author).domain, `notes/${++w.remotePosts}`), url: null, type: "Note",
          visibility: op.addressed, inReplyToIri: parent?.iri ?? null, name: null, summary: null, sensitive: false,
          contentHtml: "<p>hello</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [],
          attachments: [], extra: {}, groupId: actor(LOCAL_GROUP).id,
        }, "create");
        w.posts.push(created.id);
        break;
      }
      case "approve":
        if (!w.posts.length) return "skipped";
        await approvePost(db, await groupView(db, w, "local"), actor(op.by), postId(op.post));
        break;
      case "removePost":
        if (!w.posts.length) return "skipped";
        await removePost(db, await groupView(db, w, "local"), actor(op.by), postId(op.post));
        break;
      case "deleteOwn": {
        if (!w.posts.length) return "skipped";
        const author = at(m.posts, op.post % w.posts.length).author;
        if (!isLocal(author)) return "skipped";
        await deleteLocalPost(db, actor(author), postId(op.post));
        break;
      }
      case "setVisibility":
        await updateGroup(db, ORIGIN, await groupView(db, w, "local"), actor(OWNER), { visibility: op.visibility }, true);
        break;
    }
  } catch (err) {
    if (err instanceof DomainError) return "refused";
    throw err;
  }
  return "done";
}

interface ViewerCase {
  label: string;
  ref: RefViewer;
  viewer: Viewer;
}

function viewersOf(w: World): ViewerCase[] {
  const cases: ViewerCase[] = [{ label: "anonymous", ref: { kind: "anonymous" }, viewer: ANONYMOUS }];
  w.actors.forEach((a, i) => {
    const kind = a.local ? "local" : "remote";
    cases.push({ label: `${kind} #${i} ${a.username}@${a.domain}`, ref: { kind: "actor", actor: i }, viewer: { kind, actorId: a.id } });
  });
  for (const origin of SERVERS) cases.push({ label: `server ${origin}`, ref: { kind: "server", origin }, viewer: { kind: "server", origin } });
  return cases;
}

function describePost(m: Model, i: number): string {
  const p = at(m.posts, i);
  return `post #${i} (${p.visibility} in the ${p.group} group by #${p.author}${p.parent === null ? "" : `, reply to #${p.parent}`}`
    + `${p.moderation === "pending" ? ", pending" : ""}${p.deleted ? ", deleted" : ""})`;
}

async function checkStep(db: Db, w: World, m: Model, step: string): Promise<void> {
  // Memberships and posts are what the model says.
  const groupOf = new Map([[at(w.actors, LOCAL_GROUP).id, "local"], [at(w.actors, REMOTE_GROUP).id, "remote"]]);
  const rows = await db.selectFrom("memberships").select(["group_id", "member_id", "state", "role"]).execute();
  const got = rows.map((r) => `${groupOf.get(r.group_id)} #${w.actorIndex.get(r.member_id)}: ${r.state} ${r.role}`).sort();
  const want = (["local", "remote"] as const).flatMap((g) => [...m.members[g]].map(([a, x]) => `${g} #${a}: ${x.state} ${x.role}`)).sort();
  expect(got, `memberships after ${step}`).toEqual(want);

  const posts = await db.selectFrom("posts").select(["id", "visibility", "moderation", "deleted_at", "group_id"]).orderBy("id").execute();
  expect(posts.map((p) => p.id), `posts after ${step}`).toEqual(w.posts);
  posts.forEach((p, i) => {
    const want = at(m.posts, i);
    expect({ group: groupOf.get(p.group_id ?? ""), visibility: p.visibility, moderation: p.moderation, deleted: p.deleted_at !== null },
      `${describePost(m, i)} after ${step}`)
      .toEqual({ group: want.group, visibility: want.visibility, moderation: want.moderation, deleted: want.deleted });
  });
  if (!w.posts.length) return;

  // Who may view each post.
  for (const v of viewersOf(w)) {
    const visible = new Set((await db.selectFrom("posts").select("posts.id").where(visibleTo(v.viewer)).execute()).map((r) => r.id));
    w.posts.forEach((id, i) => {
      const p = at(m.posts, i);
      const seen = visible.has(id);
      expect(seen, `${v.label} on ${describePost(m, i)} after ${step}`).toBe(sees(m, v.ref, i));
      if (seen && p.visibility === "group") {
        // Spelled out: only the author, a current member or the group itself; only a server hosting a current member.
        if (v.ref.kind === "actor") {
          expect(v.ref.actor === p.author || isCurrent(m, p.group, v.ref.actor) || v.ref.actor === groupActor(p.group)).toBe(true);
        } else {
          const origin = v.ref.kind === "server" ? v.ref.origin : null;
          expect(currentMembers(m, p.group).some((a) => serverOf(a) === origin)).toBe(true);
        }
      }
    });
  }

  // Whose servers receive each post.
  for (const [i, id] of w.posts.entries()) {
    const p = at(m.posts, i);
    const members = (await audience(db, id)).map((a) => w.actorIndex.get(a.actorId)!).sort((x, y) => x - y);
    expect(members, `audience of ${describePost(m, i)} after ${step}`).toEqual(refAudience(m, i));
    if (p.group === "local") {
      const currentRemote = currentMembers(m, "local").filter((a) => !isLocal(a) && a !== p.author && !blocks(m, p.author, a));
      expect(members.filter((a) => !isLocal(a)), `remote audience of ${describePost(m, i)} after ${step}`)
        .toEqual(currentRemote.sort((x, y) => x - y));
    }
  }

  // What the delivery queue holds for each post.
  const jobs = await db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute();
  const payloads = jobs.map((j) => (typeof j.payload === "string" ? JSON.parse(j.payload) : j.payload) as Record<string, unknown>);
  const count = (type: string, postId: string, activity?: string) =>
    payloads.filter((j) => j.type === type && j.postId === postId && (activity === undefined || j.activity === activity)).length;
  for (const [i, id] of w.posts.entries()) {
    const p = at(m.posts, i);
    const inLocal = p.group === "local";
    const ownRemote = !inLocal && isLocal(p.author);
    const approved = p.moderation === "approved";
    expect({
      announceCreate: count("group.announce", id, "create"),
      announceDelete: count("group.announce", id, "delete"),
      announceOther: count("group.announce", id) - count("group.announce", id, "create") - count("group.announce", id, "delete"),
      create: count("post.create", id),
      delete: count("post.delete", id),
    }, `deliveries queued for ${describePost(m, i)} after ${step}`).toEqual({
      announceCreate: inLocal && approved ? 1 : 0,
      announceDelete: inLocal && approved && p.deleted ? 1 : 0,
      announceOther: 0,
      create: ownRemote ? 1 : 0,
      delete: ownRemote && p.deleted ? 1 : 0,
    });
  }
}

function describeOp(op: Op): string {
  return JSON.stringify(op);
}

beforeAll(async () => {
  handle = await openTestDatabase();
});

afterAll(async () => {
  await handle?.close();
});

describe("a closed group over random sequences of membership changes and posts", () => {
  it("nobody outside the group reads or is sent its content, at every step", async () => {
    await fc.assert(fc.asyncProperty(setups, fc.array(ops, { minLength: 5, maxLength: 40, size: "max" }), async (setup, sequence) => {
      const db = handle.db;
      await resetDatabase(db);
      const w = await makeWorld(db, setup);
      const m = newModel(setup);
      await checkStep(db, w, m, "creating the group");
      for (const [n, generated] of sequence.entries()) {
        const op = resolve(m, generated);
        const step = `step ${n} ${describeOp(op)}`;
        const expected = predict(m, op);
        expect(await perform(db, w, m, op), step).toBe(expected);
        await checkStep(db, w, m, step);
      }
    }), {
      numRuns: 35,
      examples: [
        // A group turned closed: replies to a thread started while it was public stay with its members.
        // (Each choice 1 resolves to the first fitting one: remote person 4, the owner, post 0.)
        [{ visibility: "closed", joinMode: "open", moderatePosts: false, moderateComments: false }, [
          { kind: "receiveJoin", person: 1 },
          { kind: "setVisibility", visibility: "public" },
          { kind: "post", author: 1, group: "local" },
          { kind: "setVisibility", visibility: "secret" },
          { kind: "reply", author: 1, post: 1 },
          { kind: "remotePost", author: 1, post: 1, addressed: "public" },
          { kind: "remotePost", author: 1, post: 1, addressed: "group" },
        ]],
        // A reply addressed to the public in a remote closed group's thread stays in the group (found by seed 1305294961).
        [{ visibility: "closed", joinMode: "open", moderatePosts: false, moderateComments: false }, [
          { kind: "join", person: 0, group: "remote" },
          { kind: "remoteGroupAccepts", person: 0 },
          { kind: "post", author: 0, group: "remote" },
          { kind: "remoteGroupInvites", person: 0 },
          { kind: "remotePost", author: 0, post: 0, addressed: "public" },
        ]],
      ],
    });
  }, 300_000);
});
