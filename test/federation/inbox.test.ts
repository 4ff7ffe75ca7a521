/**
 * The inbox, activity by activity: signed deliveries from a real remote HTTP
 * server to a real Plein instance, and what the database holds afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { block } from "../../src/domain/blocks.ts";
import { follow } from "../../src/domain/follows.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { DELIVERY_QUEUE } from "../../src/domain/jobs.ts";
import { events } from "../../src/modules/event/tables.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, publicNote, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

let plein: InboxInstance;
let remote: FakeRemote;
let alice: Actor;
let carol: Actor;
let bob: FakeActor;
let dave: FakeActor;

beforeAll(async () => {
  [plein, remote] = await Promise.all([startInboxInstance(), startFakeRemote()]);
  alice = await plein.user("alice");
  carol = await plein.user("carol", { locked: true });
  bob = await remote.actor("bob");
  dave = await remote.actor("dave");
});

afterAll(async () => {
  await remote?.close();
  await plein?.close();
});

/** Delivers to the shared inbox, signed by `by`, then processes the queue. */
async function send(activity: Record<string, unknown>, by: FakeActor = bob, inbox = "/inbox"): Promise<number> {
  const res = await deliver(plein.running.app, plein.origin, inbox, { "@context": AS_CONTEXT, ...activity }, by);
  await plein.drain();
  return res.status;
}

const note = (by: FakeActor, fields: Record<string, unknown> = {}) => publicNote(by, fields, "<p>Hello</p>");

const postByIri = (iri: string) => plein.db.selectFrom("posts").selectAll().where("iri", "=", iri).executeTakeFirst();
const followRow = (followerId: string, followeeId: string) =>
  plein.db.selectFrom("follows").selectAll().where("follower_id", "=", followerId).where("followee_id", "=", followeeId).executeTakeFirst();
const actorRow = (iri: string) => plein.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();

async function deliveries(type: string) {
  const rows = await plein.db.selectFrom("queue_messages").select("payload").where("queue", "=", DELIVERY_QUEUE).execute();
  return rows.map((r) => r.payload as Record<string, unknown>).filter((p) => p.type === type);
}

