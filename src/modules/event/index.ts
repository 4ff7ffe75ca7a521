/**
 * Events: `Event` objects in a group, with start, end and time zone, a place
 * or an online link, a capacity, and RSVPs with a waiting list. Its parts:
 * tables.ts and migrations.ts (storage), times.ts (Temporal), input.ts (API
 * fields), details.ts and rsvp.ts (the rules), activitypub.ts (the wire),
 * lists.ts and api.ts (API lists and routes).
 */
import type { ContentModule } from "../module.ts";
import { eventActivityPub } from "./activitypub.ts";
import { eventOpenApi, eventRoutes, presentEvents } from "./api.ts";
import type { EventData } from "./data.ts";
import { saveInput, saveRemote } from "./details.ts";
import { parseEvent } from "./input.ts";
import { eventMigrations } from "./migrations.ts";
import { afterEdit, mirrorRsvps } from "./rsvp.ts";

export const eventModule: ContentModule<EventData> = {
  name: "event",
  label: { en: "Events", nl: "Agenda" },
  objectType: "Event",
  defaultOn: true,
  migrations: eventMigrations,
  parse: parseEvent,
  async save(trx, post, data, editor) {
    if (data.kind === "input") {
      const { before, after } = await saveInput(trx, post, data);
      if (post.actor_id === editor.id) await afterEdit(trx, post, editor, before, after);
      return;
    }
    await saveRemote(trx, post, data);
    if (data.rsvps) await mirrorRsvps(trx, post, data.rsvps);
  },
  present: presentEvents,
  routes: eventRoutes,
  openapi: eventOpenApi,
  activityPub: eventActivityPub,
};
