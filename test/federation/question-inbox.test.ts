/**
 * The accepted answer on receipt, against hand-written peers that sign what
 * they send (test/support/fake-remote.ts), on one Plein instance:
 * - Plein hosts the group: a member who is neither the asker nor a moderator
 *   is refused; a moderator is taken, and the group Announces the decision
 *   (the Accept embedded) to its members' servers;
 * - Plein is a member's server of a remote group: a decision counts only
 *   when the question's own group Announces it, by the asker or by someone
 *   the group lists as moderator (attributedTo), and a decision older than
 *   the stored one changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor, Post } from "../../src/db/schema.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { type RemotePostInput, upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { questionDb } from "../../src/modules/question/schema.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { deliver, type FakeActor, type FakeRemote, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

type Json = Record<string, unknown>;

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor; // local

const AS = "https://www.w3.org/ns/activitystreams";
let counter = 0;
const nextId = (actor: FakeActor, kind: string) => `${actor.iri}/${kind}/${++counter}`;

async function send(activity: Json, signer: FakeActor): Promise<void> {
  const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS, ...activity }, signer);
  expect(res.status).toBe(202);
  await plein.drain();
}

async function stored(question: Post) {
  return questionDb(plein.db).selectFrom("question_answers").selectAll().where("post_id", "=", question.id).executeTakeFirst();
}

function remotePost(author: Actor, fields: Partial<RemotePostInput> & { iri: string }): Promise<Post> {
  return upsertRemotePost(plein.db, author, {
    url: null, type: "Note", visibility: "public", inReplyToIri: null, name: null, summary: null, sensitive: false,
    contentHtml: "<p>tekst</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [],
    attachments: [], extra: {}, ...fields,
  }, "create");
}

async function member(groupId: string, actor: Actor, role: "member" | "moderator" = "member"): Promise<void> {
  await plein.db.insertInto("memberships").values({ group_id: groupId, member_id: actor.id, state: "member", role })
    .onConflict((oc) => oc.columns(["group_id", "member_id"]).doUpdateSet({ role, state: "member" })).execute();
}

const resolve = async (actor: FakeActor) => (await plein.running.deps.resolver.resolveActor(actor.iri))!;

beforeAll(async () => {
  plein = await startInboxInstance();
  remote = await startFakeRemote();
  alice = await plein.user("alice");
});

afterAll(async () => {
  await plein?.close();
  await remote?.close();
});

describe("Plein hosts the group", () => {
  let rando: FakeActor;
  let randoRow: Actor;
  let question: Post;
  let answer: Post;
  let groupIri: string;

  beforeAll(async () => {
    rando = await remote.actor("rando");
    randoRow = await resolve(rando);
    const group = await createGroup(plein.db, plein.origin, alice, { name: "vraaggroep", visibility: "public", joinMode: "open", modules: defaultModules() });
    groupIri = group.actor.iri;
    await member(group.actor.id, randoRow);
    question = await createLocalPost(plein.db, plein.origin, alice, {
      type: "Page", name: "Hoe lang duurt het?", contentHtml: "<p>Vraag</p>", visibility: "public", groupId: group.actor.id, module: "question",
    });
    answer = await remotePost(randoRow, { iri: remote.url("/notes/answer-1"), inReplyToIri: question.iri, groupId: group.actor.id });
    expect(answer.in_reply_to_id).toBe(question.id);
    await plein.deliverQueued();
  });

  const acceptBy = (actor: FakeActor): Json => ({
    id: nextId(actor, "accept"), type: "Accept", actor: actor.iri, object: answer.iri, target: question.iri, to: [groupIri],
  });

  it("a member who is neither the asker nor a moderator is refused, and nothing goes out", async () => {
    const posts = () => remote.received.filter((r) => r.method === "POST").length;
    const before = posts();
    await send(acceptBy(rando), rando);
    expect(await stored(question)).toBeUndefined();
    expect(await plein.deliverQueued()).toBe(0);
    expect(posts()).toBe(before);
  });

  it("a moderator's Accept is recorded, and the group Announces it to its members with the Accept embedded", async () => {
    await member(question.group_id!, randoRow, "moderator");
    const activity = acceptBy(rando);
    await send(activity, rando);
    expect(await stored(question)).toMatchObject({ answer_iri: answer.iri, accepted_by: randoRow.id, activity_iri: activity.id });
    expect(await plein.deliverQueued()).toBe(1);
    const announce = remote.received.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body) as Json).find((b) => b.type === "Announce" && (b.object as Json).type === "Accept")!;
    expect(announce).toMatchObject({ actor: groupIri, audience: groupIri, to: PUBLIC });
    expect(announce.object).toMatchObject({ type: "Accept", id: activity.id, actor: rando.iri, object: answer.iri, target: question.iri });
    expect(Date.parse((announce.object as Json).published as string)).not.toBeNaN();
  });

  it("a Reject of an answer that is not the accepted one changes nothing; of the accepted one, clears it", async () => {
    await send({ ...acceptBy(rando), id: nextId(rando, "reject"), type: "Reject", object: remote.url("/notes/other") }, rando);
    expect((await stored(question))?.answer_iri).toBe(answer.iri);
    await send({ ...acceptBy(rando), id: nextId(rando, "reject"), type: "Reject" }, rando);
    expect(await stored(question)).toMatchObject({ answer_iri: null, accepted_by: null, accepted_at: null });
    await plein.deliverQueued();
  });
});

describe("Plein is a member's server of a remote group", () => {
  let group: FakeActor;
  let other: FakeActor;
  let asker: FakeActor;
  let mod: FakeActor;
  let rando: FakeActor;
  let groupRow: Actor;
  let question: Post;
  let answers: Post[];

  beforeAll(async () => {
    [asker, mod, rando] = await Promise.all([remote.actor("asker"), remote.actor("mod"), remote.actor("rando2")]);
    group = await remote.actor("club", { type: "Group", document: { attributedTo: [mod.iri] } });
    other = await remote.actor("otherclub", { type: "Group", document: { attributedTo: [rando.iri] } });
    groupRow = await resolve(group);
    await member(groupRow.id, alice);
    // alice is in the other group too: its Announces reach the module, which must refuse them itself.
    await member((await resolve(other)).id, alice);
    const askerRow = await resolve(asker);
    const randoRow = await resolve(rando);
    question = await remotePost(askerRow, {
      iri: remote.url("/pages/q1"), type: "Page", name: "Wie weet het?", groupId: groupRow.id, module: "question",
    });
    answers = [
      await remotePost(randoRow, { iri: remote.url("/notes/a1"), inReplyToIri: question.iri, groupId: groupRow.id }),
      await remotePost(randoRow, { iri: remote.url("/notes/a2"), inReplyToIri: question.iri, groupId: groupRow.id }),
    ];
  });

  function announced(by: FakeActor, inner: Json, published: string, announcer = group): Json {
    return {
      id: nextId(announcer, "announce"), type: "Announce", actor: announcer.iri, to: [PUBLIC],
      object: { id: nextId(by, "accept"), type: "Accept", actor: by.iri, object: answers[0]!.iri, target: question.iri, published, ...inner },
    };
  }

  it("taken from the group, by the asker", async () => {
    await send(announced(asker, {}, "2030-01-01T10:00:00Z"), group);
    expect(await stored(question)).toMatchObject({ answer_iri: answers[0]!.iri, decided_at: new Date("2030-01-01T10:00:00Z") });
  });

  it("by a moderator the group lists; not by someone it does not list", async () => {
    await send(announced(rando, { object: answers[1]!.iri }, "2030-01-01T11:00:00Z"), group);
    expect((await stored(question))?.answer_iri).toBe(answers[0]!.iri);
    await send(announced(mod, { object: answers[1]!.iri }, "2030-01-01T11:00:00Z"), group);
    expect((await stored(question))?.answer_iri).toBe(answers[1]!.iri);
  });

  it("an older decision arriving late changes nothing", async () => {
    await send(announced(asker, {}, "2030-01-01T10:30:00Z"), group);
    expect((await stored(question))?.answer_iri).toBe(answers[1]!.iri);
  });

  it("not from another group, nor from the asker directly, nor about an answer to another post, nor undated", async () => {
    await send(announced(rando, {}, "2030-01-01T12:00:00Z", other), other);
    await send({ id: nextId(asker, "accept"), type: "Accept", actor: asker.iri, object: answers[0]!.iri, target: question.iri, published: "2030-01-01T12:00:00Z" }, asker);
    const stray = await remotePost(await resolve(rando), { iri: remote.url("/notes/stray"), groupId: groupRow.id });
    await send(announced(asker, { object: stray.iri }, "2030-01-01T12:00:00Z"), group);
    const undated = announced(asker, {}, "x");
    delete (undated.object as Json).published;
    await send(undated, group);
    // An Accept embedded with an id of another origin than its actor.
    await send(announced(asker, { id: `https://elsewhere.example/accept/${++counter}` }, "2030-01-01T12:00:00Z"), group);
    expect((await stored(question))?.answer_iri).toBe(answers[1]!.iri);
  });

  it("the group's Reject clears it", async () => {
    await send(announced(asker, { type: "Reject", object: answers[1]!.iri }, "2030-01-01T13:00:00Z"), group);
    expect(await stored(question)).toMatchObject({ answer_iri: null, decided_at: new Date("2030-01-01T13:00:00Z") });
  });
});