describe("Follow, Accept, Reject, Undo Follow", () => {
  test("a Follow of an open account is accepted at once and an Accept is queued", async () => {
    const id = newId(bob);
    expect(await send({ id, type: "Follow", actor: bob.iri, object: alice.iri }, bob, "/users/alice/inbox")).toBe(202);
    const bobRow = (await actorRow(bob.iri))!;
    expect(bobRow.local).toBe(false);
    expect(bobRow.username).toBe("bob");
    expect(bobRow.summary_html).toBe("<p>Hello world</p>");
    const row = await followRow(bobRow.id, alice.id);
    expect(row?.state).toBe("accepted");
    expect(row?.activity_iri).toBe(id);
    const accepts = await deliveries("follow.accept");
    expect(accepts).toContainEqual(expect.objectContaining({ followerId: bobRow.id, followeeId: alice.id, activityIri: id }));
  });

  test("a Follow of a locked account stays pending, with no Accept", async () => {
    const before = (await deliveries("follow.accept")).length;
    expect(await send({ id: newId(dave), type: "Follow", actor: dave.iri, object: carol.iri }, dave)).toBe(202);
    const daveRow = (await actorRow(dave.iri))!;
    expect((await followRow(daveRow.id, carol.id))?.state).toBe("pending");
    expect((await deliveries("follow.accept")).length).toBe(before);
  });

  test("a Follow of something that is not a local actor stores nothing", async () => {
    const id = newId(dave);
    expect(await send({ id, type: "Follow", actor: dave.iri, object: remote.url("/users/nobody") }, dave)).toBe(202);
    const daveRow = (await actorRow(dave.iri))!;
    const rows = await plein.db.selectFrom("follows").select("id").where("follower_id", "=", daveRow.id).execute();
    expect(rows).toHaveLength(1); // only the pending follow of carol
  });

  test("Undo Follow ends the follow", async () => {
    const bobRow = (await actorRow(bob.iri))!;
    const followId = (await followRow(bobRow.id, alice.id))!.activity_iri;
    expect(await send({ id: newId(bob), type: "Undo", actor: bob.iri, object: { id: followId, type: "Follow", actor: bob.iri, object: alice.iri } })).toBe(202);
    expect(await followRow(bobRow.id, alice.id)).toBeUndefined();
  });

  test("a Follow from an actor the followee blocks gets a Reject that reaches it, and nothing else changes", async () => {
    const eve = await remote.actor("eve");
    expect(await send({ id: newId(eve), type: "Follow", actor: eve.iri, object: alice.iri }, eve)).toBe(202);
    const eveRow = (await actorRow(eve.iri))!;
    expect((await followRow(eveRow.id, alice.id))?.state).toBe("accepted");
    await block(plein.db, plein.origin, alice, eveRow);
    await plein.deliverQueued();
    const followsBefore = await plein.db.selectFrom("follows").selectAll().orderBy("id").execute();
    const blocksBefore = await plein.db.selectFrom("blocks").selectAll().execute();

    const followId = newId(eve);
    expect(await send({ id: followId, type: "Follow", actor: eve.iri, object: alice.iri }, eve)).toBe(202);
    expect(await plein.db.selectFrom("follows").selectAll().orderBy("id").execute()).toEqual(followsBefore);
    expect(await plein.db.selectFrom("blocks").selectAll().execute()).toEqual(blocksBefore);
    const processed = await plein.db.selectFrom("processed_activities").select("activity_iri")
      .where("activity_iri", "=", followId).executeTakeFirst();
    expect(processed).toBeDefined();

    expect(await plein.deliverQueued()).toBe(1);
    const rejects = remote.received
      .filter((r) => r.method === "POST" && [new URL(eve.inbox).pathname, "/inbox"].includes(r.path))
      .map((r) => JSON.parse(r.body) as Record<string, unknown>)
      .filter((b) => b.type === "Reject" && b.actor === alice.iri);
    expect(rejects).toHaveLength(1);
    const rejected = rejects[0]!.object as Record<string, unknown>;
    expect(rejected.id).toBe(followId);
    expect(rejected.actor).toBe(eve.iri);
  });

  test("Accept of our Follow, by the followee, accepts it; Reject removes it", async () => {
    const bobRow = (await actorRow(bob.iri))!;
    const ours = await follow(plein.db, plein.origin, alice, bobRow);
    expect(ours.state).toBe("pending");
    expect(await send({ id: newId(bob), type: "Accept", actor: bob.iri, object: { id: ours.activity_iri, type: "Follow", actor: alice.iri, object: bob.iri } })).toBe(202);
    expect((await followRow(alice.id, bobRow.id))?.state).toBe("accepted");
    expect(await send({ id: newId(bob), type: "Reject", actor: bob.iri, object: ours.activity_iri })).toBe(202);
    expect(await followRow(alice.id, bobRow.id)).toBeUndefined();
  });

  test("Accept by someone who is not the followee changes nothing", async () => {
    const bobRow = (await actorRow(bob.iri))!;
    const ours = await follow(plein.db, plein.origin, alice, bobRow);
    expect(await send({ id: newId(dave), type: "Accept", actor: dave.iri, object: ours.activity_iri }, dave)).toBe(202);
    expect(await send({ id: newId(dave), type: "Accept", actor: dave.iri, object: { type: "Follow", actor: alice.iri, object: bob.iri } }, dave)).toBe(202);
    expect((await followRow(alice.id, bobRow.id))?.state).toBe("pending");
    // The followee itself, naming the follow by its actor and object only:
    expect(await send({ id: newId(bob), type: "Accept", actor: bob.iri, object: { type: "Follow", actor: alice.iri, object: bob.iri } })).toBe(202);
    expect((await followRow(alice.id, bobRow.id))?.state).toBe("accepted");
  });
});

