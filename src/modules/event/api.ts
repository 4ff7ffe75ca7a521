/**
 * The event module in Plein's API: its fields on content (`present`), and its
 * routes: RSVP, attendees, a group's calendar. Documented in `eventOpenApi`.
 */
import type { Hono } from "hono";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "../../api/mastodon/auth.ts";
import { renderAccountList } from "../../api/mastodon/entities/account.ts";
import { limitParam, oneOf, optionalString, type Params, pathId, queryParams, readParams } from "../../api/mastodon/params.ts";
import { renderContent } from "../../api/plein/entities.ts";
import { visibleGroup } from "../../api/plein/groups.ts";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { getVisiblePost } from "../../domain/posts/read.ts";
import { findActorsByIds } from "../../domain/remote-actors.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { detailsOfMany, isOver } from "./details.ts";
import { ATTENDEE_LISTS, attendees, cursorOf, groupCalendar } from "./lists.ts";
import { answerable, answerEvent } from "./rsvp.ts";
import { type EventDetails, type EventRsvp, events, RSVP_STATUSES } from "./tables.ts";
import { localTime } from "./times.ts";

function rsvpJson(row: EventRsvp | undefined) {
  if (!row) return null;
  return { status: row.status, waitlisted: row.waitlist_position !== null, position: row.waitlist_position, pending: row.pending };
}

function counts(d: EventDetails) {
  if (d.going_count === null) return null;
  return { going: d.going_count, waitlisted: d.waitlist_count ?? 0, maybe: d.maybe_count ?? 0, not_going: d.not_going_count ?? 0 };
}

/** An event's fields as `viewer` sees them: when, where, places, counts, and the viewer's own answer. */
export async function presentEvents(db: Db, posts: readonly Post[], viewer: Viewer): Promise<Map<string, Record<string, unknown>>> {
  const ids = posts.map((p) => p.id);
  const details = await detailsOfMany(db, ids);
  const mine = new Map<string, EventRsvp>();
  if (viewer.kind === "local" && ids.length > 0) {
    const rows = await events(db).selectFrom("event_rsvps").selectAll()
      .where("actor_id", "=", viewer.actorId).where("post_id", "in", ids).execute();
    for (const r of rows) mine.set(r.post_id, r);
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const [id, d] of details) {
    const c = counts(d);
    out.set(id, {
      start: d.starts_at.toISOString(),
      end: d.ends_at?.toISOString() ?? null,
      time_zone: d.time_zone,
      start_local: localTime(d.starts_at, d.time_zone),
      end_local: d.ends_at ? localTime(d.ends_at, d.time_zone) : null,
      location: d.location_name || d.location_address ? { name: d.location_name, address: d.location_address } : null,
      online_url: d.online_url,
      capacity: d.capacity,
      counts: c,
      spots_left: d.capacity === null || c === null ? null : Math.max(0, d.capacity - c.going),
      rsvp_open: !isOver(d),
      rsvp_statuses: d.rsvp_style === "join" ? ["going", "not_going"] : [...RSVP_STATUSES],
      rsvp: rsvpJson(mine.get(id)),
    });
  }
  return out;
}

async function eventPost(c: ApiContext, viewer: Viewer): Promise<Post> {
  const post = await getVisiblePost(c.get("deps").db, viewer, pathId(c));
  if (post.module !== "event") throw notFound();
  return post;
}

function afterParam(params: Params): number | undefined {
  const v = optionalString(params, "after");
  if (v === undefined || v === "") return undefined;
  if (!/^\d{1,18}$/.test(v)) throw invalid("after must be the cursor of an entry");
  return Number(v);
}

function instantParam(params: Params, name: string): Date | undefined {
  const v = optionalString(params, name);
  if (v === undefined || v === "") return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/i.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (Number.isNaN(ms)) throw invalid(`${name} must be a date (2030-05-01) or a date and time with its offset`);
  return new Date(ms);
}

