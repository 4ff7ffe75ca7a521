/**
 * The event module's tables (its migration: migrations.ts). The core's
 * schema (src/db/schema.ts) does not know them: the module reads and writes
 * through a typed view of the database, `events(db)`.
 */
import type { ColumnType, Generated, Selectable } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Timestamp } from "../../db/schema.ts";

type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type RsvpStatus = "going" | "maybe" | "not_going";
export const RSVP_STATUSES: readonly RsvpStatus[] = ["going", "maybe", "not_going"];

/**
 * How people say whether they come to an event of its server: "plein"
 * (Accept / TentativeAccept / Reject of the Event) or "join" (Mobilizon's
 * Join / Leave of the Event, which has no "maybe").
 */
export type RsvpStyle = "plein" | "join";

/** One event: the post it is, when, where, how many may come, and the counts. */
export type EventDetailsTable = {
  post_id: string;
  /** the post's group (copied: calendars list a group's events by start) */
  group_id: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  /** IANA time zone the event is planned in (checked with Temporal) */
  time_zone: string;
  location_name: string | null;
  location_address: string | null;
  online_url: string | null;
  /** places for "going"; null: no limit */
  capacity: number | null;
  rsvp_style: Generated<RsvpStyle>;
  /**
   * Counts as the event's own server has them: kept here for local events
   * (recounted in each change's transaction), told by the origin for others.
   * null for a remote event whose server tells none.
   */
  going_count: number | null;
  waitlist_count: number | null;
  maybe_count: number | null;
  not_going_count: number | null;
};

/**
 * Who said what: for a local event, every RSVP (the organiser's server
 * decides); for a remote event, the list its server published and our own
 * people's answers on their way there (`pending`).
 */
export type EventRsvpsTable = {
  id: Generated<string>;
  post_id: string;
  actor_iri: string;
  /** the actor's row, when this server knows the actor */
  actor_id: string | null;
  status: RsvpStatus;
  /** place on the waiting list (1 first), for "going" beyond the capacity; null: not waiting */
  waitlist_position: number | null;
  /**
   * Place in its list as a remote event's server published it (lists are
   * shown in that order everywhere); null for a local event's RSVPs, listed
   * in the order they came.
   */
  list_rank: number | null;
  /** our own person's answer, sent to the event's server and not yet confirmed by it */
  pending: Generated<boolean>;
  /** the RSVP activity: received (local event) or sent (remote event) */
  activity_iri: string | null;
  /** the RSVP came as Mobilizon's Join, which expects an Accept once a place is given */
  via_join: Generated<boolean>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
};

export type EventTables = {
  event_details: EventDetailsTable;
  event_rsvps: EventRsvpsTable;
};

export type EventDetails = Selectable<EventDetailsTable>;
export type EventRsvp = Selectable<EventRsvpsTable>;

/** The database as the event module sees it: the core's tables and its own. */
/* Kysely wants type aliases here: interfaces have no index signature. */
export function events(db: Db) {
  return db.withTables<EventTables>();
}
