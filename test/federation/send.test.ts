/**
 * The delivery worker against a real (minimal) remote server on loopback:
 * what reaches which inbox, signed, with an integrity proof; what never
 * leaves; and what a 410 from an inbox does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../../federation/send.ts";
import { loadConfig } from "../../src/config.ts";
import type { Actor, Post, Visibility } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { follow, receiveFollow, unfollow } from "../../src/domain/follows.ts";
import { createLocalPost, deleteLocalPost, editLocalPost } from "../../src/domain/posts/authoring.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { boost, like } from "../../src/domain/posts/sharing.ts";
import { newActivityIriOf } from "../../src/domain/urls.ts";
import type { RunningPlein } from "../../src/server.ts";
import { type DeliveringPlein, startDeliveringPlein } from "./delivering-plein.ts";
import { type Delivery, type FakeActor, FakeRemote } from "./fake-remote.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", PLEIN_ALLOW_PRIVATE_ADDRESS: "true" });

type Json = Record<string, unknown>;

let running: RunningPlein;
let remote: FakeRemote;
let plein: DeliveringPlein;
let alice: Actor;
let carol: FakeActor; // follows alice, personal inbox
let dave: FakeActor; // does not follow alice
let erin: FakeActor; // alice follows erin; erin's post gets liked and boosted
let frank: FakeActor; // follows alice, inbox answers 410
let gina: FakeActor; // follows alice through the shared inbox
let hugo: FakeActor; // follows alice through the shared inbox
const rows: Record<string, Actor> = {};

function objectOf(d: Delivery): Json | string | undefined {
  return d.body.object as Json | string | undefined;
}

function objectId(d: Delivery): string | undefined {
  const o = objectOf(d);
  return typeof o === "string" ? o : o?.id as string | undefined;
}

function post(visibility: Visibility, mentionIds: string[] = []): Promise<Post> {
  return createLocalPost(running.deps.db, config.origin, alice, { contentHtml: `<p>${visibility}</p>`, visibility, mentionIds });
}

/** Deliveries from one sender to one server are ordered: once a later marker arrived, earlier ones are done. */
async function settle(inbox: string): Promise<void> {
  const marker = await post("public");
  await remote.waitFor((d) => d.path === inbox && objectId(d) === marker.iri);
}

beforeAll(async () => {
  remote = new FakeRemote();
  await remote.start();
  plein = await startDeliveringPlein(config);
  running = plein.running;
  const db = running.deps.db;
  alice = await createUser(db, config.origin, { username: "alice", email: "a@plein.test", password: "correct horse" });
  for (const name of ["carol", "dave", "erin", "frank"]) {
    const actor = await remote.addActor(name);
    rows[name] = await remote.store(db, "plein.test", actor);
  }
  for (const name of ["gina", "hugo"]) {
    const actor = await remote.addActor(name);
    rows[name] = await remote.store(db, "plein.test", actor, { sharedInbox: `${remote.origin}/inbox` });
  }
  const fake = (name: string): FakeActor => remote.actors.get(name)!;
  [carol, dave, erin, frank, gina, hugo] = [fake("carol"), fake("dave"), fake("erin"), fake("frank"), fake("gina"), fake("hugo")];
  remote.inboxStatus.set(new URL(frank.inbox).pathname, 410);
  for (const name of ["carol", "frank", "gina", "hugo"]) await receiveFollow(db, rows[name]!, alice, `${remote.origin}/follows/${name}`);
}, 120_000);

afterAll(async () => {
  await plein?.stop();
  await remote?.stop();
});

const inboxPath = (a: FakeActor) => new URL(a.inbox).pathname;

