/**
 * Polls. A poll is a post of type Question whose `extra.poll` holds its
 * options (the shape federation/translate/inbound.ts stores for remote
 * polls): `{ options: [{ title, votes }], multiple, endTime, closed, voters,
 * hideTotals }`. Votes are rows of `poll_votes`, one per (poll, voter,
 * option), local and remote voters alike. For a local poll the tallies in
 * `extra.poll` are recounted from those rows in the vote's transaction; for
 * a remote poll they are its server's, refreshed by its Updates.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, Post } from "../db/schema.ts";
import { invalid, notFound } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { notify } from "./notifications.ts";
import { getPost, getVisiblePost } from "./posts/read.ts";
import { publishStreamEvent } from "./stream-events.ts";
import { newActivityIri } from "./urls.ts";
import { type AudienceMember, audience, canView, federates, type Viewer } from "./visibility.ts";

/** What a local poll may be (announced by /api/v2/instance as `configuration.polls`). */
export const POLL_LIMITS = {
  maxOptions: 4,
  maxCharactersPerOption: 50,
  minExpirationSeconds: 300,
  maxExpirationSeconds: 30 * 24 * 60 * 60,
} as const;

/** Remote polls are read with at most this many options (CVE-2026-23962: bounded federated lists). */
const MAX_STORED_OPTIONS = 20;

/** A local poll's new tallies go out at most once per this interval. */
export const POLL_REFRESH_INTERVAL_SECONDS = 60;

export interface PollOption {
  title: string;
  votes: number;
}

export interface Poll {
  options: PollOption[];
  multiple: boolean;
  endTime: Date | null;
  closed: Date | null;
  /** distinct voters, when known */
  voters: number | null;
  hideTotals: boolean;
}

