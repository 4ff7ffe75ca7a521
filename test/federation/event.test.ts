/**
 * Events across four real instances over HTTPS, driven through Plein's API:
 * A hosts a closed group (anna owns it), bram on B and cato on C join, dirk
 * on D follows bram but joins nothing. bram plans an event on B; its fields
 * reach A and C intact, RSVPs from all three servers go to B (the event's
 * server decides places and the waiting list), and every instance shows the
 * same counts and lists. Nothing of it reaches D.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, settle, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import { closedGroupOfFour, startFourServers } from "../support/four-servers.ts";
import { signedFetchObject } from "../support/mastodon.ts";
import {
  comment,
  type PleinContent,
  type PleinGroup,
  postInGroup,
  waitForGroupPost,
} from "../support/plein.ts";

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;
let C: TestInstance;
let D: TestInstance;
let anna: TestUser;
let bram: TestUser;
let cato: TestUser;
let group: PleinGroup;
let onB: PleinGroup;
let onC: PleinGroup;
let event: PleinContent;
/** the event's id on each user's own instance */
const ids = new Map<TestUser, string>();

const V1 = "/api/plein/v1";

interface Counts {
  going: number;
  waitlisted: number;
  maybe: number;
  not_going: number;
}

interface Attendee {
  uri: string;
  status: string;
  position: number | null;
}

async function fieldsOn(user: TestUser): Promise<Record<string, unknown>> {
  const res = await user.api.get<PleinContent>(`${V1}/posts/${ids.get(user)!}`);
  expect(res.status).toBe(200);
  return res.body.fields;
}

/** One attendee list as `user`'s own instance shows it: the actors' ids, in order. */
async function listOn(user: TestUser, status: string): Promise<string[]> {
  const res = await user.api.get<Attendee[]>(`${V1}/posts/${ids.get(user)!}/attendees`, { status });
  expect(res.status).toBe(200);
  return res.body.map((a) => a.uri);
}

/** The counts and lists of the event as each of A, B and C shows them. */
async function everywhere() {
  return Promise.all([anna, bram, cato].map(async (user) => ({
    counts: (await fieldsOn(user)).counts as Counts,
    going: await listOn(user, "going"),
    waitlisted: await listOn(user, "waitlisted"),
    maybe: await listOn(user, "maybe"),
    not_going: await listOn(user, "not_going"),
  })));
}

/** Waits until A, B and C all show the same counts and lists, and returns them. */
async function agreed(expected: Counts) {
  let last: unknown;
  return waitFor(async () => {
    const views = await everywhere();
    last = views;
    const same = views.every((v) => JSON.stringify(v) === JSON.stringify(views[0]));
    return same && JSON.stringify(views[0]!.counts) === JSON.stringify(expected) ? views[0]! : undefined;
  }, { message: `A, B and C agree on ${JSON.stringify(expected)}` }).catch((error: unknown) => {
    throw new Error(`${String(error)}; they show ${JSON.stringify(last)}`);
  });
}

async function rsvp(user: TestUser, status: string): Promise<Record<string, unknown>> {
  const res = await user.api.post<PleinContent>(`${V1}/posts/${ids.get(user)!}/rsvp`, { status });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.fields;
}

/** Waits until the user's own instance shows their answer as confirmed by the event's server. */
async function confirmed(user: TestUser, status: string) {
  return waitFor(async () => {
    const mine = (await fieldsOn(user)).rsvp as { status: string; pending: boolean } | null;
    return mine?.status === status && !mine.pending ? mine : undefined;
  }, { message: `${user.handle}'s ${status} confirmed` });
}

beforeAll(async () => {
  const servers = await startFourServers();
  ({ instances, A, B, C, D, anna, bram, cato } = servers);
  ({ group, onB, onC } = await closedGroupOfFour(servers, { name: "overleg" }));
});

afterAll(async () => {
  await closeInstances(instances);
});

