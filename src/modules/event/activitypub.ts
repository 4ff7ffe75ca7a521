/**
 * Events in ActivityStreams (docs/FEDERATION.md, "Events").
 *
 * Sent: an `Event` with `startTime`, `endTime`, `location` (a `Place` with
 * the address as its `summary`, and/or a `Link` to the online meeting) and,
 * as attachments, `PropertyValue`s `timezone` and `maximumAttendeeCapacity`
 * (Mobilizon's names) and four named `OrderedCollection`s of actors —
 * `going`, `waitlist` (in order), `maybe`, `notGoing` — whose `totalItems`
 * are the counts. Only what Fedify's vocabulary carries goes out.
 *
 * RSVPs: `Accept` (going), `TentativeAccept` (maybe), `Reject` (not going)
 * of the Event, sent to its organiser; Mobilizon's `Join` and `Leave` of the
 * Event are taken as going and not going, and answered with an `Accept` of
 * the Join once a place is given. Our people answer a Mobilizon event with
 * Join and Leave.
 */
import {
  Accept,
  type Activity,
  Event,
  Join,
  Leave,
  Link,
  type Object as APObject,
  OrderedCollection,
  Place,
  PropertyValue,
  Reject,
  TentativeAccept,
  TentativeReject,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../../db/database.ts";
import type { Post } from "../../db/schema.ts";
import { DomainError } from "../../domain/errors.ts";
import { getPost, getPostByIri } from "../../domain/posts/read.ts";
import { findActorById } from "../../domain/remote-actors.ts";
import { httpUrl, remoteText } from "../../../federation/translate/inbound.ts";
import { type ModuleActivityPub, type ModuleDelivery, type ModuleDeliveryContext, type ModuleInboxContext, recipientOf } from "../module.ts";
import type { EventData, EventPlace, PublishedRsvp, RemoteEvent, RsvpCounts } from "./data.ts";
import { detailsOf } from "./details.ts";
import { listOrder } from "./lists.ts";
import { ACTIVITYSTREAMS, firstString, isNode, type JsonNode, MOBILIZON, rawObject, schemaOrg, valuesOf } from "./jsonld.ts";
import { answerable, answerReceived, MAX_PUBLISHED_RSVPS, mayRespond, respond, sentRsvpByActivity } from "./rsvp.ts";
import { events, RSVP_STATUSES, type RsvpStatus } from "./tables.ts";
import { DEFAULT_TIME_ZONE, ianaTimeZone, remoteInstant, toInstant } from "./times.ts";

const logger = getLogger(["plein", "modules", "event"]);

/** Names of the attendee lists an Event carries, by what they hold. */
const LISTS = { going: "going", waitlist: "waitlist", maybe: "maybe", notGoing: "notGoing" } as const;
/** Actors listed per list at most (the counts are always whole). */
const MAX_LISTED = 500;
const MAX_CAPACITY = 1_000_000;
const MAX_PLACE_NAME = 200;
const MAX_ADDRESS = 500;

/* ---------------- sending ---------------- */

async function listsOf(db: Db, postId: string) {
  const rows = await events(db).selectFrom("event_rsvps").select(["actor_iri", "status", "waitlist_position"])
    .where("post_id", "=", postId).where("pending", "=", false)
    .orderBy("status").orderBy("waitlist_position").orderBy(listOrder)
    .execute();
  const lists: Record<keyof typeof LISTS, URL[]> = { going: [], waitlist: [], maybe: [], notGoing: [] };
  for (const r of rows) {
    const list = r.status === "going" ? (r.waitlist_position === null ? lists.going : lists.waitlist)
      : r.status === "maybe" ? lists.maybe : lists.notGoing;
    if (URL.canParse(r.actor_iri)) list.push(new URL(r.actor_iri));
  }
  return lists;
}

function collection(name: string, items: URL[]): OrderedCollection {
  return new OrderedCollection({ name, totalItems: items.length, items: items.slice(0, MAX_LISTED) });
}

/** The event's fields on its ActivityStreams object (the post supplies name, content, audience...). */
async function render(db: Db, post: Post): Promise<Record<string, unknown>> {
  const details = await detailsOf(db, post.id);
  if (!details) return {};
  const locations: (APObject | Link)[] = [];
  if (details.location_name || details.location_address) {
    locations.push(new Place({ name: details.location_name ?? details.location_address, summary: details.location_address }));
  }
  if (details.online_url) locations.push(new Link({ href: new URL(details.online_url), name: "online" }));
  const lists = await listsOf(db, post.id);
  return {
    startTime: toInstant(details.starts_at),
    endTime: details.ends_at ? toInstant(details.ends_at) : null,
    locations,
    attachments: [
      new PropertyValue({ name: "timezone", value: details.time_zone }),
      ...(details.capacity !== null ? [new PropertyValue({ name: "maximumAttendeeCapacity", value: String(details.capacity) })] : []),
      collection(LISTS.going, lists.going),
      collection(LISTS.waitlist, lists.waitlist),
      collection(LISTS.maybe, lists.maybe),
      collection(LISTS.notGoing, lists.notGoing),
    ],
  };
}

/* ---------------- reading ---------------- */

function capacityOf(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d{1,9}$/.test(value.trim()) ? Number(value) : NaN;
  // Mobilizon says 0 for "no limit".
  return Number.isInteger(n) && n > 0 && n <= MAX_CAPACITY ? n : null;
}

/** A schema.org address: text, or a PostalAddress's parts in reading order. */
function addressOf(raw: { terms: Map<string, string> }, value: unknown): string | null {
  if (typeof value === "string") return remoteText(value, MAX_ADDRESS) || null;
  if (!isNode(value)) return null;
  const parts = ["streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry"]
    .map((term) => firstString(value, raw.terms, schemaOrg(term)))
    .filter((p): p is string => p !== null && p.trim() !== "");
  return remoteText(parts.join(", "), MAX_ADDRESS) || null;
}

/** A place as the raw JSON-LD has it: its name, and a schema.org address if any. */
function rawPlace(raw: { terms: Map<string, string> }, node: JsonNode): EventPlace | null {
  const name = remoteText(firstString(node, raw.terms, [`${ACTIVITYSTREAMS}name`]), MAX_PLACE_NAME) || null;
  const address = valuesOf(node, raw.terms, schemaOrg("address")).map((a) => addressOf(raw, a)).find((a) => a !== null) ?? null;
  return name || address ? { name, address } : null;
}

interface Found {
  timeZone: string | null;
  capacity: number | null;
  place: EventPlace | null;
  onlineUrl: string | null;
  lists: Map<string, { total: number; items: URL[] }>;
}

/** What Fedify's classes carry: Plein's attachments, an ActivityStreams location. */
async function readVocabulary(event: Event): Promise<Found> {
  const found: Found = { timeZone: null, capacity: null, place: null, onlineUrl: null, lists: new Map() };
  let inspected = 0;
  for await (const a of event.getAttachments({ documentLoader: noFetch, suppressError: true })) {
    if (++inspected > 50) break;
    const name = a.name?.toString() ?? "";
    if (a instanceof PropertyValue) {
      const value = a.value?.toString() ?? "";
      if (name === "timezone") found.timeZone ??= ianaTimeZone(value);
      if (name === "maximumAttendeeCapacity") found.capacity ??= capacityOf(value);
    } else if (a instanceof OrderedCollection && (Object.values(LISTS) as string[]).includes(name) && !found.lists.has(name)) {
      const total = a.totalItems;
      found.lists.set(name, {
        total: typeof total === "number" && Number.isSafeInteger(total) && total >= 0 ? total : a.itemIds.length,
        items: a.itemIds.slice(0, MAX_PUBLISHED_RSVPS).filter((u) => u.protocol === "https:" || u.protocol === "http:"),
      });
    }
  }
  inspected = 0;
  for await (const location of event.getLocations({ documentLoader: noFetch, suppressError: true })) {
    if (++inspected > 5) break;
    if (location instanceof Link) found.onlineUrl ??= httpUrl(location);
    else if (location instanceof Place && !found.place) {
      const name = remoteText(location.name?.toString(), MAX_PLACE_NAME) || null;
      const address = remoteText(location.summary?.toString(), MAX_ADDRESS) || null;
      if (name || address) found.place = { name, address: address === name ? null : address };
    }
  }
  return found;
}

const noFetch = (url: string) => Promise.reject(new Error(`not fetching ${url} here`));

function publishedRsvps(lists: Found["lists"]): { counts: RsvpCounts; rsvps: PublishedRsvp[] } | null {
  if (lists.size === 0) return null;
  const list = (name: string) => lists.get(name) ?? { total: 0, items: [] };
  const rsvps: PublishedRsvp[] = [];
  const seen = new Set<string>();
  const add = (items: URL[], status: RsvpStatus, waiting: boolean) => {
    for (const [i, iri] of items.entries()) {
      if (seen.has(iri.href) || rsvps.length >= MAX_PUBLISHED_RSVPS) continue;
      seen.add(iri.href);
      rsvps.push({ actorIri: iri.href, status, waitlistPosition: waiting ? i + 1 : null, rank: i + 1 });
    }
  };
  add(list(LISTS.going).items, "going", false);
  add(list(LISTS.waitlist).items, "going", true);
  add(list(LISTS.maybe).items, "maybe", false);
  add(list(LISTS.notGoing).items, "not_going", false);
  const counts = {
    going: list(LISTS.going).total, waitlisted: list(LISTS.waitlist).total,
    maybe: list(LISTS.maybe).total, notGoing: list(LISTS.notGoing).total,
  };
  return { counts, rsvps };
}

/** A remote Event (Plein's, Mobilizon's, any server's) as the module stores it; null without a start. */
async function read(object: APObject): Promise<EventData | null> {
  if (!(object instanceof Event)) return null;
  const startsAt = remoteInstant(object.startTime);
  if (!startsAt) return null;
  let endsAt = remoteInstant(object.endTime);
  if (endsAt && endsAt.getTime() < startsAt.getTime()) endsAt = null;
  const found = await readVocabulary(object);
  // Mobilizon's terms, which Fedify's classes do not carry.
  const raw = await rawObject(object);
  let joinMode = false;
  if (raw) {
    found.timeZone ??= ianaTimeZone(firstString(raw.node, raw.terms, [`${MOBILIZON}timezone`]) ?? "");
    found.capacity ??= capacityOf(valuesOf(raw.node, raw.terms, schemaOrg("maximumAttendeeCapacity"))[0]);
    joinMode = valuesOf(raw.node, raw.terms, [`${MOBILIZON}joinMode`]).length > 0;
    for (const node of valuesOf(raw.node, raw.terms, [...schemaOrg("location"), `${ACTIVITYSTREAMS}location`]).filter(isNode)) {
      const place = rawPlace(raw, node);
      if (!place) continue;
      // An ActivityStreams Place read above may lack the schema.org address its JSON-LD has.
      if (found.place && !found.place.address && place.name === found.place.name) found.place.address = place.address;
      found.place ??= place;
    }
  }
  const published = publishedRsvps(found.lists);
  const event: RemoteEvent = {
    kind: "remote",
    startsAt,
    endsAt,
    timeZone: found.timeZone ?? DEFAULT_TIME_ZONE,
    location: found.place,
    onlineUrl: found.onlineUrl,
    capacity: found.capacity,
    rsvpStyle: joinMode ? "join" : "plein",
    counts: published?.counts ?? null,
    ...(published ? { rsvps: published.rsvps } : {}),
  };
  return event;
}

/* ---------------- receiving RSVPs ---------------- */

/** An RSVP's answer by its type (TentativeAccept is a kind of Accept, TentativeReject of Reject: asked first). */
function statusOf(activity: Activity): { status: RsvpStatus; viaJoin: boolean } | null {
  if (activity instanceof TentativeAccept) return { status: "maybe", viaJoin: false };
  if (activity instanceof TentativeReject) return null;
  if (activity instanceof Accept) return { status: "going", viaJoin: false };
  if (activity instanceof Reject) return { status: "not_going", viaJoin: false };
  if (activity instanceof Join) return { status: "going", viaJoin: true };
  if (activity instanceof Leave) return { status: "not_going", viaJoin: false };
  return null;
}

/** An RSVP to one of our events, from someone of another server. */
async function receiveRsvp(post: Post, activity: Activity, answer: { status: RsvpStatus; viaJoin: boolean }, ctx: ModuleInboxContext): Promise<void> {
  const { db } = ctx.app;
  const signer = ctx.actor;
  if (signer.type !== "Person") return void logger.info("An RSVP by a {type} to {post} ignored", { type: signer.type, post: post.iri });
  try {
    answerable(post);
    if (!(await ctx.canSee(post)) || !(await mayRespond(db, post, signer))) {
      return void logger.info("{actor} may not answer {post}", { actor: signer.iri, post: post.iri });
    }
    const organiser = await findActorById(db, post.actor_id);
    if (!organiser?.local) return;
    await respond(db, post, organiser, { iri: signer.iri, id: signer.id }, answer.status, { activityIri: ctx.activityIri, viaJoin: answer.viaJoin });
  } catch (error) {
    // The event is over, or waits for a moderator: the answer is not taken.
    if (!(error instanceof DomainError)) throw error;
    logger.info("RSVP {activity} to {post} not taken: {reason}", { activity: ctx.activityIri, post: post.iri, reason: error.message });
  }
}

/** Mobilizon answers one of our people's Join of its event: a place (Accept), or none (Reject). */
async function receiveAnswer(activity: Activity, ctx: ModuleInboxContext): Promise<boolean> {
  const objectId = activity.objectId;
  const tentative = activity instanceof TentativeAccept || activity instanceof TentativeReject;
  if (!objectId || tentative || !(activity instanceof Accept || activity instanceof Reject)) return false;
  const rsvp = await sentRsvpByActivity(ctx.app.db, objectId.href);
  if (!rsvp?.pending) return false;
  const post = await getPost(ctx.app.db, rsvp.post_id);
  if (!post || post.local) return false;
  // Only the event's own server answers for it.
  if (new URL(post.iri).origin !== new URL(ctx.actor.iri).origin) return false;
  await answerReceived(ctx.app.db, rsvp, activity instanceof Accept);
  return true;
}

async function inbox(activity: Activity, ctx: ModuleInboxContext): Promise<boolean> {
  const answer = statusOf(activity);
  const objectId = activity.objectId;
  if (!answer || !objectId || ctx.group) return false;
  const post = await getPostByIri(ctx.app.db, objectId.href);
  if (post?.local && post.module === "event") {
    await receiveRsvp(post, activity, answer, ctx);
    return true;
  }
  return receiveAnswer(activity, ctx);
}

/* ---------------- our deliveries ---------------- */

function rsvpActivity(id: URL, actor: URL, event: URL, organiser: URL, status: RsvpStatus, joinStyle: boolean): Activity {
  const values = { id, actor, object: event, to: organiser };
  if (joinStyle) return status === "going" ? new Join(values) : new Leave(values);
  return status === "going" ? new Accept(values) : status === "maybe" ? new TentativeAccept(values) : new Reject(values);
}

async function deliver(p: Record<string, unknown>, { app, sender, id }: ModuleDeliveryContext): Promise<ModuleDelivery | null> {
  const db = app.db;
  if (p.kind === "rsvp") {
    const status = RSVP_STATUSES.find((s) => s === p.status);
    const post = typeof p.postId === "string" ? await getPost(db, p.postId) : undefined;
    if (!status || !post || post.deleted_at || post.local || p.actorId !== sender.id) return null;
    const [organiser, details] = await Promise.all([findActorById(db, post.actor_id), detailsOf(db, post.id)]);
    if (!organiser || !details) return null;
    const activity = rsvpActivity(id, new URL(sender.iri), new URL(post.iri), new URL(organiser.iri), status, details.rsvp_style === "join");
    return { activity, recipients: [recipientOf(organiser)], post };
  }
  if (p.kind === "accept-join") {
    const rsvp = typeof p.rsvpId === "string" ? await events(db).selectFrom("event_rsvps").selectAll().where("id", "=", p.rsvpId).executeTakeFirst() : undefined;
    if (!rsvp?.activity_iri || !rsvp.actor_id || rsvp.status !== "going" || rsvp.waitlist_position !== null) return null;
    const post = await getPost(db, rsvp.post_id);
    if (!post?.local || post.deleted_at) return null;
    const [organiser, participant] = await Promise.all([findActorById(db, post.actor_id), findActorById(db, rsvp.actor_id)]);
    if (!organiser?.local || organiser.id !== sender.id || !participant) return null;
    const join = new Join({ id: new URL(rsvp.activity_iri), actor: new URL(participant.iri), object: new URL(post.iri) });
    const activity = new Accept({ id, actor: new URL(organiser.iri), object: join, to: new URL(participant.iri) });
    return { activity, recipients: [recipientOf(participant)], post };
  }
  return null;
}

export const eventActivityPub: ModuleActivityPub<EventData> = { render, read, inbox, deliver };