export interface NewPoll {
  options: string[];
  expiresInSeconds: number;
  multiple: boolean;
  hideTotals: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function date(v: unknown): Date | null {
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

/** The poll a post carries, or null (only Questions carry one). */
export function pollOf(post: Pick<Post, "type" | "extra">): Poll | null {
  if (post.type !== "Question" || !isRecord(post.extra) || !isRecord(post.extra.poll)) return null;
  const raw = post.extra.poll;
  if (!Array.isArray(raw.options)) return null;
  const options = raw.options.slice(0, MAX_STORED_OPTIONS).flatMap((o): PollOption[] => {
    if (!isRecord(o) || typeof o.title !== "string" || o.title === "") return [];
    return [{ title: o.title, votes: count(o.votes) }];
  });
  if (options.length === 0) return null;
  return {
    options,
    multiple: raw.multiple === true,
    endTime: date(raw.endTime),
    closed: date(raw.closed),
    voters: typeof raw.voters === "number" ? count(raw.voters) : null,
    hideTotals: raw.hideTotals === true,
  };
}

/** Has the poll ended (closed, or past its end)? */
export function pollExpired(poll: Poll, now = new Date()): boolean {
  return poll.closed !== null || (poll.endTime !== null && poll.endTime.getTime() <= now.getTime());
}

function pollExtra(poll: Poll): Record<string, unknown> {
  return {
    poll: {
      options: poll.options.map((o) => ({ title: o.title, votes: o.votes })),
      multiple: poll.multiple,
      endTime: poll.endTime?.toISOString() ?? null,
      closed: poll.closed?.toISOString() ?? null,
      voters: poll.voters,
      hideTotals: poll.hideTotals,
    },
  };
}

/** Checks a new local poll and gives the `extra` of its post (a Question). */
export function newPollExtra(input: NewPoll, now = new Date()): Record<string, unknown> {
  const titles = input.options.map((o) => o.trim());
  if (titles.length < 2) throw invalid("Validation failed: Poll must have at least 2 options");
  if (titles.length > POLL_LIMITS.maxOptions) throw invalid(`Validation failed: Poll can't contain more than ${POLL_LIMITS.maxOptions} items`);
  if (titles.some((t) => t === "")) throw invalid("Validation failed: Poll options can't be blank");
  if (titles.some((t) => [...t].length > POLL_LIMITS.maxCharactersPerOption)) {
    throw invalid(`Validation failed: Poll options can't be longer than ${POLL_LIMITS.maxCharactersPerOption} characters`);
  }
  if (new Set(titles).size !== titles.length) throw invalid("Validation failed: Poll options must not contain duplicates");
  const s = input.expiresInSeconds;
  if (!Number.isInteger(s) || s < POLL_LIMITS.minExpirationSeconds || s > POLL_LIMITS.maxExpirationSeconds) {
    throw invalid(`Validation failed: Poll duration must be between ${POLL_LIMITS.minExpirationSeconds} and ${POLL_LIMITS.maxExpirationSeconds} seconds`);
  }
  return pollExtra({
    options: titles.map((title) => ({ title, votes: 0 })),
    multiple: input.multiple,
    endTime: new Date(now.getTime() + s * 1000),
    closed: null,
    voters: 0,
    hideTotals: input.hideTotals,
  });
}

/**
 * An edit of a status may repeat its poll (Mastodon's apps send it back
 * with every edit) but not change it: Plein does not edit polls (Mastodon
 * would reset their votes). Another poll, or one added by an edit, is a 422.
 */
export function assertPollUnchanged(post: Pick<Post, "type" | "extra">, asked: NewPoll | undefined): void {
  if (asked === undefined) return;
  const poll = pollOf(post);
  if (!poll) throw invalid("Validation failed: A poll cannot be added by an edit");
  const same = poll.multiple === asked.multiple && poll.options.length === asked.options.length
    && poll.options.every((o, i) => o.title === asked.options[i]?.trim());
  if (!same) throw invalid("Validation failed: A poll's options cannot be changed by an edit");
}

/** Queues the poll's closing at its end. Call in the transaction that stores (or first votes on) the poll. */
export async function schedulePollClose(trx: Db, post: Post): Promise<void> {
  const poll = pollOf(post);
  if (!poll?.endTime || poll.closed) return;
  await enqueueDelivery(trx, { type: "poll.close", postId: post.id }, undefined, Math.max(0, poll.endTime.getTime() - Date.now()));
}

/** The choices (option indexes) `voterId` made on each of these polls; polls without a vote are absent. */
export async function ownVotesOn(db: Db, voterId: string, postIds: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (postIds.length === 0) return out;
  const rows = await db.selectFrom("poll_votes").select(["post_id", "choice"])
    .where("voter_id", "=", voterId).where("post_id", "in", [...new Set(postIds)])
    .orderBy("choice").execute();
  for (const r of rows) out.set(r.post_id, [...out.get(r.post_id) ?? [], r.choice]);
  return out;
}

/** A poll `viewer` may see: the post and its poll; the same not-found for a missing, hidden or poll-less post. */
export async function getVisiblePoll(db: Db, viewer: Viewer, postId: string): Promise<{ post: Post; poll: Poll }> {
  const post = await getVisiblePost(db, viewer, postId);
  const poll = pollOf(post);
  if (!poll || post.deleted_at) throw notFound();
  return { post, poll };
}

/** Recounts a local poll's tallies from its votes and queues the Update that tells others. */
async function recount(trx: Db, post: Post, poll: Poll): Promise<Post> {
  const [choices, voters] = await Promise.all([
    trx.selectFrom("poll_votes").select(["choice", (eb) => eb.fn.countAll<string>().as("n")])
      .where("post_id", "=", post.id).groupBy("choice").execute(),
    trx.selectFrom("poll_votes").select((eb) => eb.fn.count<string>("voter_id").distinct().as("n"))
      .where("post_id", "=", post.id).executeTakeFirstOrThrow(),
  ]);
  const byChoice = new Map(choices.map((c) => [c.choice, Number(c.n)]));
  const updated = await trx.updateTable("posts").set({
    extra: JSON.stringify(pollExtra({
      ...poll,
      options: poll.options.map((o, i) => ({ title: o.title, votes: byChoice.get(i) ?? 0 })),
      voters: Number(voters.n),
    })),
  }).where("id", "=", post.id).returningAll().executeTakeFirstOrThrow();
  await queueRefresh(trx, updated);
  await publishStreamEvent(trx, { type: "status.update", postId: post.id });
  return updated;
}

/**
 * Queues the Update of a local poll's tallies, at most once per
 * POLL_REFRESH_INTERVAL_SECONDS: the first change goes out at once, later
 * ones with the next due Update (which renders the poll as it is then).
 */
async function queueRefresh(trx: Db, post: Post): Promise<void> {
  if (!post.local || !federates(post.visibility)) return;
  const interval = sql`${POLL_REFRESH_INTERVAL_SECONDS}::double precision * interval '1 second'`;
  const due = await trx.insertInto("poll_refreshes").values({ post_id: post.id, due_at: sql<Date>`now()` })
    .onConflict((oc) => oc.column("post_id").doUpdateSet({ due_at: sql<Date>`greatest(now(), poll_refreshes.due_at + ${interval})` })
      .where("poll_refreshes.due_at", "<=", sql<Date>`now()`))
    .returning((eb) => sql<number>`greatest(0, extract(epoch from (${eb.ref("poll_refreshes.due_at")} - now())) * 1000)`.as("delay_ms"))
    .executeTakeFirst();
  if (!due) return; // an Update is already due later; it will carry this change
  await enqueueDelivery(trx, { type: "poll.update", postId: post.id, id: newActivityIri(new URL(post.iri), "poll-updates") },
    undefined, Math.ceil(Number(due.delay_ms)));
}

/** The post locked for the vote's transaction, with its poll. */
async function lockPoll(trx: Db, postId: string): Promise<{ post: Post; poll: Poll } | undefined> {
  const post = await trx.selectFrom("posts").selectAll().where("id", "=", postId).forUpdate().executeTakeFirst();
  const poll = post && !post.deleted_at ? pollOf(post) : null;
  return post && poll ? { post, poll } : undefined;
}

/**
 * A local account votes (Mastodon's POST /api/v1/polls/:id/votes). Refused
 * (422): an ended poll, the author's own, a second vote, choices out of
 * range or repeated, several on a single-choice poll. A poll the voter may
 * not see is not found. On a remote poll each choice goes to its author as
 * a vote (a Note named after the option).
 */
export async function votePoll(db: Db, voter: Actor, postId: string, choices: readonly number[]): Promise<{ post: Post; poll: Poll }> {
  await getVisiblePoll(db, { kind: "local", actorId: voter.id }, postId);
  if (choices.length === 0) throw invalid("Validation failed: Choices can't be blank");
  if (new Set(choices).size !== choices.length) throw invalid("Validation failed: Choices must not repeat");
  return db.transaction().execute(async (trx) => {
    const locked = await lockPoll(trx, postId);
    if (!locked) throw notFound();
    const { post, poll } = locked;
    if (pollExpired(poll)) throw invalid("Validation failed: The poll has already ended");
    if (post.actor_id === voter.id) throw invalid("Validation failed: You cannot vote on your own poll");
    if (choices.some((c) => !Number.isInteger(c) || c < 0 || c >= poll.options.length)) throw invalid("Validation failed: Choices are out of range");
    if (!poll.multiple && choices.length > 1) throw invalid("Validation failed: This poll takes one choice only");
    const already = await trx.selectFrom("poll_votes").select("id").where("post_id", "=", post.id).where("voter_id", "=", voter.id).executeTakeFirst();
    if (already) throw invalid("Validation failed: You have already voted on this poll");
    const votes = await trx.insertInto("poll_votes")
      .values(choices.map((choice) => ({ post_id: post.id, voter_id: voter.id, choice, iri: newActivityIri(new URL(voter.iri), "votes") })))
      .returning("id").execute();
    if (post.local) {
      const recounted = await recount(trx, post, poll);
      return { post: recounted, poll: pollOf(recounted)! };
    }
    for (const v of votes) await enqueueDelivery(trx, { type: "poll.vote", voteId: v.id }, voter.id);
    // Told when it ends: its own server's tallies arrive by Update, the ending is ours to notice.
    await schedulePollClose(trx, post);
    return { post, poll };
  });
}

/** A local poll, by its ActivityPub id (for a remote vote's inReplyTo). */
export async function findLocalPollByIri(db: Db, iri: string): Promise<Post | undefined> {
  const post = await db.selectFrom("posts").selectAll().where("iri", "=", iri).where("local", "=", true)
    .where("type", "=", "Question").where("deleted_at", "is", null).executeTakeFirst();
  return post && pollOf(post) ? post : undefined;
}

/**
 * A remote actor's vote on a local poll (a Note named after the option).
 * Counted once per voter and option; ignored (false) when the poll ended,
 * the voter may not see it, names no option of it, already chose this
 * option, or already voted on a single-choice poll.
 */
export async function receiveRemoteVote(db: Db, voter: Actor, post: Post, title: string, voteIri: string): Promise<boolean> {
  if (voter.local || post.actor_id === voter.id) return false;
  if (!(await canView(db, { kind: "remote", actorId: voter.id }, post.id))) return false;
  return db.transaction().execute(async (trx) => {
    const locked = await lockPoll(trx, post.id);
    if (!locked || !locked.post.local || pollExpired(locked.poll)) return false;
    const choice = locked.poll.options.findIndex((o) => o.title === title);
    if (choice < 0) return false;
    const earlier = await trx.selectFrom("poll_votes").select("choice").where("post_id", "=", post.id).where("voter_id", "=", voter.id).execute();
    if (earlier.some((v) => v.choice === choice) || (!locked.poll.multiple && earlier.length > 0)) return false;
    const stored = await trx.insertInto("poll_votes").values({ post_id: post.id, voter_id: voter.id, choice, iri: voteIri })
      .onConflict((oc) => oc.doNothing()).returning("id").executeTakeFirst();
    if (!stored) return false;
    await recount(trx, locked.post, locked.poll);
    return true;
  });
}

/**
 * Who hears of a local poll's new tallies: its audience (the visibility
 * rule's) and, as Mastodon does, its remote voters, each only while the rule
 * still lets them see it.
 */
export async function pollAudience(db: Db, postId: string): Promise<AudienceMember[]> {
  const members = await audience(db, postId);
  const known = new Set(members.map((m) => m.actorId));
  const voters = await db.selectFrom("poll_votes").innerJoin("actors", "actors.id", "poll_votes.voter_id")
    .select(["actors.id as actorId", "actors.iri", "actors.inbox_url as inbox", "actors.shared_inbox_url as sharedInbox", "actors.local"])
    .distinct()
    .where("poll_votes.post_id", "=", postId).where("actors.local", "=", false).where("actors.gone_at", "is", null)
    .execute();
  for (const voter of voters) {
    if (known.has(voter.actorId) || !(await canView(db, { kind: "remote", actorId: voter.actorId }, postId))) continue;
    members.push(voter);
  }
  return members;
}

/** A vote of a local account on a remote poll, for its delivery. */
export async function findOutgoingVote(db: Db, voteId: string): Promise<{ iri: string; title: string; voterId: string; post: Post } | undefined> {
  const vote = await db.selectFrom("poll_votes").selectAll().where("id", "=", voteId).executeTakeFirst();
  if (!vote) return undefined;
  const post = await getPost(db, vote.post_id);
  const option = post ? pollOf(post)?.options[vote.choice] : undefined;
  if (!post || post.local || post.deleted_at || !option) return undefined;
  return { iri: vote.iri, title: option.title, voterId: vote.voter_id, post };
}

/**
 * A poll's end (the job queued at its end time): a local poll is closed (its
 * final tallies go out), and its author and local voters are notified once
 * (for a remote poll, its local voters).
 */
export async function closePoll(db: Db, postId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const locked = await lockPoll(trx, postId);
    if (!locked) return;
    const { post, poll } = locked;
    if (poll.endTime && poll.endTime.getTime() > Date.now()) {
      // Not yet: the end moved later since this job was queued (a remote poll's Update). Come back then.
      await schedulePollClose(trx, post);
      return;
    }
    const voters = await trx.selectFrom("poll_votes").innerJoin("actors", "actors.id", "poll_votes.voter_id")
      .select("actors.id").distinct()
      .where("poll_votes.post_id", "=", post.id).where("actors.local", "=", true)
      .where((eb) => eb.not(eb.exists(eb.selectFrom("notifications").select(sql.lit(1).as("one"))
        .where("notifications.type", "=", "poll").whereRef("notifications.post_id", "=", "poll_votes.post_id")
        .whereRef("notifications.recipient_id", "=", "actors.id"))))
      .execute();
    const recipients = voters.map((v) => v.id);
    if (post.local) {
      if (poll.closed) return;
      await trx.updateTable("posts").set({ extra: JSON.stringify(pollExtra({ ...poll, closed: poll.endTime ?? new Date() })) })
        .where("id", "=", post.id).execute();
      if (federates(post.visibility)) {
        await enqueueDelivery(trx, { type: "poll.update", postId: post.id, id: newActivityIri(new URL(post.iri), "poll-updates") });
      }
      await publishStreamEvent(trx, { type: "status.update", postId: post.id });
      recipients.push(post.actor_id);
    }
    await notify(trx, recipients.map((recipientId) => ({ recipientId, type: "poll", actorId: post.actor_id, postId: post.id })));
  });
}
