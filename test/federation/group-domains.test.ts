/**
 * A group that takes members only from listed domains, asked by people of
 * other servers (hostile and honest peers on loopback): a Follow or Join from
 * elsewhere is answered with a Reject that says why, and nothing is kept;
 * members from before a change of the list stay.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createGroup, findGroup, type GroupView, updateGroup } from "../../src/domain/groups.ts";
import { decideRequest, invite } from "../../src/domain/membership.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let server: FakeRemote; // 127.0.0.1
let elsewhere: FakeRemote; // 127.0.0.2
let anna: Actor;
let carol: FakeActor;
let dave: FakeActor;
let erin: FakeActor; // on 127.0.0.2
let split: FakeActor; // actor on 127.0.0.1, shared inbox on localhost

beforeAll(async () => {
  [plein, server, elsewhere] = await Promise.all([startInboxInstance(), startFakeRemote(), startFakeRemote({ host: "127.0.0.2" })]);
  anna = await plein.user("anna");
  [carol, dave, erin] = await Promise.all([server.actor("carol"), server.actor("dave"), elsewhere.actor("erin")]);
  split = await server.actor("split", { document: { endpoints: { sharedInbox: server.url("/inbox").replace("127.0.0.1", "localhost") } } });
});

afterAll(async () => {
  await Promise.all([server?.close(), elsewhere?.close()]);
  await plein?.close();
});

const actorRow = async (iri: string) => (await plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst())!;
const membership = async (group: GroupView, who: FakeActor) => plein.db.selectFrom("memberships").innerJoin("actors", "actors.id", "memberships.member_id")
  .select(["memberships.state"]).where("memberships.group_id", "=", group.actor.id).where("actors.iri", "=", who.iri).executeTakeFirst();

async function ask(group: GroupView, who: FakeActor, type: "Follow" | "Join" = "Follow"): Promise<string> {
  const id = newId(who);
  const res = await deliver(plein.running.app, plein.origin, `/users/${group.actor.username}/inbox`,
    { "@context": AS_CONTEXT, id, type, actor: who.iri, object: group.actor.iri }, who);
  expect(res.status).toBe(202);
  await plein.drain();
  await plein.deliverQueued();
  return id;
}

/** The answer (Accept or Reject) `remote` received to the request `requestId`. */
function answerTo(remote: FakeRemote, requestId: string): Record<string, unknown> | undefined {
  return remote.received.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .find((b) => (b.type === "Accept" || b.type === "Reject") && JSON.stringify(b.object).includes(requestId));
}

async function group(name: string, allowedDomains: string[], joinMode: "open" | "approval" = "open"): Promise<GroupView> {
  return createGroup(plein.db, plein.origin, anna, { name, visibility: "closed", joinMode, allowedDomains, modules: [] });
}

describe("a group that takes members from listed domains only", () => {
  test("a Follow or Join from another server is rejected with the reason, and nothing is kept", async () => {
    const g = await group("rijk", ["*.rijksoverheid.nl"], "approval");
    for (const type of ["Follow", "Join"] as const) {
      const id = await ask(g, carol, type);
      const answer = answerTo(server, id);
      expect(answer?.type, type).toBe("Reject");
      expect(answer?.summary).toBe("This group accepts members only from *.rijksoverheid.nl; 127.0.0.1 is not among them");
      expect(await membership(g, carol)).toBeUndefined();
    }
    const notes = await plein.db.selectFrom("notifications").select("id").where("group_id", "=", g.actor.id).execute();
    expect(notes).toEqual([]);
  });

  test("from a listed server: taken in; taken off the list, a member stays and a request is refused", async () => {
    const g = await group("lokaal", ["127.0.0.1"]);
    expect(answerTo(server, await ask(g, dave))?.type).toBe("Accept");
    expect(await membership(g, dave)).toEqual({ state: "member" });
    // Every server the actor involves must be listed: an inbox on another host is refused.
    const splitAnswer = answerTo(server, await ask(g, split));
    expect(splitAnswer?.type).toBe("Reject");
    expect(splitAnswer?.summary).toMatch(/localhost is not among them/);
    expect(answerTo(elsewhere, await ask(g, erin))?.summary).toMatch(/127\.0\.0\.2 is not among them/);

    // carol asks while the group needs approval; then the list changes.
    const approval = await updateGroup(plein.db, plein.origin, g, anna, { joinMode: "approval" }, true);
    await ask(approval, carol);
    expect(await membership(g, carol)).toEqual({ state: "pending" });
    const narrowed = await updateGroup(plein.db, plein.origin, approval, anna, { allowedDomains: ["*.rijksoverheid.nl"] }, true);
    expect(await membership(g, dave)).toEqual({ state: "member" });
    // dave's server follows again (as servers do after a restart): still a member.
    expect(answerTo(server, await ask(narrowed, dave))?.type).toBe("Accept");
    expect(await membership(g, dave)).toEqual({ state: "member" });
    // carol's waiting request cannot be approved; asking again drops it with the reason.
    await expect(decideRequest(plein.db, (await findGroup(plein.db, g.actor.id))!, anna, await actorRow(carol.iri), true))
      .rejects.toThrow(/accepts members only from \*\.rijksoverheid\.nl/);
    expect(answerTo(server, await ask(narrowed, carol))?.type).toBe("Reject");
    expect(await membership(g, carol)).toBeUndefined();
  });

  test("an invitation from before the list changed admits nobody from outside it", async () => {
    const g = await group("uitnodiging", ["127.0.0.1"]);
    await invite(plein.db, g, anna, await actorRow(dave.iri));
    const inviteIri = (await plein.db.selectFrom("memberships").select("activity_iri")
      .where("group_id", "=", g.actor.id).where("state", "=", "invited").executeTakeFirstOrThrow()).activity_iri!;
    const narrowed = await updateGroup(plein.db, plein.origin, g, anna, { allowedDomains: ["*.rijksoverheid.nl"] }, true);
    const res = await deliver(plein.running.app, plein.origin, `/users/${g.actor.username}/inbox`,
      { "@context": AS_CONTEXT, id: newId(dave), type: "Accept", actor: dave.iri, object: inviteIri }, dave);
    expect(res.status).toBe(202);
    await plein.drain();
    expect(await membership(g, dave)).toEqual({ state: "invited" });
    // Joining instead is refused with the reason, and the invitation goes.
    expect(answerTo(server, await ask(narrowed, dave))?.summary).toMatch(/127\.0\.0\.1 is not among them/);
    expect(await membership(g, dave)).toBeUndefined();
  });
});