export function eventRoutes(r: Hono<ApiEnv>): void {
  r.post("/posts/:id/rsvp", requireAuth("write:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const me = currentAccount(c);
    const post = await eventPost(c, viewer);
    answerable(post);
    const status = oneOf(await readParams(c), "status", RSVP_STATUSES);
    if (!status) throw invalid(`status is required: one of ${RSVP_STATUSES.join(", ")}`);
    await answerEvent(deps.db, post, me, status);
    const [json] = await renderContent(deps, [await getVisiblePost(deps.db, viewer, post.id)], viewer);
    return c.json(json);
  });

  r.get("/posts/:id/attendees", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const post = await eventPost(c, viewer);
    const params = queryParams(c);
    const list = oneOf(params, "status", ATTENDEE_LISTS) ?? "going";
    const after = afterParam(params);
    const rows = await attendees(deps.db, post.id, list, { limit: limitParam(params, 40, 80), ...(after !== undefined ? { after } : {}) });
    const actors = await findActorsByIds(deps.db, rows.flatMap((r) => r.actor_id ?? []));
    const accounts = await renderAccountList(deps, actors, viewer);
    const byId = new Map(actors.map((a, i) => [a.id, accounts[i]!]));
    return c.json(rows.map((r) => ({
      uri: r.actor_iri,
      account: r.actor_id ? byId.get(r.actor_id) ?? null : null,
      status: r.status,
      waitlisted: r.waitlist_position !== null,
      position: r.waitlist_position,
      cursor: String(cursorOf(r)),
    })));
  });

  r.get("/groups/:id/events", optionalAuth("read:groups", "read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const group = await visibleGroup(deps, viewer, pathId(c));
    const params = queryParams(c);
    const from = instantParam(params, "from") ?? new Date();
    const to = instantParam(params, "to");
    const after = optionalString(params, "after_id");
    if (after !== undefined && after !== "" && !/^\d{1,19}$/.test(after)) throw invalid("after_id must be an id");
    const posts = await groupCalendar(deps.db, viewer, group.actor.id, {
      from, ...(to ? { to } : {}), ...(after ? { afterPostId: after } : {}), limit: limitParam(params),
    });
    return c.json(await renderContent(deps, posts, viewer));
  });
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  401: { description: "The access token is missing or invalid" },
  403: { description: "Not allowed (not a member of the event's group)" },
  404: { description: "No such event, or not visible to the caller" },
  422: { description: "Invalid parameters (or the event is over)" },
};
const postId = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "The event (a post of module event)" };

/** Path items of the event module (merged into /api/plein/v1/openapi.json). */
export const eventOpenApi = {
  "/posts/{id}/rsvp": {
    post: {
      summary: "Say whether you come to an event. Its fields (`fields` of the Content) then show your answer "
        + "(`rsvp`: status, waitlisted, position, pending until the event's own server confirms it) and the counts. "
        + "A full event puts `going` on its waiting list, which moves up when someone leaves. "
        + "Event fields on create and edit (POST /groups/{id}/posts with module=event, PATCH /posts/{id}): title, text, "
        + "start, end (2030-05-01T10:00 in time_zone, or with an offset), time_zone (IANA), location (name, or {name, address}), "
        + "address, online_url, capacity (empty: no limit)",
      security: [{ bearer: ["write:statuses"] }],
      parameters: [postId],
      requestBody: {
        required: true,
        content: { "application/json": { schema: { type: "object", properties: { status: { enum: RSVP_STATUSES } }, required: ["status"] } } },
      },
      responses: { 200: { description: "The event", content: { "application/json": { schema: ref("Content") } } }, ...errors },
    },
  },
  "/posts/{id}/attendees": {
    get: {
      summary: "Who comes (or waits, may come, does not come), as the event's own server has it",
      security: [{}, { bearer: ["read:statuses"] }],
      parameters: [
        postId,
        { name: "status", in: "query", schema: { enum: ATTENDEE_LISTS, default: "going" } },
        { name: "after", in: "query", schema: { type: "string" }, description: "the `cursor` of the previous page's last entry" },
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 80, default: 40 } },
      ],
      responses: {
        200: {
          description: "Attendees in order (the waiting list by position)",
          content: {
            "application/json": {
              schema: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    uri: { type: "string" }, account: { oneOf: [ref("Account"), { type: "null" }] },
                    status: { enum: RSVP_STATUSES }, waitlisted: { type: "boolean" }, position: { type: ["integer", "null"] },
                    cursor: { type: "string" },
                  },
                },
              },
            },
          },
        },
        ...errors,
      },
    },
  },
  "/groups/{id}/events": {
    get: {
      summary: "A group's calendar: its events by start time, from `from` (default: now)",
      security: [{}, { bearer: ["read:statuses"] }],
      parameters: [
        { name: "id", in: "path", required: true, schema: { type: "string" }, description: "The group's account id" },
        { name: "from", in: "query", schema: { type: "string", format: "date-time" } },
        { name: "to", in: "query", schema: { type: "string", format: "date-time" } },
        { name: "after_id", in: "query", schema: { type: "string" }, description: "the previous page's last event (with its start as `from`)" },
        { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 40, default: 20 } },
      ],
      responses: { 200: { description: "Events", content: { "application/json": { schema: { type: "array", items: ref("Content") } } } }, ...errors },
    },
  },
};
