/**
 * RSVPs between one Plein instance and hand-written remote servers that sign
 * what they send (test/support/fake-remote.ts): the ActivityStreams shapes
 * the event module takes and sends. Mobilizon's shapes are written from its
 * federation documentation (docs.joinmobilizon.org/contribute/activity_pub:
 * `Join` and `Leave` of an Event, answered by the organiser's `Accept` of the
 * Join; the Event with `timezone`, `joinMode` and a schema.org `location`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PleinContent } from "../../src/api/plein/entities.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { events } from "../../src/modules/event/tables.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

type Json = Record<string, unknown>;

let plein: InboxInstance;
let remote: FakeRemote;
let organiser: Actor;
let local: Actor;
let tokens: Map<string, string>;
let tcit: FakeActor;
let stranger: FakeActor;
let remoteGroup: FakeActor;
let open: GroupView;
let closed: GroupView;

const V1 = "/api/plein/v1";

async function api<T>(method: string, path: string, as: Actor, json?: unknown): Promise<{ status: number; body: T }> {
  const res = await plein.running.app.request(new URL(path, plein.origin), {
    method,
    headers: { authorization: `Bearer ${tokens.get(as.id)!}`, ...(json ? { "content-type": "application/json" } : {}) },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
  return { status: res.status, body: await res.json() as T };
}

async function send(activity: Json, by: FakeActor): Promise<number> {
  const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS_CONTEXT, ...activity }, by);
  await plein.drain();
  return res.status;
}

async function newEvent(group: GroupView, fields: Json = {}): Promise<PleinContent> {
  const res = await api<PleinContent>("POST", `${V1}/groups/${group.actor.id}/posts`, organiser, {
    module: "event", title: "Inloopavond", text: "Kom langs", start: "2030-10-01T19:00", time_zone: "Europe/Amsterdam", ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function rsvpRow(postId: string, iri: string) {
  return events(plein.db).selectFrom("event_rsvps").selectAll().where("post_id", "=", postId).where("actor_iri", "=", iri).executeTakeFirst();
}

async function jobs(kind: string): Promise<Json[]> {
  const rows = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute();
  return rows.map((r) => r.payload as Json).filter((p) => p.type === "module" && (p.payload as Json).kind === kind);
}

/** Activities the remote server received (each POSTed to an inbox), by type. */
function received(type: string): Json[] {
  return remote.received.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body) as Json).filter((a) => a.type === type);
}

async function member(group: GroupView, actor: FakeActor): Promise<void> {
  const row = await plein.db.selectFrom("actors").select("id").where("iri", "=", actor.iri).executeTakeFirstOrThrow();
  await plein.db.insertInto("memberships").values({ group_id: group.actor.id, member_id: row.id, state: "member" }).execute();
}

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  organiser = await plein.user("organiser");
  local = await plein.user("lokaal");
  tokens = new Map();
  for (const a of [organiser, local]) tokens.set(a.id, await issueToken(plein.db, a, ["read", "write"]));
  tcit = await remote.actor("tcit");
  stranger = await remote.actor("stranger");
  remoteGroup = await remote.actor("club", { type: "Group" });
  open = await createGroup(plein.db, plein.origin, organiser, { name: "buurt", visibility: "public", joinMode: "open", modules: ["event"] });
  closed = await createGroup(plein.db, plein.origin, organiser, { name: "bestuur", visibility: "closed", joinMode: "open", modules: ["event"] });
  for (const group of [open, closed]) {
    expect((await api("POST", `${V1}/groups/${group.actor.id}/join`, local)).status).toBe(200);
  }
  // The remote actors become known (a first signed delivery stores them); tcit is a member of the open group.
  for (const actor of [tcit, stranger, remoteGroup]) {
    await send({ id: newId(actor), type: "Like", actor: actor.iri, object: organiser.iri }, actor);
  }
  await member(open, tcit);
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

