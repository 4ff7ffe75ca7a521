/**
 * The event module on one instance, through Plein's API: its fields (times in
 * a time zone, place, online link, capacity), RSVPs with a waiting list that
 * moves up, notifications for the organiser, attendee lists, a group's
 * calendar, the Event it publishes, and its answers to malformed and hostile
 * requests (4xx, never a 500).
 */
import { Event, Link, OrderedCollection, Place, PropertyValue } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleinContent, PleinGroup } from "../../src/api/plein/entities.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { events } from "../../src/modules/event/tables.ts";
import { type Api, ORIGIN, startApi, type User } from "../api/support.ts";

let api: Api;
let owner: User;
let members: User[];
let outsider: User;
let group: PleinGroup;
let closed: PleinGroup;

const V1 = "/api/plein/v1";

interface EventFields {
  start: string;
  end: string | null;
  time_zone: string;
  start_local: string;
  end_local: string | null;
  location: { name: string | null; address: string | null } | null;
  online_url: string | null;
  capacity: number | null;
  counts: { going: number; waitlisted: number; maybe: number; not_going: number } | null;
  spots_left: number | null;
  rsvp_open: boolean;
  rsvp_statuses: string[];
  rsvp: { status: string; waitlisted: boolean; position: number | null; pending: boolean } | null;
}

type EventContent = PleinContent & { fields: EventFields };

interface Attendee {
  uri: string;
  account: { acct: string } | null;
  status: string;
  waitlisted: boolean;
  position: number | null;
  cursor: string;
}

async function makeGroup(name: string, visibility: string): Promise<PleinGroup> {
  const res = await api.request<PleinGroup>("POST", `${V1}/groups`, { token: owner.token, json: { name, visibility, join_mode: "open" } });
  expect(res.status, res.text).toBe(200);
  for (const m of members) expect((await api.request("POST", `${V1}/groups/${res.body.id}/join`, { token: m.token })).status).toBe(200);
  return res.body;
}

