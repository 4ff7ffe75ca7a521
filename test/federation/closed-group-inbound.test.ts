/**
 * What a closed group's server refuses from other servers (issue 8, "Inbound
 * rules"), tried by peers that sign with their own valid keys: content
 * addressed to the group by a non-member, Announces of its content by
 * others than the group, a known object id reused to change its audience or
 * owner, and whatever a banned or removed member still sends. Each attack is
 * answered 202 (the signature is fine) and nothing of it is stored, changed
 * or redistributed.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor, Post } from "../../src/db/schema.ts";
import { createGroup, findGroup, type GroupView } from "../../src/domain/groups.ts";
import { removeMember } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let evil: FakeRemote; // carol (a member) and mallory (not) share it: same origin
let other: FakeRemote; // bob and eve, members until banned and removed
let anna: Actor;
let carol: FakeActor;
let mallory: FakeActor;
let bob: FakeActor;
let eve: FakeActor;
let closed: GroupView;
let another: GroupView; // a second closed group carol is in

beforeAll(async () => {
  [plein, evil, other] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote()]);
  anna = await plein.user("anna");
  closed = await createGroup(plein.db, plein.origin, anna, { name: "dicht", visibility: "closed", joinMode: "open", modules: [] });
  another = await createGroup(plein.db, plein.origin, anna, { name: "ander", visibility: "closed", joinMode: "open", modules: [] });
  [carol, mallory, bob, eve] = await Promise.all([evil.actor("carol"), evil.actor("mallory"), other.actor("bob"), other.actor("eve")]);
  for (const [who, group] of [[carol, closed], [carol, another], [bob, closed], [eve, closed]] as const) {
    expect((await post({ id: newId(who), type: "Follow", actor: who.iri, object: group.actor.iri }, who, group)).status).toBe(202);
  }
  expect(await memberState(carol, closed)).toBe("member");
  await clearDeliveries();
});

afterAll(async () => {
  await Promise.all([evil?.close(), other?.close()]);
  await plein?.close();
});

async function post(activity: Record<string, unknown>, signer: FakeActor, group?: GroupView) {
  const inbox = group ? `/users/${group.actor.username}/inbox` : "/inbox";
  const res = await deliver(plein.running.app, plein.origin, inbox, { "@context": AS_CONTEXT, ...activity }, signer);
  await plein.drain();
  return res;
}

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const actorRow = async (iri: string) => (await plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst())!;
const memberState = async (who: FakeActor, group: GroupView) => (await plein.db.selectFrom("memberships")
  .innerJoin("actors", "actors.id", "memberships.member_id").select("memberships.state")
  .where("memberships.group_id", "=", group.actor.id).where("actors.iri", "=", who.iri).executeTakeFirst())?.state;

async function deliveries(): Promise<Array<Record<string, unknown>>> {
  const rows = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).orderBy("id").execute();
  return rows.map((r) => r.payload as Record<string, unknown>);
}

async function clearDeliveries(): Promise<void> {
  await plein.db.deleteFrom("queue_messages").where("queue", "=", DELIVERY_QUEUE).execute();
}

/** A Note by `by` addressed to `group` only (FEP-1b12), as a member's server sends it. */
function groupNote(by: FakeActor, group: GroupView, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: newId(by, "notes"), type: "Note", attributedTo: by.iri, to: [group.actor.iri], audience: group.actor.iri,
    content: "<p>binnen</p>", published: "2024-01-01T00:00:00Z", ...fields,
  };
}

/** `by` creates a note in `group`; it must be stored there. */
async function memberPost(by: FakeActor, group: GroupView): Promise<{ object: Record<string, unknown>; stored: Post }> {
  const object = groupNote(by, group);
  expect((await post({ id: newId(by), type: "Create", actor: by.iri, object }, by)).status).toBe(202);
  const stored = await postByIri(object.id as string);
  expect(stored).toMatchObject({ group_id: group.actor.id, visibility: "group" });
  await clearDeliveries();
  return { object, stored: stored! };
}