describe("RSVPs to our events from other servers", () => {
  it("Accept, TentativeAccept and Reject of the Event from a member elsewhere are going, maybe and not going", async () => {
    const event = await newEvent(open);
    for (const [type, status] of [["Accept", "going"], ["TentativeAccept", "maybe"], ["Reject", "not_going"]] as const) {
      const id = newId(tcit);
      expect(await send({ id, type, actor: tcit.iri, object: event.uri }, tcit)).toBe(202);
      expect(await rsvpRow(event.id, tcit.iri)).toMatchObject({ status, activity_iri: id, pending: false, via_join: false });
    }
    // The embedded Event (as some servers send it) names the same event.
    await send({ id: newId(tcit), type: "Accept", actor: tcit.iri, object: { type: "Event", id: event.uri } }, tcit);
    expect((await rsvpRow(event.id, tcit.iri))?.status).toBe("going");
    // A TentativeReject says nothing we keep.
    await send({ id: newId(tcit), type: "TentativeReject", actor: tcit.iri, object: event.uri }, tcit);
    expect((await rsvpRow(event.id, tcit.iri))?.status).toBe("going");
  });

  it("is not taken from non-members, from groups, for events they cannot see, nor once the event is over", async () => {
    const event = await newEvent(open);
    await send({ id: newId(stranger), type: "Accept", actor: stranger.iri, object: event.uri }, stranger);
    await send({ id: newId(remoteGroup), type: "Accept", actor: remoteGroup.iri, object: event.uri }, remoteGroup);
    const hidden = await newEvent(closed);
    await send({ id: newId(tcit), type: "Accept", actor: tcit.iri, object: hidden.uri }, tcit);
    const past = await newEvent(open, { start: "2020-01-01T10:00:00Z" });
    await send({ id: newId(tcit), type: "Accept", actor: tcit.iri, object: past.uri }, tcit);
    // Signed by one actor, claiming another: refused before anything is read.
    expect(await send({ id: newId(tcit), type: "Accept", actor: tcit.iri, object: event.uri }, stranger)).toBeGreaterThanOrEqual(400);
    for (const [post, actor] of [[event, stranger], [event, remoteGroup], [hidden, tcit], [past, tcit], [event, tcit]] as const) {
      expect(await rsvpRow(post.id, actor.iri), `${actor.name} → ${post.title}`).toBeUndefined();
    }
    expect((await api<PleinContent>("GET", `${V1}/posts/${event.id}`, organiser)).body.fields.counts)
      .toEqual({ going: 0, waitlisted: 0, maybe: 0, not_going: 0 });
  });

  it("Mobilizon's Join is going, answered with an Accept of the Join once a place is free; Leave is not going", async () => {
    const event = await newEvent(open, { capacity: 1 });
    expect((await api("POST", `${V1}/posts/${event.id}/rsvp`, local, { status: "going" })).status).toBe(200);
    const joinId = newId(tcit, "join");
    expect(await send({ id: joinId, type: "Join", actor: tcit.iri, object: event.uri }, tcit)).toBe(202);
    expect(await rsvpRow(event.id, tcit.iri)).toMatchObject({ status: "going", waitlist_position: 1, via_join: true, activity_iri: joinId });
    expect(await jobs("accept-join")).toEqual([]);
    // The place frees up: tcit gets it, and Mobilizon is told with an Accept of the Join.
    expect((await api("POST", `${V1}/posts/${event.id}/rsvp`, local, { status: "not_going" })).status).toBe(200);
    expect(await rsvpRow(event.id, tcit.iri)).toMatchObject({ status: "going", waitlist_position: null });
    expect(await jobs("accept-join")).toHaveLength(1);
    await plein.deliverQueued();
    const accept = received("Accept").find((a) => (a.object as Json | undefined)?.id === joinId);
    expect(accept).toMatchObject({ actor: organiser.iri, object: { type: "Join", id: joinId, actor: tcit.iri, object: event.uri } });
    // Mobilizon's Leave of the Event.
    await send({ id: newId(tcit), type: "Leave", actor: tcit.iri, object: event.uri }, tcit);
    expect((await rsvpRow(event.id, tcit.iri))?.status).toBe("not_going");
    // Join of a group still joins the group (the module takes only events).
    expect((await plein.db.selectFrom("memberships").select("state").where("group_id", "=", closed.actor.id)
      .where("member_id", "=", (await plein.db.selectFrom("actors").select("id").where("iri", "=", stranger.iri).executeTakeFirstOrThrow()).id)
      .executeTakeFirst())).toBeUndefined();
    await send({ id: newId(stranger), type: "Join", actor: stranger.iri, object: closed.actor.iri }, stranger);
    expect(await plein.db.selectFrom("memberships").select("state").where("group_id", "=", closed.actor.id)
      .where("member_id", "in", plein.db.selectFrom("actors").select("id").where("iri", "=", stranger.iri)).executeTakeFirst())
      .toMatchObject({ state: "member" });
  });
});

