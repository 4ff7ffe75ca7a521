/** Lists of the event module: a post's attendees, a group's calendar. */
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { visibleTo, type Viewer } from "../../domain/visibility.ts";
import { type EventRsvp, events, type RsvpStatus } from "./tables.ts";

/** Which attendee list: a status, or those waiting for a place. */
export type AttendeeList = RsvpStatus | "waitlisted";
export const ATTENDEE_LISTS: readonly AttendeeList[] = ["going", "waitlisted", "maybe", "not_going"];

/**
 * One attendee list of an event as its server has it (answers of our own
 * people still on their way to another server are not in it). Those waiting
 * come in their order; the others in the order they answered. `after` is the
 * last entry's cursor of the previous page.
 */
export async function attendees(db: Db, postId: string, list: AttendeeList, page: { after?: number; limit: number }): Promise<EventRsvp[]> {
  let q = events(db).selectFrom("event_rsvps").selectAll()
    .where("post_id", "=", postId).where("pending", "=", false);
  if (list === "waitlisted") {
    q = q.where("status", "=", "going").where("waitlist_position", "is not", null);
    if (page.after !== undefined) q = q.where("waitlist_position", ">", page.after);
    return q.orderBy("waitlist_position").limit(page.limit).execute();
  }
  q = q.where("status", "=", list);
  if (list === "going") q = q.where("waitlist_position", "is", null);
  if (page.after !== undefined) q = q.where(listOrder, ">", String(page.after));
  return q.orderBy(listOrder).limit(page.limit).execute();
}

/** The order of a list: as a remote event's server published it, else as the answers came. */
export const listOrder = sql<string>`coalesce(list_rank, id)`;

/** The cursor of an attendee entry, for the next page. */
export function cursorOf(row: EventRsvp): number {
  return row.waitlist_position ?? row.list_rank ?? Number(row.id);
}

export interface CalendarWindow {
  /** events starting at or after this */
  from: Date;
  /** and before this */
  to?: Date;
  /** the previous page's last event (its start is `from`) */
  afterPostId?: string;
  limit: number;
}

/** A group's events that `viewer` may see, by start (a calendar, or what comes next). */
export async function groupCalendar(db: Db, viewer: Viewer, groupId: string, window: CalendarWindow): Promise<Post[]> {
  let q = events(db).selectFrom("event_details")
    .innerJoin("posts", "posts.id", "event_details.post_id")
    .selectAll("posts")
    .where("event_details.group_id", "=", groupId)
    .where(visibleTo(viewer));
  q = window.afterPostId
    ? q.where((eb) => eb.or([
      eb("event_details.starts_at", ">", window.from),
      eb.and([eb("event_details.starts_at", "=", window.from), eb("event_details.post_id", ">", window.afterPostId!)]),
    ]))
    : q.where("event_details.starts_at", ">=", window.from);
  if (window.to) q = q.where("event_details.starts_at", "<", window.to);
  return q.orderBy("event_details.starts_at").orderBy("event_details.post_id").limit(window.limit).execute();
}