async function createEvent(fields: Record<string, unknown>, by: User = owner, g: PleinGroup = group): Promise<EventContent> {
  const res = await api.request<EventContent>("POST", `${V1}/groups/${g.id}/posts`, {
    token: by.token, json: { module: "event", title: "Overleg", text: "Over de begroting", start: "2030-05-01T10:00", ...fields },
  });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function rsvp(user: User, event: EventContent, status: string): Promise<EventContent> {
  const res = await api.request<EventContent>("POST", `${V1}/posts/${event.id}/rsvp`, { token: user.token, json: { status } });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function get(user: User | null, event: EventContent): Promise<EventContent> {
  const res = await api.request<EventContent>("GET", `${V1}/posts/${event.id}`, user ? { token: user.token } : {});
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function list(event: EventContent, status: string): Promise<string[]> {
  const all = await api.request<Attendee[]>("GET", `${V1}/posts/${event.id}/attendees?status=${status}`);
  expect(all.status, all.text).toBe(200);
  return all.body.map((a) => a.account?.acct ?? a.uri);
}

async function rsvpNotifications(): Promise<number> {
  const rows = await api.running.deps.db.selectFrom("notifications").select("id")
    .where("recipient_id", "=", owner.actor.id).where("type", "=", "rsvp").execute();
  return rows.length;
}

beforeAll(async () => {
  api = await startApi();
  owner = await api.user("organiser");
  members = await Promise.all(["m1", "m2", "m3", "m4"].map((n) => api.user(n)));
  outsider = await api.user("outsider");
  group = await makeGroup("agenda", "public");
  closed = await makeGroup("besloten", "closed");
});

afterAll(async () => {
  await api?.close();
});

describe("an event's fields", () => {
  it("keeps start and end as instants planned in a time zone, with a place, an online link and a capacity", async () => {
    const e = await createEvent({
      start: "2030-05-01T10:00", end: "2030-05-01T12:30", time_zone: "europe/amsterdam",
      location: { name: "Stadhuis", address: "Coolsingel 40, Rotterdam" }, online_url: "https://meet.example/overleg", capacity: "20",
    });
    expect(e).toMatchObject({ module: "event", type: "Event", title: "Overleg" });
    expect(e.fields).toEqual({
      start: "2030-05-01T08:00:00.000Z", end: "2030-05-01T10:30:00.000Z", time_zone: "Europe/Amsterdam",
      start_local: "2030-05-01T10:00:00+02:00", end_local: "2030-05-01T12:30:00+02:00",
      location: { name: "Stadhuis", address: "Coolsingel 40, Rotterdam" }, online_url: "https://meet.example/overleg",
      capacity: 20, counts: { going: 0, waitlisted: 0, maybe: 0, not_going: 0 }, spots_left: 20,
      rsvp_open: true, rsvp_statuses: ["going", "maybe", "not_going"], rsvp: null,
    });
    // A time with its offset is that instant whatever the time zone; no time zone is UTC.
    const utc = await createEvent({ start: "2030-05-01T10:00:00+02:00", location: "Online" });
    expect(utc.fields).toMatchObject({ start: "2030-05-01T08:00:00.000Z", time_zone: "UTC", end: null, capacity: null, spots_left: null,
      location: { name: "Online", address: null } });
  });

  it("is edited field by field: what the edit leaves out stays", async () => {
    const e = await createEvent({ time_zone: "Europe/Amsterdam", end: "2030-05-01T11:00", location: "Stadhuis", capacity: 5 });
    const edit = (fields: Record<string, unknown>) => api.request<EventContent>("PATCH", `${V1}/posts/${e.id}`, { token: owner.token, json: fields });
    // Only the time zone: the instants stay, their wall-clock times follow the zone.
    const zoned = await edit({ time_zone: "America/New_York" });
    expect(zoned.status, zoned.text).toBe(200);
    expect(zoned.body.fields).toMatchObject({ start: "2030-05-01T08:00:00.000Z", start_local: "2030-05-01T04:00:00-04:00", capacity: 5 });
    expect(zoned.body.title).toBe("Overleg");
    // A wall-clock time is read in the event's time zone; cleared fields are gone.
    const moved = await edit({ start: "2030-05-02T09:00", end: "", location: null, capacity: "" });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.fields).toMatchObject({ start: "2030-05-02T13:00:00.000Z", end: null, location: null, capacity: null, time_zone: "America/New_York" });
    const renamed = await edit({ title: "Nieuw overleg", address: "Coolsingel 40" });
    expect(renamed.body).toMatchObject({ title: "Nieuw overleg", fields: { location: { name: null, address: "Coolsingel 40" } } });
    // Someone else may not edit it.
    expect((await api.request("PATCH", `${V1}/posts/${e.id}`, { token: members[0]!.token, json: { capacity: 1 } })).status).toBe(404);
  });

  it("refuses malformed fields with a 422 that says which, and stores nothing", async () => {
    const before = await api.running.deps.db.withTables<{ event_details: { post_id: string } }>()
      .selectFrom("event_details").select("post_id").execute();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ title: "" }, /title/],
      [{ title: undefined }, /title/],
      [{ start: undefined }, /start is required/],
      [{ start: "" }, /start/],
      [{ start: "tomorrow" }, /start must be a date/],
      [{ start: "2030-13-45T10:00" }, /start/],
      [{ start: ["2030-05-01T10:00"] }, /start must be a string/],
      [{ start: "10000-01-01T10:00" }, /start/],
      [{ start: "1850-01-01T10:00:00Z" }, /years/],
      [{ start: "2030-03-31T02:30", time_zone: "Europe/Amsterdam" }, /clock change/],
      [{ end: "2030-05-01T09:00" }, /end must not be before start/],
      [{ time_zone: "Mars/Olympus_Mons" }, /time_zone/],
      [{ time_zone: "+02:00" }, /time_zone/],
      [{ time_zone: "Europe/../../etc" }, /time_zone/],
      [{ capacity: 0 }, /capacity/],
      [{ capacity: -3 }, /capacity/],
      [{ capacity: "veel" }, /capacity/],
      [{ capacity: 1_000_000 }, /capacity/],
      [{ capacity: 2.5 }, /capacity/],
      [{ online_url: "javascript:alert(1)" }, /online_url/],
      [{ online_url: "not a url" }, /online_url/],
      [{ location: "x".repeat(201) }, /location/],
      [{ location: { name: "Zaal", floor: 3 } }, /location takes name and address/],
      [{ location: { name: ["Zaal"] } }, /name must be a string/],
      [{ address: "y".repeat(501) }, /address/],
    ];
    for (const [fields, pattern] of cases) {
      const res = await api.request("POST", `${V1}/groups/${group.id}/posts`, {
        token: owner.token, json: { module: "event", title: "Overleg", text: "x", start: "2030-05-01T10:00", ...fields },
      });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(res.body.error, JSON.stringify(fields)).toMatch(pattern);
    }
    const after = await api.running.deps.db.withTables<{ event_details: { post_id: string } }>()
      .selectFrom("event_details").select("post_id").execute();
    expect(after.length).toBe(before.length);
  });
});

