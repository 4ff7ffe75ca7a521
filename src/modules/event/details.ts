/** An event's own row: written with its post, read for pages, the API and ActivityStreams. */
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import type { EventInput, RemoteEvent } from "./data.ts";
import { type EventDetails, events } from "./tables.ts";
import { DEFAULT_TIME_ZONE, resolveTime } from "./times.ts";

export async function detailsOf(db: Db, postId: string): Promise<EventDetails | undefined> {
  return events(db).selectFrom("event_details").selectAll().where("post_id", "=", postId).executeTakeFirst();
}

export async function detailsOfMany(db: Db, postIds: readonly string[]): Promise<Map<string, EventDetails>> {
  if (postIds.length === 0) return new Map();
  const rows = await events(db).selectFrom("event_details").selectAll().where("post_id", "in", [...postIds]).execute();
  return new Map(rows.map((r) => [r.post_id, r]));
}

/** The event's row, locked until the transaction ends: RSVPs to one event take turns. */
export async function lockDetails(trx: Db, postId: string): Promise<EventDetails | undefined> {
  return events(trx).selectFrom("event_details").selectAll().where("post_id", "=", postId).forUpdate().executeTakeFirst();
}

/**
 * A local create or edit: what the request names replaces what was, the
 * rest stays. A wall-clock time is read in the event's (new or kept) time
 * zone; changing only the time zone keeps the instants. Returns the row
 * before and after.
 */
export async function saveInput(trx: Db, post: Post, input: EventInput): Promise<{ before: EventDetails | undefined; after: EventDetails }> {
  const before = await lockDetails(trx, post.id);
  if (!before && !input.start) throw invalid("start is required");
  const timeZone = input.timeZone ?? before?.time_zone ?? DEFAULT_TIME_ZONE;
  const startsAt = input.start ? resolveTime("start", input.start, timeZone) : before!.starts_at;
  const endsAt = input.end === undefined ? before?.ends_at ?? null : input.end === null ? null : resolveTime("end", input.end, timeZone);
  if (endsAt && endsAt.getTime() < startsAt.getTime()) throw invalid("end must not be before start");
  const location = input.location === null ? { name: null, address: null } : {
    name: input.location?.name === undefined ? before?.location_name ?? null : input.location.name,
    address: input.location?.address === undefined ? before?.location_address ?? null : input.location.address,
  };
  const values = {
    starts_at: startsAt,
    ends_at: endsAt,
    time_zone: timeZone,
    location_name: location.name,
    location_address: location.address,
    online_url: input.onlineUrl === undefined ? before?.online_url ?? null : input.onlineUrl,
    capacity: input.capacity === undefined ? before?.capacity ?? null : input.capacity,
  };
  const after = await events(trx).insertInto("event_details")
    .values({ post_id: post.id, group_id: post.group_id, ...values, going_count: 0, waitlist_count: 0, maybe_count: 0, not_going_count: 0 })
    .onConflict((oc) => oc.column("post_id").doUpdateSet(values))
    .returningAll().executeTakeFirstOrThrow();
  return { before, after };
}

/** A remote Event as its server published it (created or updated). */
export async function saveRemote(trx: Db, post: Post, event: RemoteEvent): Promise<void> {
  const counts = event.counts;
  const values = {
    starts_at: event.startsAt,
    ends_at: event.endsAt,
    time_zone: event.timeZone,
    location_name: event.location?.name ?? null,
    location_address: event.location?.address ?? null,
    online_url: event.onlineUrl,
    capacity: event.capacity,
    rsvp_style: event.rsvpStyle,
    going_count: counts?.going ?? null,
    waitlist_count: counts?.waitlisted ?? null,
    maybe_count: counts?.maybe ?? null,
    not_going_count: counts?.notGoing ?? null,
  };
  await events(trx).insertInto("event_details")
    .values({ post_id: post.id, group_id: post.group_id, ...values })
    .onConflict((oc) => oc.column("post_id").doUpdateSet(values))
    .execute();
}

/** Has the event ended (or, without an end, started)? RSVPs close then. */
export function isOver(details: Pick<EventDetails, "starts_at" | "ends_at">, now = new Date()): boolean {
  return (details.ends_at ?? details.starts_at).getTime() < now.getTime();
}
