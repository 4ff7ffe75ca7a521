/**
 * Plein is a member's server of a closed group on another server. A reply
 * sent straight to Plein (not through the group) to one of that group's
 * closed posts stays as closed as its thread, whatever it claims: public
 * content never hangs off a closed thread.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Actor, Post } from "../../src/db/schema.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { canView, ANONYMOUS } from "../../src/domain/visibility.ts";
import { deliver, type FakeActor, type FakeRemote, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let group: FakeActor;
let author: FakeActor;
let neighbour: FakeActor;
let thread: Post;

const AS = "https://www.w3.org/ns/activitystreams";

beforeAll(async () => {
  plein = await startInboxInstance();
  remote = await startFakeRemote();
  alice = await plein.user("alice");
  [group, author, neighbour] = await Promise.all([remote.actor("kring", { type: "Group" }), remote.actor("auteur"), remote.actor("buur")]);
  const resolver = plein.running.deps.resolver;
  const [groupRow, authorRow] = [(await resolver.resolveActor(group.iri))!, (await resolver.resolveActor(author.iri))!];
  await plein.db.insertInto("memberships").values({ group_id: groupRow.id, member_id: alice.id, state: "member", role: "member" }).execute();
  thread = await upsertRemotePost(plein.db, authorRow, {
    iri: remote.url("/notes/closed-thread"), url: null, type: "Note", visibility: "group", inReplyToIri: null, name: null, summary: null,
    sensitive: false, contentHtml: "<p>vertrouwelijk</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [],
    tags: [], attachments: [], extra: {}, groupId: groupRow.id,
  }, "create");
});

afterAll(async () => {
  await plein?.close();
  await remote?.close();
});

it("a public reply to a closed thread of a remote group is kept to the group's members", async () => {
  const iri = remote.url("/notes/public-reply");
  const res = await deliver(plein.running.app, plein.origin, "/inbox", {
    "@context": AS, id: remote.url("/activities/reply-1"), type: "Create", actor: neighbour.iri, to: [PUBLIC],
    object: { id: iri, type: "Note", attributedTo: neighbour.iri, content: "<p>iedereen mag dit zien</p>", inReplyTo: thread.iri, to: [PUBLIC], published: new Date().toISOString() },
  }, neighbour);
  expect(res.status).toBe(202);
  await plein.drain();
  const reply = await plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
  // Stored under the thread, in the group, for its members; never public.
  expect(reply).toMatchObject({ in_reply_to_id: thread.id, group_id: thread.group_id, visibility: "group" });
  expect(await canView(plein.db, ANONYMOUS, reply!.id)).toBe(false);
  expect(await canView(plein.db, { kind: "local", actorId: alice.id }, reply!.id)).toBe(true);
});