describe("RSVPs", () => {
  it("gives places up to the capacity, then a waiting list that moves up in order", async () => {
    const [m1, m2, m3, m4] = members as [User, User, User, User];
    const e = await createEvent({ capacity: 2 });
    const notified = await rsvpNotifications();
    expect((await rsvp(m1, e, "going")).fields.rsvp).toEqual({ status: "going", waitlisted: false, position: null, pending: false });
    await rsvp(m2, e, "going");
    expect((await rsvp(m3, e, "going")).fields.rsvp).toEqual({ status: "going", waitlisted: true, position: 1, pending: false });
    const full = await rsvp(m4, e, "going");
    expect(full.fields).toMatchObject({ rsvp: { waitlisted: true, position: 2 }, counts: { going: 2, waitlisted: 2, maybe: 0, not_going: 0 }, spots_left: 0 });
    expect(await list(e, "going")).toEqual(["m1", "m2"]);
    expect(await list(e, "waitlisted")).toEqual(["m3", "m4"]);

    // m1 stops coming: the first waiting (m3) gets the place, m4 moves up.
    await rsvp(m1, e, "not_going");
    expect((await get(m3, e)).fields.rsvp).toMatchObject({ status: "going", waitlisted: false });
    expect((await get(m4, e)).fields.rsvp).toMatchObject({ waitlisted: true, position: 1 });
    // m4 leaves the waiting list for "maybe": nobody moves.
    await rsvp(m4, e, "maybe");
    expect((await get(null, e)).fields.counts).toEqual({ going: 2, waitlisted: 0, maybe: 1, not_going: 1 });
    expect(await list(e, "going")).toEqual(["m2", "m3"]);
    expect(await list(e, "maybe")).toEqual(["m4"]);
    expect(await list(e, "not_going")).toEqual(["m1"]);
    // The same answer again changes nothing and tells nobody.
    const told = await rsvpNotifications();
    expect(told - notified).toBe(6);
    await rsvp(m4, e, "maybe");
    expect(await rsvpNotifications()).toBe(told);
  });

  it("moves the waiting list up when the organiser adds places, and takes none away when places shrink", async () => {
    const [m1, m2, m3, m4] = members as [User, User, User, User];
    const e = await createEvent({ capacity: 1 });
    for (const m of [m1, m2, m3, m4]) await rsvp(m, e, "going");
    const edit = (fields: Record<string, unknown>) => api.request<EventContent>("PATCH", `${V1}/posts/${e.id}`, { token: owner.token, json: fields });
    expect((await edit({ capacity: 2 })).body.fields.counts).toMatchObject({ going: 2, waitlisted: 2 });
    expect(await list(e, "going")).toEqual(["m1", "m2"]);
    expect((await get(m4, e)).fields.rsvp).toMatchObject({ position: 2 });
    expect((await edit({ capacity: 1 })).body.fields.counts).toMatchObject({ going: 2, waitlisted: 2 });
    // A place freed while over the capacity goes to nobody.
    await rsvp(m1, e, "not_going");
    expect((await get(m3, e)).fields.rsvp).toMatchObject({ waitlisted: true, position: 1 });
    expect((await edit({ capacity: "" })).body.fields.counts).toMatchObject({ going: 3, waitlisted: 0 });
  });

  it("each change is published: the post is touched after its last update and an Update is queued", async () => {
    const e = await createEvent({});
    const jobs = async () => (await api.running.deps.db.selectFrom("queue_messages").select("payload")
      .where("queue", "=", DELIVERY_QUEUE).execute()).filter((j) => JSON.stringify(j.payload).includes(`"postId":"${e.id}"`)).length;
    const queued = await jobs();
    await rsvp(members[0]!, e, "going");
    await rsvp(members[0]!, e, "maybe");
    const after = await get(null, e);
    expect(after.edited_at).not.toBeNull();
    expect(await jobs()).toBe(queued + 2);
  });

  it("is refused to those who may not answer, for what is no event, with bad statuses, and once the event is over", async () => {
    const e = await createEvent({});
    const post = (token: string | undefined, id: string, json: unknown) => api.request("POST", `${V1}/posts/${id}/rsvp`, { ...(token ? { token } : {}), json });
    expect((await post(undefined, e.id, { status: "going" })).status).toBe(401);
    const notMember = await post(outsider.token, e.id, { status: "going" });
    expect(notMember.status).toBe(403);
    expect(notMember.body.error).toMatch(/members/);
    for (const body of [{}, { status: "yes" }, { status: ["going"] }, { status: "waitlisted" }]) {
      expect((await post(members[0]!.token, e.id, body)).status, JSON.stringify(body)).toBe(422);
    }
    const readOnly = await api.token(members[0]!, ["read"]);
    expect((await post(readOnly, e.id, { status: "going" })).status).toBe(403);
    expect((await post(members[0]!.token, "99999999", { status: "going" })).status).toBe(404);
    expect((await post(members[0]!.token, "not-an-id", { status: "going" })).status).toBe(404);
    const discussion = await api.request<PleinContent>("POST", `${V1}/groups/${group.id}/posts`, { token: owner.token, json: { module: "discussion", title: "t", text: "x" } });
    expect((await post(members[0]!.token, discussion.body.id, { status: "going" })).status).toBe(404);
    expect((await api.request("GET", `${V1}/posts/${discussion.body.id}/attendees`)).status).toBe(404);
    // A closed group's event: outsiders see nothing of it.
    const hidden = await createEvent({}, owner, closed);
    expect((await post(outsider.token, hidden.id, { status: "going" })).status).toBe(404);
    expect((await api.request("GET", `${V1}/posts/${hidden.id}/attendees`)).status).toBe(404);
    expect((await api.request("GET", `${V1}/posts/${hidden.id}/attendees`, { token: members[1]!.token })).status).toBe(200);
    // Over: the answer is refused and shown as closed.
    const past = await createEvent({ start: "2020-01-01T10:00:00Z", end: "2020-01-01T12:00:00Z" });
    expect(past.fields.rsvp_open).toBe(false);
    const late = await post(members[0]!.token, past.id, { status: "going" });
    expect(late.status).toBe(422);
    expect(late.body.error).toMatch(/over/);
    // A deleted event is gone.
    const gone = await createEvent({});
    expect((await api.request("DELETE", `${V1}/posts/${gone.id}`, { token: owner.token })).status).toBe(200);
    expect((await post(members[0]!.token, gone.id, { status: "going" })).status).toBe(404);
  });

  it("pages attendee lists with their cursor, and refuses a malformed one", async () => {
    const e = await createEvent({});
    for (const m of members) await rsvp(m, e, "going");
    const first = await api.request<Attendee[]>("GET", `${V1}/posts/${e.id}/attendees?limit=2`);
    expect(first.body.map((a) => a.account?.acct)).toEqual(["m1", "m2"]);
    const next = await api.request<Attendee[]>("GET", `${V1}/posts/${e.id}/attendees?limit=2&after=${first.body[1]!.cursor}`);
    expect(next.body.map((a) => a.account?.acct)).toEqual(["m3", "m4"]);
    expect(next.body[0]).toMatchObject({ status: "going", waitlisted: false, position: null, uri: members[2]!.actor.iri });
    for (const q of ["after=-1", "after=abc", "status=everyone", "limit=x"]) {
      expect((await api.request("GET", `${V1}/posts/${e.id}/attendees?${q}`)).status, q).toBe(422);
    }
  });
});

