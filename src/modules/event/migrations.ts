import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** Events and their RSVPs (tables.ts describes them). */
const eventTables: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("event_details")
      .addColumn("post_id", "bigint", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
      .addColumn("group_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
      .addColumn("starts_at", "timestamptz", (c) => c.notNull())
      .addColumn("ends_at", "timestamptz")
      .addColumn("time_zone", "text", (c) => c.notNull())
      .addColumn("location_name", "text")
      .addColumn("location_address", "text")
      .addColumn("online_url", "text")
      .addColumn("capacity", "integer", (c) => c.check(sql`capacity > 0`))
      .addColumn("rsvp_style", "text", (c) => c.notNull().defaultTo("plein").check(sql`rsvp_style in ('plein', 'join')`))
      .addColumn("going_count", "integer")
      .addColumn("waitlist_count", "integer")
      .addColumn("maybe_count", "integer")
      .addColumn("not_going_count", "integer")
      .addCheckConstraint("event_details_ends_after_start", sql`ends_at is null or ends_at >= starts_at`)
      .execute();
    // A group's calendar: its events by start.
    await db.schema.createIndex("event_details_group_start").on("event_details")
      .columns(["group_id", "starts_at", "post_id"]).where(sql.ref("group_id"), "is not", null).execute();

    await db.schema
      .createTable("event_rsvps")
      .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
      .addColumn("post_id", "bigint", (c) => c.notNull().references("posts.id").onDelete("cascade"))
      .addColumn("actor_iri", "text", (c) => c.notNull())
      .addColumn("actor_id", "bigint", (c) => c.references("actors.id").onDelete("cascade"))
      .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('going', 'maybe', 'not_going')`))
      .addColumn("waitlist_position", "integer")
      .addColumn("list_rank", "integer")
      .addColumn("pending", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("activity_iri", "text")
      .addColumn("via_join", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint("event_rsvps_pair", ["post_id", "actor_iri"])
      .addCheckConstraint("event_rsvps_waitlist_going", sql`waitlist_position is null or status = 'going'`)
      .execute();
    // Attendee lists read an event's rows through event_rsvps_pair; "my RSVP" of many events at once:
    await db.schema.createIndex("event_rsvps_actor").on("event_rsvps").columns(["actor_id", "post_id"])
      .where(sql.ref("actor_id"), "is not", null).execute();
    // Answers (Mobilizon's Accept of a Join) find the RSVP by its activity.
    await db.schema.createIndex("event_rsvps_activity").on("event_rsvps").column("activity_iri")
      .where(sql.ref("activity_iri"), "is not", null).execute();
  },
};

export const eventMigrations = { module_event_0001: eventTables };
