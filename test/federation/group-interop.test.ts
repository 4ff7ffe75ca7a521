/**
 * Groups between Plein and other servers, from fixtures written from their
 * documentation (test/federation/fixtures, README.md there), with real Plein
 * instances over HTTPS and hand-written remote servers that sign what they
 * send and check the signatures of what they receive:
 * - Mobilizon: a Plein user follows a Mobilizon group (WebFinger, Follow, the
 *   group's Accept); the group announces one of its events (by id, fetched
 *   from Mobilizon); Plein stores the group as a Group actor and the event as
 *   an Event post in that group.
 * - Mastodon: a Mastodon user follows a public Plein group (Follow → the
 *   group's signed Accept); a member posts in the group; the Mastodon inbox
 *   receives the group's Announce of the Create, and the Announce of the bare
 *   Note that Mastodon can read (Mastodon fetches an announced object by its
 *   id and requires the document to carry that id: a Create's id names no
 *   document of its own). A closed group sends no such Announce. A member on
 *   another Plein instance receives both and stores the post once.
 * (A Lemmy community: test/federation/lemmy.test.ts and fixtures.test.ts.)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exportSpki, generateCryptoKeyPair } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { deliverOverNetwork, type FakeRemote, type ReceivedRequest, startFakeRemote } from "../support/fake-remote.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";
import {
  type Account,
  expectStatus,
  homeTimeline,
  type Relationship,
  relationship,
  resolveAccount,
  type Status,
  waitForHome,
} from "../support/mastodon.ts";
import { type CheckedDelivery, verifyDelivery } from "../support/verify-delivery.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const PLACEHOLDER_ORIGIN = "https://remote.example";
const PLACEHOLDER_LOCAL = "https://plein.test/users/alice";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

type Json = Record<string, unknown>;

interface Signer {
  iri: string;
  keyId: string;
  privateKey: CryptoKey;
  document: Json;
}

/**
 * A fixture with its placeholders filled in: the remote origin, the local id
 * it addresses, a public key, and Mobilizon's context (its Litepub context,
 * named by URL, replaced by the security vocabulary it imports: no Internet here).
 */
function fixture(name: string, remote: FakeRemote, options: { local?: string; publicKeyPem?: string } = {}): Json {
  const context = readFileSync(join(FIXTURES, "mobilizon-context.json"), "utf8")
    .replace(JSON.stringify("https://litepub.social/context.jsonld"), JSON.stringify("https://w3id.org/security/v1"));
  const text = readFileSync(join(FIXTURES, `${name}.json`), "utf8")
    .replaceAll('"{{mobilizonContext}}"', context)
    .replaceAll("{{publicKeyPem}}", JSON.stringify(options.publicKeyPem ?? "").slice(1, -1))
    .replaceAll(PLACEHOLDER_LOCAL, options.local ?? PLACEHOLDER_LOCAL)
    .replaceAll(PLACEHOLDER_ORIGIN, remote.origin);
  return JSON.parse(text) as Json;
}

/** Serves an actor fixture at its id with a fresh key; its inboxes take deliveries (202). */
async function serveActor(name: string, remote: FakeRemote): Promise<Signer> {
  const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const document = fixture(name, remote, { publicKeyPem: await exportSpki(publicKey) });
  const iri = document.id as string;
  remote.serve(new URL(iri).pathname, { body: document });
  remote.serve(new URL(document.inbox as string).pathname, { status: 202 });
  remote.serve("/inbox", { status: 202 });
  return { iri, keyId: (document.publicKey as Json).id as string, privateKey, document };
}

/** Every signed delivery the remote received, verified, in order of arrival; an unverifiable one fails the test. */
async function deliveries(remote: FakeRemote): Promise<CheckedDelivery[]> {
  const posts = remote.received.filter((r: ReceivedRequest) => r.method === "POST");
  const checked = await Promise.all(posts.map((r) => verifyDelivery(remote.origin, r)));
  checked.forEach((c, i) => expect(c, `signature of POST ${posts[i]!.path}`).not.toBeNull());
  return checked as CheckedDelivery[];
}