describe("our people and events of other servers", () => {
  const mobilizonEvent = (id: string): Json => {
    const context = readFileSync(join(import.meta.dirname, "fixtures", "mobilizon-context.json"), "utf8")
      .replace(JSON.stringify("https://litepub.social/context.jsonld"), JSON.stringify("https://w3id.org/security/v1"));
    const create = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "mobilizon-create-event.json"), "utf8")
      .replaceAll('"{{mobilizonContext}}"', context)
      .replaceAll("https://remote.example/@tcit/followers", tcit.followers)
      .replaceAll("https://remote.example/@tcit", tcit.iri)
      .replaceAll("https://remote.example", remote.origin)) as Json;
    const object = create.object as Json;
    object.id = id;
    return { ...create, id: `${id}/activity`, object };
  };

  it("answer a Mobilizon event with Join and Leave; its Accept of the Join confirms, another server's does not", async () => {
    const eventId = remote.url("/events/inloop-1");
    const create = mobilizonEvent(eventId);
    const res = await deliver(plein.running.app, plein.origin, "/inbox", create, tcit);
    expect(res.status).toBe(202);
    await plein.drain();
    const post = (await plein.db.selectFrom("posts").select("id").where("iri", "=", eventId).executeTakeFirst())!;
    const fields = (await api<PleinContent>("GET", `${V1}/posts/${post.id}`, local)).body.fields;
    expect(fields).toMatchObject({ time_zone: "Europe/Paris", start_local: "2030-06-18T15:00:00+02:00", rsvp_statuses: ["going", "not_going"], counts: null });
    const maybe = await api<{ error: string }>("POST", `${V1}/posts/${post.id}/rsvp`, local, { status: "maybe" });
    expect(maybe.status).toBe(422);
    expect(maybe.body.error).toMatch(/going or not going/);

    const going = await api<PleinContent>("POST", `${V1}/posts/${post.id}/rsvp`, local, { status: "going" });
    expect(going.body.fields.rsvp).toEqual({ status: "going", waitlisted: false, position: null, pending: true });
    await plein.deliverQueued();
    const join = received("Join").find((a) => a.object === eventId)!;
    expect(join).toMatchObject({ actor: local.iri, object: eventId });
    // Another server cannot answer for Mobilizon's event.
    const other = await startFakeRemote();
    try {
      const impostor = await other.actor("impostor");
      await send({ id: newId(impostor), type: "Accept", actor: impostor.iri, object: join.id }, impostor);
      expect((await rsvpRow(post.id, local.iri))?.pending).toBe(true);
    } finally {
      await other.close();
    }
    await send({ id: newId(tcit), type: "Accept", actor: tcit.iri, object: { type: "Join", id: join.id, actor: local.iri, object: eventId } }, tcit);
    expect(await rsvpRow(post.id, local.iri)).toMatchObject({ status: "going", pending: false });

    await api("POST", `${V1}/posts/${post.id}/rsvp`, local, { status: "not_going" });
    await plein.deliverQueued();
    expect(received("Leave").find((a) => a.object === eventId)).toMatchObject({ actor: local.iri });
  });

  it("a Mobilizon event fetched from its id (not embedded) is read the same", async () => {
    const eventId = remote.url("/events/fetched-1");
    const { "@context": context, object } = mobilizonEvent(eventId) as { "@context": unknown; object: Json };
    remote.serve(new URL(eventId).pathname, { body: { "@context": context, ...object } });
    const found = await api<{ statuses: Array<{ id: string; uri: string }> }>("GET", `/api/v2/search?q=${encodeURIComponent(eventId)}&resolve=true&type=statuses`, local);
    expect(found.body.statuses.map((st) => st.uri)).toEqual([eventId]);
    const fields = (await api<PleinContent>("GET", `${V1}/posts/${found.body.statuses[0]!.id}`, local)).body.fields;
    expect(fields).toMatchObject({
      time_zone: "Europe/Paris", location: { name: "Cour du Château des Ducs de Bretagne", address: "4 Place Marc Elder, 44000, Nantes, Pays de la Loire, France" },
      rsvp_statuses: ["going", "not_going"],
    });
  });

  it("a Plein-style Event's published lists and counts are taken, never its word about our people who did not answer", async () => {
    const eventId = remote.url("/events/lists-1");
    const someone = remote.url("/users/someone");
    const waiting = remote.url("/users/waiting");
    const event = {
      id: eventId, type: "Event", attributedTo: tcit.iri, to: [PUBLIC], cc: [tcit.followers], name: "Groot evenement", content: "<p>x</p>",
      startTime: "2031-02-01T09:00:00Z", endTime: "2031-01-01T09:00:00Z",
      attachment: [
        { type: "PropertyValue", name: "timezone", value: "Mars/Olympus" },
        { type: "PropertyValue", name: "maximumAttendeeCapacity", value: "-5" },
        { type: "OrderedCollection", name: "going", totalItems: 120, orderedItems: [someone, local.iri, "javascript:alert(1)"] },
        { type: "OrderedCollection", name: "waitlist", totalItems: 1, orderedItems: [waiting] },
        { type: "OrderedCollection", name: "maybe", totalItems: "lots", orderedItems: [] },
      ],
      location: [{ type: "Place", name: "<b>Zaal</b> 1", summary: "Straat 1" }, { type: "Link", href: "javascript:alert(1)" }],
    };
    expect(await send({ id: `${eventId}#create`, type: "Create", actor: tcit.iri, object: event }, tcit)).toBe(202);
    const post = (await plein.db.selectFrom("posts").select("id").where("iri", "=", eventId).executeTakeFirst())!;
    const fields = (await api<PleinContent>("GET", `${V1}/posts/${post.id}`, local)).body.fields;
    // Hostile values are left out: an unknown time zone, a negative capacity, an end before the start, a javascript: link.
    expect(fields).toMatchObject({
      time_zone: "UTC", capacity: null, end: null, online_url: null, location: { name: "Zaal 1", address: "Straat 1" },
      counts: { going: 120, waitlisted: 1, maybe: 0, not_going: 0 }, rsvp: null, rsvp_statuses: ["going", "maybe", "not_going"],
    });
    const rows = await events(plein.db).selectFrom("event_rsvps").select(["actor_iri", "status", "waitlist_position"])
      .where("post_id", "=", post.id).orderBy("id").execute();
    expect(rows).toEqual([
      { actor_iri: someone, status: "going", waitlist_position: null },
      { actor_iri: waiting, status: "going", waitlist_position: 1 },
    ]);
    // An Event without a start is stored as a post, without event fields.
    const noStart = remote.url("/events/no-start");
    await send({ id: `${noStart}#create`, type: "Create", actor: tcit.iri, object: { ...event, id: noStart, startTime: undefined } }, tcit);
    const bare = (await plein.db.selectFrom("posts").select(["id", "module"]).where("iri", "=", noStart).executeTakeFirst())!;
    expect(bare.module).toBe("event");
    expect((await api<PleinContent>("GET", `${V1}/posts/${bare.id}`, local)).body.fields).toEqual({});
  });
});