describe("delivery", () => {
  it("sends Accept for an inbound Follow to the follower", async () => {
    const accept = await remote.waitFor((d) => d.path === inboxPath(carol) && d.body.type === "Accept");
    expect(accept.body.actor).toBe(alice.iri);
    expect((objectOf(accept) as Json).id).toBe(`${remote.origin}/follows/carol`);
  });

  it("delivers a public post to followers, signed and with an integrity proof, once per shared inbox", async () => {
    const p = await post("public");
    const toCarol = await remote.waitFor((d) => d.path === inboxPath(carol) && objectId(d) === p.iri);
    expect(toCarol.body.type).toBe("Create");
    expect(toCarol.body.id).toBe(`${p.iri}#create`);
    expect(toCarol.body.actor).toBe(alice.iri);
    expect(toCarol.headers.signature ?? toCarol.headers["signature-input"]).toBeTruthy();
    const proof = toCarol.body.proof as Json;
    expect(proof.type).toBe("DataIntegrityProof");
    expect(proof.cryptosuite).toBe("eddsa-jcs-2022");
    expect(String(proof.verificationMethod)).toMatch(/^https:\/\/plein\.test\/users\/alice#/);
    await remote.waitFor((d) => d.path === "/inbox" && objectId(d) === p.iri);
    await settle(inboxPath(carol));
    await settle("/inbox");
    expect(remote.deliveries.filter((d) => objectId(d) === p.iri && d.path === "/inbox")).toHaveLength(1);
    expect(remote.deliveries.some((d) => objectId(d) === p.iri && [inboxPath(gina), inboxPath(hugo), inboxPath(dave)].includes(d.path))).toBe(false);
  });

  it("sends followers-only posts to followers and direct posts to the mentioned only", async () => {
    const followersOnly = await post("followers");
    const direct = await post("direct", [rows.dave!.id]);
    const instance = await post("instance");
    await remote.waitFor((d) => d.path === inboxPath(carol) && objectId(d) === followersOnly.iri);
    const toDave = await remote.waitFor((d) => d.path === inboxPath(dave) && objectId(d) === direct.iri);
    expect(toDave.body.to).toBe(dave.iri);
    await settle(inboxPath(carol));
    await settle("/inbox");
    const leaked = remote.deliveries.filter((d) =>
      (objectId(d) === direct.iri && d.path !== inboxPath(dave))
      || objectId(d) === instance.iri
      || (objectId(d) === followersOnly.iri && d.path === inboxPath(dave)));
    expect(leaked).toEqual([]);
  });

  it("never sends an instance-only post's edit or deletion (Hometown 1.1.1 federated such edits)", async () => {
    const instance = await post("instance");
    await editLocalPost(running.deps.db, alice, instance.id, { contentHtml: "<p>edited inside</p>", contentSource: "edited inside" });
    await deleteLocalPost(running.deps.db, alice, instance.id);
    // A public post afterwards, on the same ordering key, proves the queue moved past them.
    const after = await post("public");
    await remote.waitFor((d) => d.path === inboxPath(carol) && objectId(d) === after.iri);
    await settle(inboxPath(carol));
    await settle("/inbox");
    expect(remote.deliveries.filter((d) => JSON.stringify(d.body).includes(instance.iri))).toEqual([]);
  });

  it("sends Delete with a Tombstone to the same audience", async () => {
    const p = await post("public");
    await remote.waitFor((d) => d.path === inboxPath(carol) && objectId(d) === p.iri && d.body.type === "Create");
    await deleteLocalPost(running.deps.db, alice, p.id);
    const del = await remote.waitFor((d) => d.path === inboxPath(carol) && d.body.type === "Delete" && objectId(d) === p.iri);
    expect(del.body.id).toBe(`${p.iri}#delete`);
    expect((objectOf(del) as Json).type).toBe("Tombstone");
  });

  it("sends Follow and Undo Follow to the followee with the stored Follow id", async () => {
    const row = await follow(running.deps.db, config.origin, alice, rows.erin!);
    const f = await remote.waitFor((d) => d.path === inboxPath(erin) && d.body.type === "Follow");
    expect(f.body.id).toBe(row.activity_iri);
    expect(f.body.object).toBe(erin.iri);
    await unfollow(running.deps.db, alice, rows.erin!);
    const undo = await remote.waitFor((d) => d.path === inboxPath(erin) && d.body.type === "Undo");
    expect((objectOf(undo) as Json).id).toBe(row.activity_iri);
  });

  it("sends Like to the author and Announce to the author and the booster's followers", async () => {
    const db = running.deps.db;
    const erinPost = await upsertRemotePost(db, rows.erin!, {
      iri: `${remote.origin}/notes/erin-1`, url: null, type: "Note", visibility: "public", inReplyToIri: null,
      name: null, summary: null, sensitive: false, contentHtml: "<p>erin</p>", language: null,
      publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {},
    }, "create");
    await like(db, config.origin, alice, erinPost.id);
    const l = await remote.waitFor((d) => d.path === inboxPath(erin) && d.body.type === "Like");
    expect(l.body.object).toBe(erinPost.iri);
    const boostRow = await boost(db, config.origin, alice, erinPost.id);
    const toErin = await remote.waitFor((d) => d.path === inboxPath(erin) && d.body.type === "Announce");
    expect(toErin.body.id).toBe(boostRow.iri);
    expect(toErin.body.object).toBe(erinPost.iri);
    await remote.waitFor((d) => d.path === inboxPath(carol) && d.body.type === "Announce" && d.body.id === boostRow.iri);
  });

  it("sends one activity id for a job however often the job is retried (Accept, Undo, and jobs queued without an id)", async () => {
    const { federation } = running.federation;
    const followIri = `${remote.origin}/follows/carol-again`;
    const jobs = [
      { type: "follow.accept", followerId: rows.carol!.id, followeeId: alice.id, activityIri: followIri, id: newActivityIriOf(alice, "accept") },
      { type: "follow.undo", followerId: alice.id, followeeId: rows.carol!.id, activityIri: `${ORIGIN}/activities/follow/x`, id: newActivityIriOf(alice, "undo") },
      // As queued by an older version: no id of its own.
      { type: "follow.reject", followerId: rows.carol!.id, followeeId: alice.id, activityIri: `${remote.origin}/follows/old` },
    ];
    for (const job of jobs) {
      const type = job.type === "follow.accept" ? "Accept" : job.type === "follow.undo" ? "Undo" : "Reject";
      const objectIdOf = (d: Delivery) => (objectOf(d) as Json).id;
      const before = remote.deliveries.length;
      await deliver(federation, running.deps, job);
      await deliver(federation, running.deps, job); // a retry of the same message
      const matches = (d: Delivery) => d.path === inboxPath(carol) && d.body.type === type && objectIdOf(d) === job.activityIri;
      await remote.waitFor((d) => matches(d) && remote.deliveries.slice(before).filter(matches).length >= 2);
      const sent = remote.deliveries.slice(before).filter(matches);
      expect(sent[0]!.body.id).toBe(sent[1]!.body.id);
      if ("id" in job) expect(sent[0]!.body.id).toBe(job.id);
      else expect(String(sent[0]!.body.id).startsWith(`${ORIGIN}/`)).toBe(true);
    }
  });

  it("marks an actor gone and drops its follows when its inbox answers 410", async () => {
    await post("public");
    const db = running.deps.db;
    const until = Date.now() + 30_000;
    let frankRow = rows.frank!;
    while (!frankRow.gone_at && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      frankRow = (await db.selectFrom("actors").selectAll().where("id", "=", frankRow.id).executeTakeFirst())!;
    }
    expect(frankRow.gone_at).not.toBeNull();
    const follows = await db.selectFrom("follows").select("id").where("follower_id", "=", frankRow.id).execute();
    expect(follows).toEqual([]);
    // Shared-inbox followers are unaffected by one actor's failure.
    expect((await db.selectFrom("actors").select("gone_at").where("id", "=", rows.gina!.id).executeTakeFirst())?.gone_at).toBeNull();
  });
});