describe("Create, Update, Delete", () => {
  test("Create stores the post with sanitised content, tags, mentions and attachments", async () => {
    const object = note(bob, {
      content: '<p onclick="x()">Hi <a href="javascript:alert(1)">click</a> <a href="/settings">rel</a> '
        + '<a href="https://example.org/x" target="_blank" class="hashtag evil">#tag</a><script>alert(1)</script>'
        + '<img src="https://example.org/i.png"><iframe src="https://evil.example"></iframe><strong>bold</strong></p>',
      summary: "CW <b>here</b>",
      tag: [
        { type: "Hashtag", name: "#Plein", href: "https://example.org/tags/plein" },
        { type: "Mention", name: "@alice", href: alice.iri },
      ],
      attachment: [
        { type: "Document", mediaType: "image/png", url: "https://example.org/a.png", name: "an image", width: 10, height: 20 },
        { type: "Document", mediaType: "image/png", url: "javascript:alert(1)" },
      ],
      contentMap: undefined,
    });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, to: [PUBLIC], object })).toBe(202);
    const post = await postByIri(object.id as string);
    expect(post).toBeDefined();
    expect(post!.visibility).toBe("public");
    expect(post!.local).toBe(false);
    expect(post!.summary).toBe("CW here");
    expect(post!.sensitive).toBe(true);
    const html = post!.content_html;
    expect(html).not.toMatch(/script|onclick|javascript:|<img|<iframe|target=/i);
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('<a rel="nofollow noopener noreferrer" href="https://example.org/x" class="hashtag">#tag</a>');
    expect(html).toContain('<a rel="nofollow noopener noreferrer">rel</a>');
    const tags = await plein.db.selectFrom("post_tags").select("tag").where("post_id", "=", post!.id).execute();
    expect(tags.map((t) => t.tag)).toEqual(["plein"]);
    const mentions = await plein.db.selectFrom("post_mentions").select("actor_id").where("post_id", "=", post!.id).execute();
    expect(mentions.map((m) => m.actor_id)).toEqual([alice.id]);
    const attachments = await plein.db.selectFrom("post_attachments").selectAll().where("post_id", "=", post!.id).execute();
    expect(attachments).toHaveLength(1);
    expect(attachments[0]).toMatchObject({ url: "https://example.org/a.png", media_type: "image/png", description: "an image", width: 10, height: 20 });
  });

  test("addressing decides the scope: unlisted, followers-only, direct", async () => {
    const unlisted = note(bob, { to: [bob.followers], cc: [PUBLIC] });
    const followers = note(bob, { to: [bob.followers], cc: [] });
    const direct = note(bob, { to: [alice.iri], cc: [], tag: [{ type: "Mention", href: alice.iri }] });
    for (const object of [unlisted, followers, direct]) {
      expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    }
    expect((await postByIri(unlisted.id as string))?.visibility).toBe("unlisted");
    expect((await postByIri(followers.id as string))?.visibility).toBe("followers");
    expect((await postByIri(direct.id as string))?.visibility).toBe("direct");
  });

  test("a reply to a local post is linked to it and counted", async () => {
    const parent = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>parent</p>", visibility: "public" });
    const reply = note(bob, { inReplyTo: parent.iri });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object: reply })).toBe(202);
    const stored = await postByIri(reply.id as string);
    expect(stored?.in_reply_to_id).toBe(parent.id);
    expect((await postByIri(parent.iri))?.replies_count).toBe(1);
  });

  test("a reply to an unknown remote post fetches its ancestors, a bounded number of them", async () => {
    const serveNote = (n: Record<string, unknown>) =>
      remote.serve(new URL(n.id as string).pathname, { body: { "@context": AS_CONTEXT, ...n } });
    // A chain root <- a1 <- a2 <- a3 <- a4, all on the remote; only a4's reply arrives.
    const chain: Array<Record<string, unknown>> = [note(dave, { content: "<p>root</p>" })];
    for (let i = 1; i <= 4; i++) chain.push(note(i % 2 ? bob : dave, { inReplyTo: chain[i - 1]!.id, content: `<p>a${i}</p>` }));
    chain.forEach(serveNote);
    const reply = note(bob, { inReplyTo: chain[4]!.id, content: "<p>the reply</p>" });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object: reply })).toBe(202);

    const stored = await Promise.all([...chain, reply].map((n) => postByIri(n.id as string)));
    // The reply, then its parent and two more: three fetches at most.
    expect(stored.map((p) => p !== undefined)).toEqual([false, false, true, true, true, true]);
    expect(stored[5]?.in_reply_to_id).toBe(stored[4]?.id);
    expect(stored[4]?.in_reply_to_id).toBe(stored[3]?.id);
    expect(stored[3]?.in_reply_to_id).toBe(stored[2]?.id);
    expect(stored[2]?.in_reply_to_id).toBeNull();
    expect(stored[2]?.in_reply_to_iri).toBe(chain[1]!.id);
  });

  test("a reply whose parent cannot be fetched is stored all the same", async () => {
    const reply = note(bob, { inReplyTo: remote.url("/notes/never-served"), content: "<p>orphan</p>" });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object: reply })).toBe(202);
    const stored = await postByIri(reply.id as string);
    expect(stored?.in_reply_to_id).toBeNull();
    expect(stored?.in_reply_to_iri).toBe(remote.url("/notes/never-served"));
  });

  test("Update by the owner edits the post but never its scope", async () => {
    const object = note(bob, { to: [bob.followers], cc: [] });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    expect(await send({
      id: newId(bob), type: "Update", actor: bob.iri,
      object: { ...object, to: [PUBLIC], content: "<p>edited <script>x</script></p>", updated: "2024-01-02T00:00:00Z" },
    })).toBe(202);
    const post = await postByIri(object.id as string);
    expect(post?.content_html).toBe("<p>edited </p>");
    expect(post?.edited_at).not.toBeNull();
    expect(post?.visibility).toBe("followers");
  });

  test("an Update older than the stored edit (delivered late, or replayed) changes nothing", async () => {
    const object = note(bob);
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    const update = (content: string, updated?: string) => send({
      id: newId(bob), type: "Update", actor: bob.iri, object: { ...object, content, ...(updated ? { updated } : {}) },
    });
    expect(await update("<p>third</p>", "2024-01-03T00:00:00Z")).toBe(202);
    expect(await update("<p>second</p>", "2024-01-02T00:00:00Z")).toBe(202);
    expect(await update("<p>undated</p>")).toBe(202);
    let post = await postByIri(object.id as string);
    expect(post?.content_html).toBe("<p>third</p>");
    expect(post?.edited_at?.toISOString()).toBe("2024-01-03T00:00:00.000Z");
    expect(await update("<p>fourth</p>", "2024-01-04T00:00:00Z")).toBe(202);
    post = await postByIri(object.id as string);
    expect(post?.content_html).toBe("<p>fourth</p>");
  });

  test("Update of the actor itself refetches its profile from its origin", async () => {
    bob.document.name = "Bob Renamed";
    bob.publish();
    expect(await send({ id: newId(bob), type: "Update", actor: bob.iri, object: { ...bob.document, name: "Forged Name" } })).toBe(202);
    expect((await actorRow(bob.iri))?.display_name).toBe("Bob Renamed");
  });

  test("Delete by the owner tombstones the post", async () => {
    const object = note(bob);
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    expect(await send({ id: newId(bob), type: "Delete", actor: bob.iri, object: { id: object.id, type: "Tombstone" } })).toBe(202);
    const post = await postByIri(object.id as string);
    expect(post?.deleted_at).not.toBeNull();
    expect(post?.content_html).toBe("");
  });

  test("Create of an unsupported object type stores nothing", async () => {
    const object = note(bob, { type: "ChatMessage" });
    expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    expect(await postByIri(object.id as string)).toBeUndefined();
  });

  test("Article, Page, Event and Question are stored with their type and fields", async () => {
    const article = note(bob, { type: "Article", name: "A <i>title</i>" });
    const page = note(bob, { type: "Page", name: "A discussion" });
    const event = note(bob, { type: "Event", name: "Meetup", startTime: "2030-01-01T10:00:00Z", endTime: "2030-01-01T12:00:00Z", location: { type: "Place", name: "Utrecht" } });
    const poll = note(bob, { type: "Question", oneOf: [{ type: "Note", name: "yes", replies: { type: "Collection", totalItems: 3 } }, { type: "Note", name: "no" }] });
    for (const object of [article, page, event, poll]) {
      expect(await send({ id: newId(bob), type: "Create", actor: bob.iri, object })).toBe(202);
    }
    const a = await postByIri(article.id as string);
    expect(a).toMatchObject({ type: "Article", name: "A title" });
    expect(await postByIri(page.id as string)).toMatchObject({ type: "Page", name: "A discussion" });
    const e = await postByIri(event.id as string);
    expect(e).toMatchObject({ type: "Event", module: "event", extra: {} });
    // An Event's fields are its module's (src/modules/event).
    const details = await events(plein.db).selectFrom("event_details").selectAll().where("post_id", "=", e!.id).executeTakeFirst();
    expect(details).toMatchObject({
      starts_at: new Date("2030-01-01T10:00:00Z"), ends_at: new Date("2030-01-01T12:00:00Z"), location_name: "Utrecht", time_zone: "UTC",
    });
    const q = await postByIri(poll.id as string);
    expect(q?.type).toBe("Question");
    expect(q?.extra).toMatchObject({ poll: { options: [{ title: "yes", votes: 3 }, { title: "no", votes: 0 }], multiple: false } });
  });
});

