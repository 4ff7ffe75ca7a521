/**
 * RSVPs. The event's own server decides: it keeps every answer, gives places
 * up to the capacity and puts the rest of "going" on a waiting list, first
 * come first served, which moves up when someone with a place stops coming
 * or the capacity grows. It then publishes the event again (an Update with
 * the counts and lists, src/modules/event/activitypub.ts), so every server
 * that holds the event shows the same. Someone on another server answers by
 * sending their RSVP to the event's server, and sees it as pending until
 * that server's list names it.
 */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Actor, Post } from "../../db/schema.ts";
import { forbidden, invalid, notFound } from "../../domain/errors.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { findGroup } from "../../domain/groups.ts";
import { enqueueDelivery } from "../../domain/jobs.ts";
import { membershipOf } from "../../domain/membership.ts";
import { notify } from "../../domain/notifications.ts";
import { touchLocalPost } from "../../domain/posts/authoring.ts";
import { newActivityIriOf } from "../../domain/urls.ts";
import type { PublishedRsvp, RsvpCounts } from "./data.ts";
import { detailsOf, isOver, lockDetails } from "./details.ts";
import { type EventDetails, type EventRsvp, events, type RsvpStatus } from "./tables.ts";

/** The module's delivery jobs (src/domain/jobs.ts `type: "module"`; built by activitypub.ts). */
export type EventJob =
  /** one of our people's RSVP, to the event's server */
  | { kind: "rsvp"; postId: string; actorId: string; status: RsvpStatus }
  /** our organiser gives a place to someone who joined the Mobilizon way: an Accept of their Join */
  | { kind: "accept-join"; rsvpId: string };

/** `sender`: the local actor who signs it (the RSVP's author, the organiser who accepts). */
async function queueJob(trx: Db, job: EventJob, sender: string, id: string, orderingKey: string): Promise<void> {
  await enqueueDelivery(trx, { type: "module", module: "event", senderId: sender, payload: { ...job }, id }, orderingKey);
}

export async function rsvpOf(db: Db, postId: string, actorIri: string): Promise<EventRsvp | undefined> {
  return events(db).selectFrom("event_rsvps").selectAll()
    .where("post_id", "=", postId).where("actor_iri", "=", actorIri).executeTakeFirst();
}

/** What the event's server has: places given, waiting, maybe, not going. */
export async function countRsvps(db: Db, postId: string): Promise<RsvpCounts> {
  const row = await events(db).selectFrom("event_rsvps")
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere("status", "=", "going").filterWhere("waitlist_position", "is", null).as("going"),
      eb.fn.countAll<string>().filterWhere("waitlist_position", "is not", null).as("waitlisted"),
      eb.fn.countAll<string>().filterWhere("status", "=", "maybe").as("maybe"),
      eb.fn.countAll<string>().filterWhere("status", "=", "not_going").as("not_going"),
    ])
    .where("post_id", "=", postId).where("pending", "=", false)
    .executeTakeFirstOrThrow();
  return { going: Number(row.going), waitlisted: Number(row.waitlisted), maybe: Number(row.maybe), notGoing: Number(row.not_going) };
}

async function storeCounts(trx: Db, postId: string): Promise<void> {
  const c = await countRsvps(trx, postId);
  await events(trx).updateTable("event_details")
    .set({ going_count: c.going, waitlist_count: c.waitlisted, maybe_count: c.maybe, not_going_count: c.notGoing })
    .where("post_id", "=", postId).execute();
}

/** Closes the gap a waiting entry leaves behind it. */
async function closeGap(trx: Db, postId: string, position: number, by = 1): Promise<void> {
  await events(trx).updateTable("event_rsvps")
    .set({ waitlist_position: sql<number>`waitlist_position - ${by}` })
    .where("post_id", "=", postId).where("waitlist_position", ">", position).execute();
}

/**
 * Gives free places to the first on the waiting list (all of them when there
 * is no limit any more). Returns those who got one.
 */
async function moveUp(trx: Db, details: EventDetails): Promise<EventRsvp[]> {
  const c = await countRsvps(trx, details.post_id);
  const free = details.capacity === null ? c.waitlisted : Math.min(details.capacity - c.going, c.waitlisted);
  if (free <= 0) return [];
  const promoted = await events(trx).updateTable("event_rsvps")
    .set({ waitlist_position: null, updated_at: new Date() })
    .where("post_id", "=", details.post_id).where("waitlist_position", "<=", free)
    .returningAll().execute();
  await closeGap(trx, details.post_id, 0, promoted.length);
  return promoted;
}