describe("a closed group refuses", () => {
  test("content addressed to it by a non-member, new or as a reply: nothing stored, nothing redistributed", async () => {
    const note = groupNote(mallory, closed);
    expect((await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object: note }, mallory)).status).toBe(202);
    expect(await postByIri(note.id as string)).toBeUndefined();
    // Sent to the group's inbox, or addressed to its members collection as well: the same.
    const toInbox = groupNote(mallory, closed, { cc: [closed.actor.followers_url] });
    expect((await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object: toInbox }, mallory, closed)).status).toBe(202);
    expect(await postByIri(toInbox.id as string)).toBeUndefined();
    // A reply to a member's post in the group, addressed to its author only, stays out too.
    const { object: thread } = await memberPost(carol, closed);
    const reply = { id: newId(mallory, "notes"), type: "Note", attributedTo: mallory.iri, to: [carol.iri], inReplyTo: thread.id,
      content: "<p>mag ik meelezen?</p>", published: "2024-01-01T00:00:00Z" };
    expect((await post({ id: newId(mallory), type: "Create", actor: mallory.iri, object: reply }, mallory)).status).toBe(202);
    expect(await postByIri(reply.id as string)).toBeUndefined();
    expect(await deliveries()).toEqual([]);
  });

  test("an Announce of its content by anyone but the group: no boost stored, nothing sent", async () => {
    const local = await createLocalPost(plein.db, plein.origin, anna, { contentHtml: "<p>Vertrouwelijk</p>", visibility: "public", groupId: closed.actor.id });
    expect(local.visibility).toBe("group");
    const { object: carols } = await memberPost(carol, closed);
    await clearDeliveries();
    // A member announcing the group's content, its own author, a non-member of the same server, a member of another.
    for (const [by, target] of [[carol, local.iri], [carol, carols.id], [mallory, carols.id], [bob, carols.id], [mallory, local.iri]] as const) {
      expect((await post({ id: newId(by), type: "Announce", actor: by.iri, object: target, to: [PUBLIC] }, by)).status).toBe(202);
    }
    // With an embedded copy that claims to be public: the stored post is what counts.
    const embedded = { ...carols, to: [PUBLIC], audience: undefined };
    expect((await post({ id: newId(mallory), type: "Announce", actor: mallory.iri, object: embedded, to: [PUBLIC] }, mallory)).status).toBe(202);
    const boosts = await plein.db.selectFrom("posts").select("id")
      .where("reblog_of_id", "in", [local.id, (await postByIri(carols.id as string))!.id]).execute();
    expect(boosts).toEqual([]);
    expect((await postByIri(carols.id as string))?.visibility).toBe("group");
    expect(await deliveries()).toEqual([]);
  });

  test("a Create or Update that reuses a known id to change its audience or owner: nothing changes", async () => {
    const { object, stored } = await memberPost(carol, closed);
    const iri = object.id as string;
    const attempts: Array<[FakeActor, string, Record<string, unknown>]> = [
      // Another actor of the same origin claims it.
      [mallory, "Create", { ...object, attributedTo: mallory.iri, content: "<p>van mij</p>" }],
      [mallory, "Update", { ...object, attributedTo: mallory.iri, content: "<p>van mij</p>" }],
      // Its author re-sends it to the public, or moves it to another group.
      [carol, "Create", { ...object, to: [PUBLIC], audience: undefined, content: "<p>openbaar</p>" }],
      [carol, "Update", { ...object, to: [PUBLIC], cc: [closed.actor.iri], content: "<p>openbaar</p>" }],
      [carol, "Update", { ...object, to: [carol.followers], audience: undefined, content: "<p>voor volgers</p>" }],
      [carol, "Update", { ...object, to: [another.actor.iri], audience: another.actor.iri, content: "<p>elders</p>" }],
    ];
    for (const [by, type, changed] of attempts) {
      expect((await post({ id: newId(by), type, actor: by.iri, object: changed }, by)).status).toBe(202);
      const after = (await postByIri(iri))!;
      expect({ actor: after.actor_id, group: after.group_id, visibility: after.visibility, content: after.content_html }, `${by.name} ${type}`)
        .toEqual({ actor: stored.actor_id, group: closed.actor.id, visibility: "group", content: "<p>binnen</p>" });
    }
    expect(await deliveries()).toEqual([]);
    // An edit that keeps the audience is taken, and the group passes it on.
    expect((await post({ id: newId(carol), type: "Update", actor: carol.iri, object: { ...object, content: "<p>bijgewerkt</p>" } }, carol)).status).toBe(202);
    expect((await postByIri(iri))?.content_html).toBe("<p>bijgewerkt</p>");
    expect((await deliveries()).map((d) => [d.type, d.activity])).toEqual([["group.announce", "update"]]);
    await clearDeliveries();
  });

  test("a banned or removed member: no post, no edit, no like, no way back in", async () => {
    const { object: bobs } = await memberPost(bob, closed);
    const { object: eves } = await memberPost(eve, closed);
    const local = await createLocalPost(plein.db, plein.origin, anna, { contentHtml: "<p>Na de ban</p>", visibility: "public", groupId: closed.actor.id });
    const view = (await findGroup(plein.db, closed.actor.id))!;
    await removeMember(plein.db, view, anna, await actorRow(bob.iri), { ban: true });
    await removeMember(plein.db, view, anna, await actorRow(eve.iri));
    expect(await memberState(bob, closed)).toBe("banned");
    expect(await memberState(eve, closed)).toBeUndefined();
    await clearDeliveries();

    for (const [who, old] of [[bob, bobs], [eve, eves]] as const) {
      const fresh = groupNote(who, closed);
      expect((await post({ id: newId(who), type: "Create", actor: who.iri, object: fresh }, who)).status).toBe(202);
      expect(await postByIri(fresh.id as string), who.name).toBeUndefined();
      expect((await post({ id: newId(who), type: "Update", actor: who.iri, object: { ...old, content: "<p>nog even dit</p>" } }, who)).status).toBe(202);
      expect((await postByIri(old.id as string))?.content_html, who.name).toBe("<p>binnen</p>");
      expect((await post({ id: newId(who), type: "Like", actor: who.iri, object: local.iri }, who)).status).toBe(202);
    }
    expect((await postByIri(local.iri))?.likes_count).toBe(0);
    expect(await deliveries()).toEqual([]);
    // The banned member asks to come back: refused, still banned.
    const followId = newId(bob);
    expect((await post({ id: followId, type: "Follow", actor: bob.iri, object: closed.actor.iri }, bob, closed)).status).toBe(202);
    expect(await memberState(bob, closed)).toBe("banned");
    expect((await deliveries()).map((d) => [d.type, d.activityIri])).toEqual([["follow.reject", followId]]);
    await clearDeliveries();
  });
});

describe("a member's post that names its group only among its recipients (no `audience`, as Mastodon sends a mention)", () => {
  test("is stored in the first recipient that is a group we know", async () => {
    const note = (to: string[]) => ({
      id: newId(carol, "notes"), type: "Note", attributedTo: carol.iri, to, cc: [carol.followers],
      content: "<p>zonder audience</p>", published: "2024-01-01T00:00:00Z",
    });
    // An unknown group and a person come first: neither is a group we know.
    const first = note([evil.url("/groups/onbekend"), anna.iri, another.actor.iri, closed.actor.iri]);
    const second = note([closed.actor.iri, another.actor.iri]);
    for (const object of [first, second]) {
      expect((await post({ id: newId(carol), type: "Create", actor: carol.iri, object }, carol)).status).toBe(202);
    }
    expect(await postByIri(first.id)).toMatchObject({ group_id: another.actor.id, visibility: "group" });
    expect(await postByIri(second.id)).toMatchObject({ group_id: closed.actor.id, visibility: "group" });
    await clearDeliveries();
  });
});
