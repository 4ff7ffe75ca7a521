/** What the event module's hooks hand each other: a request's fields, or a remote Event's. */
import type { RsvpStatus, RsvpStyle } from "./tables.ts";
import type { TimeInput } from "./times.ts";

export interface EventPlace {
  name: string | null;
  address: string | null;
}

/** RSVP counts as an event's own server has them. */
export interface RsvpCounts {
  going: number;
  waitlisted: number;
  maybe: number;
  notGoing: number;
}

/** What a create or edit request sets: only what it names (an edit keeps the rest). */
export interface EventInput {
  kind: "input";
  start?: TimeInput;
  /** null: no end */
  end?: TimeInput | null;
  timeZone?: string;
  /** null: no place; a field left out stays as it was */
  location?: { name?: string | null; address?: string | null } | null;
  onlineUrl?: string | null;
  /** null: no limit */
  capacity?: number | null;
}

/** One entry of the attendee lists a remote event's server publishes. */
export interface PublishedRsvp {
  actorIri: string;
  status: RsvpStatus;
  /** 1 first; null: not waiting */
  waitlistPosition: number | null;
  /** place in its list, 1 first */
  rank: number;
}

/** What a remote Event object says. */
export interface RemoteEvent {
  kind: "remote";
  startsAt: Date;
  endsAt: Date | null;
  timeZone: string;
  location: EventPlace | null;
  onlineUrl: string | null;
  capacity: number | null;
  rsvpStyle: RsvpStyle;
  /** null: its server tells none */
  counts: RsvpCounts | null;
  /** the attendee lists its server published; undefined: it published none (what we hold stays) */
  rsvps?: PublishedRsvp[];
}

export type EventData = EventInput | RemoteEvent;