/** Someone who joined the Mobilizon way and now has a place is told so (Accept of their Join). */
async function acceptJoins(trx: Db, organiser: Actor, rows: readonly EventRsvp[]): Promise<void> {
  for (const row of rows) {
    if (!row.via_join || row.status !== "going" || row.waitlist_position !== null || !row.activity_iri) continue;
    await queueJob(trx, { kind: "accept-join", rsvpId: row.id }, organiser.id, newActivityIriOf(organiser, "accept"), organiser.id);
  }
}

/** After a change to a local event's RSVPs: counts, the Update that tells everyone, and Accepts owed. */
async function publish(trx: Db, post: Post, organiser: Actor, placed: readonly EventRsvp[]): Promise<void> {
  await storeCounts(trx, post.id);
  await acceptJoins(trx, organiser, placed);
  await touchLocalPost(trx, post.id);
}

export interface Responder {
  iri: string;
  /** the actor's row (local people and remote signers have one) */
  id: string;
}

export interface RsvpMeta {
  /** the RSVP activity (from another server) */
  activityIri?: string | null;
  /** it came as Mobilizon's Join */
  viaJoin?: boolean;
}

/**
 * The event's own server records an answer (its own people's, or one
 * received from another server). Returns false when nothing changed (the
 * same answer again).
 */
export async function respond(db: Db, post: Post, organiser: Actor, who: Responder, status: RsvpStatus, meta: RsvpMeta = {}): Promise<boolean> {
  if (!post.local) throw new TypeError("Only the event's own server decides its RSVPs");
  return db.transaction().execute(async (trx) => {
    const details = await lockDetails(trx, post.id);
    if (!details) throw notFound();
    if (isOver(details)) throw invalid("The event is over");
    const current = await rsvpOf(trx, post.id, who.iri);
    if (current && current.status === status) {
      if (meta.activityIri && meta.activityIri !== current.activity_iri) {
        await events(trx).updateTable("event_rsvps").set({ activity_iri: meta.activityIri, via_join: meta.viaJoin ?? false })
          .where("id", "=", current.id).execute();
      }
      return false;
    }
    let position: number | null = null;
    if (status === "going") {
      const c = await countRsvps(trx, post.id);
      // Someone waiting goes first, whatever places an edit may just have freed.
      if (details.capacity !== null && (c.going >= details.capacity || c.waitlisted > 0)) position = c.waitlisted + 1;
    }
    const values = {
      status, waitlist_position: position, actor_id: who.id, pending: false, updated_at: new Date(),
      activity_iri: meta.activityIri ?? null, via_join: meta.viaJoin ?? false,
    };
    const row = await events(trx).insertInto("event_rsvps")
      .values({ post_id: post.id, actor_iri: who.iri, ...values })
      .onConflict((oc) => oc.columns(["post_id", "actor_iri"]).doUpdateSet(values))
      .returningAll().executeTakeFirstOrThrow();
    const placed: EventRsvp[] = [row];
    if (current?.status === "going") {
      if (current.waitlist_position === null) placed.push(...await moveUp(trx, details));
      else await closeGap(trx, post.id, current.waitlist_position);
    }
    await notify(trx, [{ recipientId: post.actor_id, type: "rsvp", actorId: who.id, postId: post.id, groupId: post.group_id }]);
    await publish(trx, post, organiser, placed);
    return true;
  });
}

/**
 * After an edit of a local event (in the edit's transaction): a larger
 * capacity, or none, gives places to those waiting. A smaller one takes no
 * place away.
 */
export async function afterEdit(trx: Db, post: Post, organiser: Actor, before: EventDetails | undefined, after: EventDetails): Promise<void> {
  if (!before || !post.local) return;
  const grew = after.capacity === null ? before.capacity !== null : before.capacity !== null && after.capacity > before.capacity;
  if (!grew) return;
  const placed = await moveUp(trx, after);
  await storeCounts(trx, post.id);
  await acceptJoins(trx, organiser, placed);
}

/** May this person answer? In a group, only its members (a group on another server decides for others there). */
export async function mayRespond(db: Db, post: Post, actor: Actor): Promise<boolean> {
  if (post.group_id === null) return true;
  const group = await findGroup(db, post.group_id);
  if (!group) return false;
  if (!group.actor.local && !actor.local) return true;
  return (await membershipOf(db, post.group_id, actor.id))?.state === "member";
}

/**
 * One of our people answers an event of another server: the answer is kept
 * as pending and sent there; that server's list confirms it.
 */