describe("a group's calendar", () => {
  it("lists the group's events by start, from a moment, and its posts by module", async () => {
    const g = await makeGroup("kalender", "public");
    const later = await createEvent({ title: "Later", start: "2031-03-01T10:00:00Z" }, owner, g);
    const sooner = await createEvent({ title: "Eerder", start: "2031-01-01T10:00:00Z" }, owner, g);
    const past = await createEvent({ title: "Voorbij", start: "2021-01-01T10:00:00Z" }, owner, g);
    const calendar = await api.request<EventContent[]>("GET", `${V1}/groups/${g.id}/events`);
    expect(calendar.status, calendar.text).toBe(200);
    expect(calendar.body.map((e) => e.title)).toEqual(["Eerder", "Later"]);
    const all = await api.request<EventContent[]>("GET", `${V1}/groups/${g.id}/events?from=2020-01-01&limit=2`);
    expect(all.body.map((e) => e.id)).toEqual([past.id, sooner.id]);
    const next = await api.request<EventContent[]>("GET", `${V1}/groups/${g.id}/events?from=${sooner.fields.start}&after_id=${sooner.id}`);
    expect(next.body.map((e) => e.id)).toEqual([later.id]);
    const window = await api.request<EventContent[]>("GET", `${V1}/groups/${g.id}/events?from=2030-01-01&to=2031-02-01`);
    expect(window.body.map((e) => e.id)).toEqual([sooner.id]);
    const byModule = await api.request<EventContent[]>("GET", `${V1}/groups/${g.id}/posts?module=event`);
    expect(byModule.body.map((e) => e.id).sort()).toEqual([later.id, sooner.id, past.id].sort());
    for (const q of ["from=yesterday", "to=2030-99-99", "after_id=x"]) {
      expect((await api.request("GET", `${V1}/groups/${g.id}/events?${q}`)).status, q).toBe(422);
    }
    // A closed group's calendar is its members'.
    const shut = await makeGroup("besloten2", "closed");
    const inside = await createEvent({}, owner, shut);
    expect((await api.request<EventContent[]>("GET", `${V1}/groups/${shut.id}/events`, { token: outsider.token })).body).toEqual([]);
    expect((await api.request<EventContent[]>("GET", `${V1}/groups/${shut.id}/events`)).body).toEqual([]);
    expect((await api.request<EventContent[]>("GET", `${V1}/groups/${shut.id}/events`, { token: members[0]!.token })).body.map((e) => e.id))
      .toEqual([inside.id]);
  });
});