describe("Like, Announce and their Undo", () => {
  test("Like counts once per actor; Undo Like uncounts", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>like me</p>", visibility: "public" });
    const likeId = newId(bob);
    expect(await send({ id: likeId, type: "Like", actor: bob.iri, object: post.iri })).toBe(202);
    expect(await send({ id: newId(bob), type: "Like", actor: bob.iri, object: post.iri })).toBe(202);
    expect(await send({ id: newId(dave), type: "Like", actor: dave.iri, object: post.iri }, dave)).toBe(202);
    expect((await postByIri(post.iri))?.likes_count).toBe(2);
    expect(await send({ id: newId(bob), type: "Undo", actor: bob.iri, object: { id: likeId, type: "Like", actor: bob.iri, object: post.iri } })).toBe(202);
    expect((await postByIri(post.iri))?.likes_count).toBe(1);
    const likes = await plein.db.selectFrom("likes").select("actor_id").where("post_id", "=", post.id).execute();
    expect(likes).toHaveLength(1);
  });

  test("Like of a post the actor cannot see is not counted", async () => {
    const hidden = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>private</p>", visibility: "followers" });
    expect(await send({ id: newId(dave), type: "Like", actor: dave.iri, object: hidden.iri }, dave)).toBe(202);
    expect((await postByIri(hidden.iri))?.likes_count).toBe(0);
  });

  test("Announce of a local public post is a boost; Undo Announce removes it", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>boost me</p>", visibility: "public" });
    const announceId = newId(bob);
    expect(await send({ id: announceId, type: "Announce", actor: bob.iri, object: post.iri, to: [PUBLIC], cc: [bob.followers] })).toBe(202);
    expect((await postByIri(post.iri))?.reblogs_count).toBe(1);
    const boost = await postByIri(announceId);
    expect(boost?.reblog_of_id).toBe(post.id);
    expect(boost?.visibility).toBe("public");
    expect(await send({ id: newId(bob), type: "Undo", actor: bob.iri, object: announceId })).toBe(202);
    expect((await postByIri(post.iri))?.reblogs_count).toBe(0);
    expect((await postByIri(announceId))?.deleted_at).not.toBeNull();
  });

  test("Announce of a followers-only post is dropped", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>mine</p>", visibility: "followers" });
    const announceId = newId(bob);
    expect(await send({ id: announceId, type: "Announce", actor: bob.iri, object: post.iri, to: [PUBLIC] })).toBe(202);
    expect(await postByIri(announceId)).toBeUndefined();
    expect((await postByIri(post.iri))?.reblogs_count).toBe(0);
  });

  test("Announce of an unknown remote post fetches it from its origin", async () => {
    const object = note(dave, { content: "<p>canonical</p>" });
    remote.serve(new URL(object.id as string).pathname, { body: { "@context": AS_CONTEXT, ...object } });
    const announceId = newId(bob);
    expect(await send({ id: announceId, type: "Announce", actor: bob.iri, object: object.id, to: [PUBLIC] })).toBe(202);
    const original = await postByIri(object.id as string);
    expect(original?.content_html).toBe("<p>canonical</p>");
    expect(original?.actor_id).toBe((await actorRow(dave.iri))?.id);
    expect((await postByIri(announceId))?.reblog_of_id).toBe(original?.id);
  });
});

