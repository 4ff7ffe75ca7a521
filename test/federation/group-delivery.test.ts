/**
 * What a local group sends, to whom: its Announces reach its current members'
 * servers only, never a member its author blocks, never a pending one; a gone
 * member leaves the group.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { block } from "../../src/domain/blocks.ts";
import { createGroup, findGroup } from "../../src/domain/groups.ts";
import { decideRequest } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { markActorGone } from "../../src/domain/remote-actors.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let carolServer: FakeRemote;
let daveServer: FakeRemote;
let erinServer: FakeRemote;
let anna: Actor;
let carol: FakeActor;
let dave: FakeActor;
let erin: FakeActor;
let groupId: string;

const actorRow = async (iri: string) =>
  (await plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst())!;

beforeAll(async () => {
  [plein, carolServer, daveServer, erinServer] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote(), startFakeRemote()]);
  anna = await plein.user("anna");
  const group = await createGroup(plein.db, plein.origin, anna, { name: "team", visibility: "closed", joinMode: "approval", modules: [] });
  groupId = group.actor.id;
  [carol, dave, erin] = await Promise.all([carolServer.actor("carol"), daveServer.actor("dave"), erinServer.actor("erin")]);
  for (const member of [carol, dave, erin]) {
    const res = await deliver(plein.running.app, plein.origin, "/users/team/inbox",
      { "@context": AS_CONTEXT, id: newId(member), type: "Follow", actor: member.iri, object: group.actor.iri }, member);
    expect(res.status).toBe(202);
  }
  await plein.drain();
  const view = (await findGroup(plein.db, groupId))!;
  // carol and dave are approved; erin's request stays pending.
  for (const member of [carol, dave]) await decideRequest(plein.db, view, anna, await actorRow(member.iri), true);
  await plein.deliverQueued();
});

afterAll(async () => {
  await Promise.all([carolServer?.close(), daveServer?.close(), erinServer?.close()]);
  await plein?.close();
});

const announcesOf = (server: FakeRemote, objectIri: string) => server.received
  .filter((r) => r.method === "POST")
  .map((r) => JSON.parse(r.body) as Record<string, unknown>)
  .filter((b) => b.type === "Announce" && JSON.stringify(b.object).includes(objectIri));

describe("a local group's deliveries", () => {
  test("reach approved members only, and never one the author blocks", async () => {
    await block(plein.db, plein.origin, anna, await actorRow(dave.iri));
    const post = await createLocalPost(plein.db, plein.origin, anna, { contentHtml: "<p>Alleen voor leden</p>", visibility: "public", groupId });
    expect(post.visibility).toBe("group");
    await plein.deliverQueued();
    expect(announcesOf(carolServer, post.iri)).toHaveLength(1);
    expect(announcesOf(daveServer, post.iri)).toHaveLength(0);
    expect(announcesOf(erinServer, post.iri)).toHaveLength(0);
    const announce = announcesOf(carolServer, post.iri)[0]!;
    expect(announce.actor).toBe(`${plein.origin.origin}/users/team`);
    expect(JSON.stringify(announce)).not.toContain("https://www.w3.org/ns/activitystreams#Public");
  });

  test("a member who is gone leaves the group", async () => {
    const carolRow = await actorRow(carol.iri);
    await markActorGone(plein.db, carolRow.id);
    const rows = await plein.db.selectFrom("memberships").select("member_id").where("group_id", "=", groupId).execute();
    expect(rows.map((r) => r.member_id)).not.toContain(carolRow.id);
    const post = await createLocalPost(plein.db, plein.origin, anna, { contentHtml: "<p>Na carol</p>", visibility: "public", groupId });
    await plein.deliverQueued();
    expect(announcesOf(carolServer, post.iri)).toHaveLength(0);
  });
});