describe("the Event it publishes", () => {
  it("carries times, place, online link, time zone, capacity and the attendee lists with their counts", async () => {
    const [m1, m2, m3] = members as [User, User, User];
    const e = await createEvent({
      start: "2030-06-01T14:00", end: "2030-06-01T16:00", time_zone: "Europe/Amsterdam",
      location: { name: "Stadhuis", address: "Coolsingel 40" }, online_url: "https://meet.example/x", capacity: 1,
    });
    await rsvp(m1, e, "going");
    await rsvp(m2, e, "going");
    await rsvp(m3, e, "maybe");
    const res = await api.running.app.request(e.uri, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
    const json = await res.json() as Record<string, unknown>;
    const event = await Event.fromJsonLd(json);
    expect(event).toBeInstanceOf(Event);
    expect(event.startTime?.toString()).toBe("2030-06-01T12:00:00Z");
    expect(event.endTime?.toString()).toBe("2030-06-01T14:00:00Z");
    const locations = await Array.fromAsync(event.getLocations());
    const place = locations.find((l) => l instanceof Place) as Place;
    expect([place.name?.toString(), place.summary?.toString()]).toEqual(["Stadhuis", "Coolsingel 40"]);
    expect((locations.find((l) => l instanceof Link) as Link).href?.href).toBe("https://meet.example/x");
    const attachments = await Array.fromAsync(event.getAttachments());
    const values = Object.fromEntries(attachments.filter((a) => a instanceof PropertyValue).map((p) => [p.name?.toString(), p.value?.toString()]));
    expect(values).toEqual({ timezone: "Europe/Amsterdam", maximumAttendeeCapacity: "1" });
    const lists = Object.fromEntries(attachments.filter((a) => a instanceof OrderedCollection)
      .map((c) => [c.name?.toString(), { total: c.totalItems, items: c.itemIds.map((u) => u.href) }]));
    expect(lists).toEqual({
      going: { total: 1, items: [m1.actor.iri] },
      waitlist: { total: 1, items: [m2.actor.iri] },
      maybe: { total: 1, items: [m3.actor.iri] },
      notGoing: { total: 0, items: [] },
    });
    // Mastodon reads `name`, `content` and `url` of an Event; the module's lists are no media for it.
    expect(json).toMatchObject({ type: "Event", name: "Overleg", url: e.uri });
    expect(new URL(e.uri).origin).toBe(ORIGIN);
  });

  it("documents its routes in Plein's OpenAPI document", async () => {
    const doc = await api.request<{ paths: Record<string, Record<string, unknown>> }>("GET", `${V1}/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/posts/{id}/rsvp", "/posts/{id}/attendees", "/groups/{id}/events"]));
    expect(Object.keys(doc.body.paths["/posts/{id}/rsvp"]!)).toEqual(["post"]);
  });

  it("stores the module's rows only (no posts.extra) and a time zone that Temporal knows", async () => {
    const e = await createEvent({ time_zone: "Asia/Kolkata", start: "2030-01-01T09:30" });
    const row = await events(api.running.deps.db).selectFrom("event_details").selectAll().where("post_id", "=", e.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ time_zone: "Asia/Kolkata", starts_at: new Date("2030-01-01T04:00:00Z"), group_id: group.id, rsvp_style: "plein" });
    const post = await api.running.deps.db.selectFrom("posts").select("extra").where("id", "=", e.id).executeTakeFirstOrThrow();
    expect(post.extra).toEqual({});
  });
});