describe("an event planned on B in a group on A", () => {
  it("reaches A and C with its fields intact", async () => {
    event = await postInGroup(bram, onB.id, {
      module: "event", title: "Begrotingsoverleg", text: "Over de begroting 2027",
      start: "2030-09-12T14:00", end: "2030-09-12T16:30", time_zone: "Europe/Amsterdam",
      location: { name: "Stadhuis", address: "Coolsingel 40, Rotterdam" }, online_url: "https://meet.example/begroting", capacity: 2,
    });
    expect(event.visibility).toBe("group");
    ids.set(bram, event.id);
    const onA = await waitForGroupPost(anna, group.id, event.uri);
    const onCPost = await waitForGroupPost(cato, onC.id, event.uri);
    ids.set(anna, onA.id);
    ids.set(cato, onCPost.id);
    const expected = {
      start: "2030-09-12T12:00:00.000Z", end: "2030-09-12T14:30:00.000Z", time_zone: "Europe/Amsterdam",
      start_local: "2030-09-12T14:00:00+02:00", end_local: "2030-09-12T16:30:00+02:00",
      location: { name: "Stadhuis", address: "Coolsingel 40, Rotterdam" }, online_url: "https://meet.example/begroting",
      capacity: 2, counts: { going: 0, waitlisted: 0, maybe: 0, not_going: 0 }, spots_left: 2,
      rsvp_open: true, rsvp_statuses: ["going", "maybe", "not_going"], rsvp: null,
    };
    for (const post of [event, onA, onCPost]) {
      expect(post).toMatchObject({ module: "event", type: "Event", title: "Begrotingsoverleg" });
      expect(post.fields).toEqual(expected);
    }
  });

  it("RSVPs from A, B and C go to B, which gives the places and keeps the waiting list; all three agree", async () => {
    // anna on A: pending until B's list names her.
    expect((await rsvp(anna, "going")).rsvp).toEqual({ status: "going", waitlisted: false, position: null, pending: true });
    await confirmed(anna, "going");
    await rsvp(cato, "going");
    await confirmed(cato, "going");
    // bram (on B itself) is third: the event is full, he waits.
    expect((await rsvp(bram, "going")).rsvp).toEqual({ status: "going", waitlisted: true, position: 1, pending: false });
    const full = await agreed({ going: 2, waitlisted: 1, maybe: 0, not_going: 0 });
    expect(full).toMatchObject({ going: [anna.actor.iri, cato.actor.iri], waitlisted: [bram.actor.iri], maybe: [], not_going: [] });
    expect((await fieldsOn(cato)).spots_left).toBe(0);

    // anna stops coming: B gives her place to bram, and every instance shows it.
    await rsvp(anna, "not_going");
    const moved = await agreed({ going: 2, waitlisted: 0, maybe: 0, not_going: 1 });
    expect(moved).toMatchObject({ going: [cato.actor.iri, bram.actor.iri], waitlisted: [], not_going: [anna.actor.iri] });
    expect((await fieldsOn(bram)).rsvp).toEqual({ status: "going", waitlisted: false, position: null, pending: false });

    // cato may come after all.
    await rsvp(cato, "maybe");
    await confirmed(cato, "maybe");
    const last = await agreed({ going: 1, waitlisted: 0, maybe: 1, not_going: 1 });
    expect(last.maybe).toEqual([cato.actor.iri]);
    await settle(instances);
  }, 120_000);

  it("the organiser on B is told of each RSVP change; nobody else is", async () => {
    const told = async (instance: TestInstance, user: TestUser) => (await instance.db.selectFrom("notifications").select(["actor_id"])
      .where("recipient_id", "=", user.actor.id).where("type", "=", "rsvp").execute()).length;
    // anna going and not going, cato going and maybe (bram's own answer is not news to him).
    expect(await told(B, bram)).toBe(4);
    expect(await told(A, anna)).toBe(0);
    expect(await told(C, cato)).toBe(0);
  });

  it("comments on the event work across the servers", async () => {
    const reply = await comment(cato, ids.get(cato)!, "Ik kom misschien iets later");
    const onBReply = await waitForGroupPost(bram, onB.id, reply.uri);
    expect(onBReply.in_reply_to_id).toBe(event.id);
    await waitForGroupPost(anna, group.id, reply.uri);
  });

  it("never reaches D, which may not fetch it", async () => {
    await settle(instances);
    expect(await D.db.selectFrom("posts").select("id").where("iri", "=", event.uri).executeTakeFirst()).toBeUndefined();
    for (const signer of [D.host, "dirk"]) expect((await signedFetchObject(D, signer, event.uri)).status).toBe(404);
    expect((await signedFetchObject(C, C.host, event.uri)).status).toBe(200);
  });
});