export async function respondRemotely(db: Db, post: Post, me: Actor, status: RsvpStatus): Promise<void> {
  if (post.local || !me.local) throw new TypeError("Only our people answer events of other servers from here");
  const details = await detailsOf(db, post.id);
  if (!details) throw notFound();
  if (isOver(details)) throw invalid("The event is over");
  if (details.rsvp_style === "join" && status === "maybe") throw invalid("This event's server takes going or not going only");
  await db.transaction().execute(async (trx) => {
    const id = newActivityIriOf(me, "rsvp");
    const values = { status, waitlist_position: null, actor_id: me.id, pending: true, activity_iri: id, via_join: details.rsvp_style === "join", updated_at: new Date() };
    await events(trx).insertInto("event_rsvps").values({ post_id: post.id, actor_iri: me.iri, ...values })
      .onConflict((oc) => oc.columns(["post_id", "actor_iri"]).doUpdateSet(values)).execute();
    await queueJob(trx, { kind: "rsvp", postId: post.id, actorId: me.id, status }, me.id, id, me.id);
  });
}

/**
 * The event's server answered one of our people's RSVPs (Mobilizon's Accept
 * or Reject of a Join): confirmed, or withdrawn.
 */
export async function answerReceived(db: Db, rsvp: EventRsvp, accepted: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (accepted) {
      await events(trx).updateTable("event_rsvps").set({ pending: false, updated_at: new Date() }).where("id", "=", rsvp.id).execute();
    } else {
      await events(trx).deleteFrom("event_rsvps").where("id", "=", rsvp.id).execute();
    }
  });
}

/** Our own people's RSVP that a remote event's server answered, found by the activity we sent. */
export async function sentRsvpByActivity(db: Db, activityIri: string): Promise<EventRsvp | undefined> {
  return events(db).selectFrom("event_rsvps").selectAll().where("activity_iri", "=", activityIri).executeTakeFirst();
}

/** Most entries of a published attendee list we take. */
export const MAX_PUBLISHED_RSVPS = 2_000;

/**
 * A remote event's server published its lists: they replace what we held.
 * Its word about our own people counts only for what they answered through
 * us (a server cannot make our people come), and an answer of ours still on
 * its way stays pending until the list names it.
 */
export async function mirrorRsvps(trx: Db, post: Post, published: readonly PublishedRsvp[]): Promise<void> {
  const entries = new Map(published.slice(0, MAX_PUBLISHED_RSVPS).map((e) => [e.actorIri, e]));
  const held = new Map((await events(trx).selectFrom("event_rsvps").selectAll().where("post_id", "=", post.id).execute())
    .map((r) => [r.actor_iri, r]));
  const iris = [...entries.keys()];
  const actors = new Map<string, { id: string; local: boolean }>();
  for (let i = 0; i < iris.length; i += 500) {
    const rows = await trx.selectFrom("actors").select(["id", "iri", "local"]).where("iri", "in", iris.slice(i, i + 500)).execute();
    for (const a of rows) actors.set(a.iri, a);
  }
  const rows = [...entries.values()].flatMap((e) => {
    const actor = actors.get(e.actorIri);
    const mine = held.get(e.actorIri);
    if (actor?.local && !mine) return [];
    if (mine?.pending && mine.status !== e.status) return [];
    return [{
      post_id: post.id, actor_iri: e.actorIri, actor_id: actor?.id ?? null, status: e.status,
      waitlist_position: e.status === "going" ? e.waitlistPosition : null, list_rank: e.rank, pending: false, updated_at: new Date(),
    }];
  });
  const gone = [...held.values()].filter((r) => !r.pending && !entries.has(r.actor_iri)).map((r) => r.id);
  if (gone.length > 0) await events(trx).deleteFrom("event_rsvps").where("id", "in", gone).execute();
  for (let i = 0; i < rows.length; i += 500) {
    await events(trx).insertInto("event_rsvps").values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(["post_id", "actor_iri"]).doUpdateSet((eb) => ({
        actor_id: eb.ref("excluded.actor_id"),
        status: eb.ref("excluded.status"),
        waitlist_position: eb.ref("excluded.waitlist_position"),
        list_rank: eb.ref("excluded.list_rank"),
        pending: false,
        updated_at: eb.ref("excluded.updated_at"),
      })))
      .execute();
  }
}

/** Checks that the event may be answered at all: an approved, living event post of this module. */
export function answerable(post: Post): void {
  if (post.module !== "event" || post.deleted_at || post.reblog_of_id) throw notFound();
  if (post.moderation !== "approved") throw forbidden("The event waits for a moderator");
}

/**
 * One of our people answers an event they can see (Plein's API and the web
 * pages): only the group's members; the event's own server records it now,
 * another server's event gets it sent.
 */
export async function answerEvent(db: Db, post: Post, me: Actor, status: RsvpStatus): Promise<void> {
  answerable(post);
  if (!(await mayRespond(db, post, me))) throw forbidden("Only the group's members answer its events");
  if (!post.local) {
    await respondRemotely(db, post, me, status);
    return;
  }
  const organiser = await findActorById(db, post.actor_id);
  if (!organiser) throw notFound();
  await respond(db, post, organiser, { iri: me.iri, id: me.id }, status);
}