describe("Block, Flag, Delete of an actor, other types, duplicates", () => {
  test("Block stores the block and ends follows both ways; Undo Block lifts it", async () => {
    const ed = await remote.actor("ed");
    expect(await send({ id: newId(ed), type: "Follow", actor: ed.iri, object: alice.iri }, ed)).toBe(202);
    const edRow = (await actorRow(ed.iri))!;
    await follow(plein.db, plein.origin, alice, edRow);
    const blockId = newId(ed);
    expect(await send({ id: blockId, type: "Block", actor: ed.iri, object: alice.iri }, ed)).toBe(202);
    const block = await plein.db.selectFrom("blocks").selectAll().where("actor_id", "=", edRow.id).executeTakeFirst();
    expect(block).toMatchObject({ target_id: alice.id, activity_iri: blockId });
    expect(await followRow(edRow.id, alice.id)).toBeUndefined();
    expect(await followRow(alice.id, edRow.id)).toBeUndefined();
    expect(await send({ id: newId(ed), type: "Undo", actor: ed.iri, object: { id: blockId, type: "Block", actor: ed.iri, object: alice.iri } }, ed)).toBe(202);
    expect(await plein.db.selectFrom("blocks").selectAll().where("actor_id", "=", edRow.id).executeTakeFirst()).toBeUndefined();
  });

  test("Flag stores a report for the moderators", async () => {
    const post = await createLocalPost(plein.db, plein.origin, alice, { contentHtml: "<p>reported</p>", visibility: "public" });
    const flagId = newId(bob);
    expect(await send({ id: flagId, type: "Flag", actor: bob.iri, object: [alice.iri, post.iri, remote.url("/x")], content: "spam <b>!</b>" })).toBe(202);
    const report = await plein.db.selectFrom("reports").selectAll().where("activity_iri", "=", flagId).executeTakeFirst();
    expect(report).toBeDefined();
    expect(report!.reporter_id).toBe((await actorRow(bob.iri))!.id);
    expect(report!.target_id).toBe(alice.id);
    expect(report!.post_ids).toEqual([post.id]);
    expect(report!.comment).toBe("spam !");
  });

  test("Flag naming nothing of ours stores nothing", async () => {
    const flagId = newId(bob);
    expect(await send({ id: flagId, type: "Flag", actor: bob.iri, object: [remote.url("/users/someone")] })).toBe(202);
    expect(await plein.db.selectFrom("reports").selectAll().where("activity_iri", "=", flagId).executeTakeFirst()).toBeUndefined();
  });

  test("Delete of the actor itself marks it gone and drops its follows", async () => {
    const fay = await remote.actor("fay");
    expect(await send({ id: newId(fay), type: "Follow", actor: fay.iri, object: alice.iri }, fay)).toBe(202);
    const fayRow = (await actorRow(fay.iri))!;
    expect(await followRow(fayRow.id, alice.id)).toBeDefined();
    expect(await send({ id: newId(fay), type: "Delete", actor: fay.iri, object: fay.iri }, fay)).toBe(202);
    expect((await actorRow(fay.iri))?.gone_at).not.toBeNull();
    expect(await followRow(fayRow.id, alice.id)).toBeUndefined();
  });

  test("Delete of an actor whose documents already answer 410 (its key cannot be fetched) marks it gone", async () => {
    const hal = await remote.actor("hal");
    const halRow = await plein.running.deps.resolver.resolveActor(hal.iri);
    expect(halRow?.gone_at).toBeNull();
    remote.serve("/users/hal", { status: 410, body: "" });
    const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS_CONTEXT, id: newId(hal), type: "Delete", actor: hal.iri, object: hal.iri }, hal);
    expect(res.status).toBe(202);
    expect((await actorRow(hal.iri))?.gone_at).not.toBeNull();
  });

  test("an activity type without a listener is accepted (202) and nothing is stored", async () => {
    const count = async () => ({
      posts: (await plein.db.selectFrom("posts").select("id").execute()).length,
      follows: (await plein.db.selectFrom("follows").select("id").execute()).length,
      processed: (await plein.db.selectFrom("processed_activities").select("activity_iri").execute()).length,
    });
    const before = await count();
    // Known types without a listener, and a term the context does not define: accepted and ignored.
    for (const type of ["Move", "Listen", "Add", "Question", "EmojiReact", "Zap"]) {
      const res = await deliver(plein.running.app, plein.origin, "/inbox", {
        "@context": AS_CONTEXT, id: newId(bob), type, actor: bob.iri, object: alice.iri, target: remote.url("/c"),
      }, bob);
      expect(res.status).toBe(202);
    }
    // A type IRI Fedify has no class for cannot be parsed: 400.
    const res = await deliver(plein.running.app, plein.origin, "/inbox", {
      "@context": AS_CONTEXT, id: newId(bob), type: "https://example.org/ns#Zap", actor: bob.iri, object: alice.iri,
    }, bob);
    expect(res.status).toBe(400);
    await plein.drain();
    expect(await count()).toEqual(before);
  });

  test("an activity id is processed once, however often it is delivered", async () => {
    const gus = await remote.actor("gus");
    const followId = newId(gus);
    const followActivity = { id: followId, type: "Follow", actor: gus.iri, object: alice.iri };
    expect(await send(followActivity, gus)).toBe(202);
    const gusRow = (await actorRow(gus.iri))!;
    expect(await followRow(gusRow.id, alice.id)).toBeDefined();
    expect(await send({ id: newId(gus), type: "Undo", actor: gus.iri, object: followId }, gus)).toBe(202);
    expect(await followRow(gusRow.id, alice.id)).toBeUndefined();
    // The same Follow again (a replay, or a redelivery): Fedify answers from our record without queueing.
    const res = await deliver(plein.running.app, plein.origin, "/inbox", { "@context": AS_CONTEXT, ...followActivity }, gus);
    expect(res.status).toBe(202);
    expect(await res.text()).toContain("already been processed");
    expect(await plein.queued()).toBe(0);
    // Delivered to a personal inbox too: still once.
    expect(await send(followActivity, gus, "/users/alice/inbox")).toBe(202);
    expect(await followRow(gusRow.id, alice.id)).toBeUndefined();
    const processed = await plein.db.selectFrom("processed_activities").selectAll().where("activity_iri", "=", followId).execute();
    expect(processed).toHaveLength(1);
  });
});