/** The addressees in `field` of an activity as received (JSON-LD compaction makes one a string, the public `as:Public`). */
function addressees(activity: Json, field: "to" | "cc"): string[] {
  const value = activity[field];
  const list = value === undefined ? [] : Array.isArray(value) ? value as string[] : [value as string];
  return list.map((a) => (a === "as:Public" || a === "Public" ? PUBLIC : a));
}

/** The address 127.0.P.n of this process's block: the certificate names .1 to .12, instances use the first ones. */
function sibling(instance: TestInstance, n: number): string {
  return instance.host.replace(/\.\d+$/, `.${n}`);
}

let instances: TestInstance[];
let A: TestInstance;
let B: TestInstance;

beforeAll(async () => {
  instances = await startInstances(2);
  [A, B] = instances as [TestInstance, TestInstance];
});

afterAll(async () => {
  await closeInstances(instances);
});

async function postRow(instance: TestInstance, iri: string) {
  return instance.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
}

async function actorRow(instance: TestInstance, iri: string): Promise<Actor | undefined> {
  return instance.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();
}

describe("Mobilizon: a Plein user follows a group, which announces its event", () => {
  let mobilizon: FakeRemote;
  let framasoft: Signer;
  let mia: TestUser;
  let group: Account;

  beforeAll(async () => {
    mobilizon = await startFakeRemote({ https: true, host: sibling(A, 11), port: 443 });
    [framasoft] = await Promise.all([serveActor("mobilizon-group", mobilizon), serveActor("mobilizon-person", mobilizon)]);
    const host = new URL(mobilizon.origin).host;
    mobilizon.serve("/.well-known/webfinger", {
      contentType: "application/jrd+json",
      body: {
        subject: `acct:framasoft@${host}`,
        links: [{ rel: "self", type: "application/activity+json", href: framasoft.iri }],
      },
    });
    const event = fixture("mobilizon-group-event", mobilizon);
    mobilizon.serve(new URL(event.id as string).pathname, { body: event });
    mia = await A.createUser("mia");
  });
  afterAll(() => mobilizon?.close());

  it("the group is found by its handle and stored as a Group actor", async () => {
    group = await resolveAccount(mia, `framasoft@${new URL(mobilizon.origin).host}`);
    expect((group as Account & { group: boolean }).group).toBe(true);
    expect(await actorRow(A, framasoft.iri)).toMatchObject({ type: "Group", username: "framasoft", local: false });
  });

  it("following it sends a signed Follow; the group's Accept makes the follower a member", async () => {
    const answer = expectStatus(await mia.api.post<Relationship>(`/api/v1/accounts/${group.id}/follow`), 200, "follow");
    expect(answer).toMatchObject({ following: false, requested: true });
    const follow = await waitFor(async () => (await deliveries(mobilizon)).find((d) => d.activity.type === "Follow"));
    expect(follow.signer).toBe(mia.actor.iri);
    expect(follow.activity).toMatchObject({ actor: mia.actor.iri, object: framasoft.iri });
    // Mobilizon's Accept of a Follow: the group accepts the Follow it received, with an id of its own.
    const accept = {
      "@context": "https://www.w3.org/ns/activitystreams",
      type: "Accept",
      id: mobilizon.url(`/accept/follow/${randomUUID()}`),
      actor: framasoft.iri,
      to: [mia.actor.iri],
      cc: [],
      object: follow.activity,
    };
    expect((await deliverOverNetwork(mia.actor.inbox_url!, accept, framasoft)).status).toBe(202);
    await waitFor(async () => (await relationship(mia, group.id)).following, { message: "the group accepted" });
  });

  it("the group's Announce of its event (by id): fetched and stored as an Event post in the group", async () => {
    const announce = fixture("mobilizon-announce-event", mobilizon);
    const eventIri = announce.object as string;
    expect((await deliverOverNetwork(`${A.origin}/inbox`, announce, framasoft)).status).toBe(202);
    const post = await waitFor(() => postRow(A, eventIri), { message: "the event stored" });
    const groupRow = (await actorRow(A, framasoft.iri))!;
    expect(post).toMatchObject({
      type: "Event",
      name: "Contributopia meetup",
      visibility: "public",
      group_id: groupRow.id,
      // Mobilizon attributes a group's events to the group.
      actor_id: groupRow.id,
      module: "event",
      local: false,
    });
    expect(post.content_html).toBe("<p>Let us plan the next year together.</p>");
    expect(mobilizon.received.some((r) => r.method === "GET" && r.path === new URL(eventIri).pathname)).toBe(true);
    const shown = await waitForHome(mia, eventIri);
    expect(shown.account).toMatchObject({ id: group.id, username: "framasoft" });
    const statuses = expectStatus(await mia.api.get<Status[]>(`/api/v1/accounts/${group.id}/statuses`), 200, "group statuses");
    expect(statuses.map((s) => s.uri)).toEqual([eventIri]);
  });
});

describe("Mastodon: a Mastodon user follows a public Plein group", () => {
  let mastodon: FakeRemote;
  let gargron: Signer;
  let organiser: TestUser;
  let maria: TestUser;
  let bram: TestUser;
  let plaza: GroupView;
  let backroom: GroupView;

  beforeAll(async () => {
    mastodon = await startFakeRemote({ https: true, host: sibling(A, 10), port: 443 });
    gargron = await serveActor("mastodon-person", mastodon);
    organiser = await A.createUser("organiser");
    maria = await A.createUser("maria");
    bram = await B.createUser("bram");
    plaza = await createGroup(A.db, new URL(A.origin), organiser.actor, { name: "plaza", modules: defaultModules() });
    backroom = await createGroup(A.db, new URL(A.origin), organiser.actor, {
      name: "backroom", visibility: "closed", joinMode: "open", modules: defaultModules(),
    });
    expectStatus(await maria.api.post<Relationship>(`/api/v1/accounts/${plaza.actor.id}/follow`), 200, "maria joins");
  });
  afterAll(() => mastodon?.close());

  const announcesFor = async (noteIri: string) => (await deliveries(mastodon)).filter((d) => {
    if (d.activity.type !== "Announce") return false;
    const object = d.activity.object as Json | string;
    const inner = typeof object === "string" ? object : object.type === "Create" ? (object.object as Json).id : object.id;
    return inner === noteIri;
  });

  async function follows(group: GroupView): Promise<CheckedDelivery> {
    const follow = fixture("mastodon-follow", mastodon, { local: group.actor.iri });
    follow.id = mastodon.url(`/${randomUUID()}`);
    expect((await deliverOverNetwork(group.actor.inbox_url!, follow, gargron)).status).toBe(202);
    return waitFor(async () => (await deliveries(mastodon)).find((d) => d.activity.type === "Accept"
      && ((d.activity.object as Json).id ?? d.activity.object) === follow.id), { message: "the group's Accept" });
  }

  it("Follow → the group's Accept, signed with the group's key; the Mastodon user is a member", async () => {
    const accept = await follows(plaza);
    expect(accept.signer).toBe(plaza.actor.iri);
    expect(accept.activity).toMatchObject({ actor: plaza.actor.iri });
    const gargronRow = (await actorRow(A, gargron.iri))!;
    const membership = await A.db.selectFrom("memberships").selectAll()
      .where("group_id", "=", plaza.actor.id).where("member_id", "=", gargronRow.id).executeTakeFirstOrThrow();
    expect(membership.state).toBe("member");
    const account = expectStatus(await maria.api.get<Account>(`/api/v1/accounts/${plaza.actor.id}`), 200, "plaza");
    expect(account.followers_count).toBe(3);
  });

  it("a member on another Plein instance joins the group too", async () => {
    const account = await resolveAccount(bram, `plaza@${A.host}`);
    expectStatus(await bram.api.post<Relationship>(`/api/v1/accounts/${account.id}/follow`), 200, "bram joins");
    await waitFor(async () => (await relationship(bram, account.id)).following, { message: "bram is a member" });
  });

  it("a member's post reaches Mastodon as the group's Announce of the Create and of the bare Note", async () => {
    const status = expectStatus(await maria.api.post<Status>("/api/v1/statuses", { status: "@plaza market day on Saturday" }), 200,
      "maria posts");
    const announces = await waitFor(async () => {
      const found = await announcesFor(status.uri);
      return found.length >= 2 ? found : undefined;
    }, { message: "both Announces at the Mastodon inbox" });
    expect(announces).toHaveLength(2);
    for (const a of announces) {
      expect(a.signer).toBe(plaza.actor.iri);
      expect(a.activity.actor).toBe(plaza.actor.iri);
      expect(addressees(a.activity, "to")).toEqual([PUBLIC]);
      expect(addressees(a.activity, "cc")).toEqual([plaza.actor.followers_url]);
    }
    const ofCreate = announces.find((a) => typeof a.activity.object === "object")!;
    const ofNote = announces.find((a) => typeof a.activity.object === "string")!;
    // In this order (one ordering key per sender): a receiver that reads both meets the Create first.
    expect(announces).toEqual([ofCreate, ofNote]);
    const create = ofCreate.activity.object as Json;
    expect(create).toMatchObject({ type: "Create", actor: maria.actor.iri, object: { id: status.uri, type: "Note" } });
    // The second names the Note by its id, as Mastodon's own boosts do.
    expect(ofNote.activity.object).toBe(status.uri);
    expect(ofNote.activity.id).not.toBe(ofCreate.activity.id);
    // What Mastodon does with them: it fetches the announced object by its id and keeps it only when the document
    // has that id. The Note's id gives the Note; the Create's id names no document of its own.
    for (const [id, same] of [[status.uri, true], [create.id as string, false]] as const) {
      const res = await fetch(id, { headers: { accept: "application/activity+json" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json).id === id, id).toBe(same);
    }
  });

  it("a Plein member elsewhere receives both Announces and stores the post once", async () => {
    const status = expectStatus(await maria.api.post<Status>("/api/v1/statuses", { status: "@plaza the fountain works again" }), 200,
      "maria posts");
    const sent = await waitFor(async () => {
      const found = await announcesFor(status.uri);
      return found.length >= 2 ? found.map((a) => a.activity.id as string) : undefined;
    }, { message: "sent to Mastodon" });
    const shown = await waitForHome(bram, status.uri);
    // B handled both Announces (the same activities went to every member's server)...
    await waitFor(async () => (await B.db.selectFrom("processed_activities").select("activity_iri")
      .where("activity_iri", "in", sent).execute()).length === 2, { message: "B handled both Announces" });
    await settle(instances);
    // ...and holds the post once, shown once.
    const rows = await B.db.selectFrom("posts").select("id").where("iri", "=", status.uri).execute();
    expect(rows).toEqual([{ id: shown.id }]);
    expect((await homeTimeline(bram)).filter((s) => s.uri === status.uri || s.reblog?.uri === status.uri)).toHaveLength(1);
  });

  it("comments are announced as the Create only (as Lemmy does)", async () => {
    const thread = expectStatus(await maria.api.post<Status>("/api/v1/statuses", { status: "@plaza who brings chairs?" }), 200, "thread");
    const comment = expectStatus(await maria.api.post<Status>("/api/v1/statuses", { status: "I do", in_reply_to_id: thread.id }), 200,
      "comment");
    await waitFor(async () => (await announcesFor(comment.uri)).length >= 1, { message: "the comment's Announce" });
    await settle(instances);
    const announces = await announcesFor(comment.uri);
    expect(announces.map((a) => (a.activity.object as Json).type)).toEqual(["Create"]);
  });

  it("a closed group sends its members' posts only as the Create, to its members, never public", async () => {
    await follows(backroom);
    const status = expectStatus(await organiser.api.post<Status>("/api/v1/statuses", { status: "@backroom budget draft" }), 200,
      "organiser posts");
    expect(status.visibility).toBe("private");
    await waitFor(async () => (await announcesFor(status.uri)).length >= 1, { message: "the closed group's Announce" });
    await settle(instances);
    const announces = await announcesFor(status.uri);
    expect(announces).toHaveLength(1);
    const only = announces[0]!;
    expect((only.activity.object as Json).type).toBe("Create");
    expect(JSON.stringify(only.activity)).not.toMatch(/Public/);
    expect(addressees(only.activity, "to")).toEqual([backroom.actor.followers_url]);
  });
});
