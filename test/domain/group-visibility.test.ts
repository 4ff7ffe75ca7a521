/**
 * Cases the property tests of groups found (test/domain/visibility.property.test.ts,
 * test/domain/group-sequences.property.test.ts), kept as plain examples that
 * read as the rule: who reads and who is sent what is posted in a group.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import type { Actor } from "../../src/db/schema.ts";
import { block } from "../../src/domain/blocks.ts";
import { createGroup, updateGroup } from "../../src/domain/groups.ts";
import { join, receiveJoin, receiveMembershipAccepted } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { upsertRemotePost } from "../../src/domain/posts/remote.ts";
import { markActorGone } from "../../src/domain/remote-actors.ts";
import { localActorUrls } from "../../src/domain/urls.ts";
import { audience, canView } from "../../src/domain/visibility.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");

let handle: TestDatabase;
let db: Db;

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
});

afterAll(async () => {
  await handle?.close();
});

async function localPerson(username: string): Promise<Actor> {
  const urls = localActorUrls(ORIGIN, username);
  return db.insertInto("actors").values({
    iri: urls.iri, type: "Person", username, domain: ORIGIN.host, local: true, inbox_url: urls.inbox, shared_inbox_url: urls.sharedInbox,
  }).returningAll().executeTakeFirstOrThrow();
}

async function remoteActor(domain: string, username: string, type: "Person" | "Group" = "Person"): Promise<Actor> {
  const iri = `https://${domain}/users/${username}`;
  return db.insertInto("actors").values({
    iri, type, username, domain, local: false, inbox_url: `${iri}/inbox`, shared_inbox_url: `https://${domain}/inbox`,
  }).returningAll().executeTakeFirstOrThrow();
}

const ids = (members: { actorId: string }[]) => members.map((m) => m.actorId).sort();

describe("posts in a remote group", () => {
  it("go to the group, but never to a group their author blocks, nor back to the group that wrote them", async () => {
    const author = await localPerson("rg_author");
    const group = await remoteActor("b.example", "rg_club", "Group");
    await join(db, ORIGIN, { actor: group, settings: null, modules: [] }, author);
    expect(await receiveMembershipAccepted(db, group, author)).toBe(true);
    const post = await createLocalPost(db, ORIGIN, author, { contentHtml: "<p>for the club</p>", visibility: "public", groupId: group.id });
    expect(post.visibility).toBe("group");
    expect(ids(await audience(db, post.id))).toEqual([group.id]);

    await block(db, ORIGIN, author, group);
    expect(await canView(db, { kind: "remote", actorId: group.id }, post.id)).toBe(false);
    expect(await audience(db, post.id), "the author blocks the group").toEqual([]);

    const own = await upsertRemotePost(db, group, {
      iri: "https://b.example/c/rg_club/posts/1", url: null, type: "Note", visibility: "group", inReplyToIri: null,
      name: null, summary: null, sensitive: false, contentHtml: "<p>from the club itself</p>", language: null,
      publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [], attachments: [], extra: {}, groupId: group.id,
    }, "create");
    expect(own.group_id).toBe(group.id);
    expect(await audience(db, own.id), "the group wrote it").toEqual([]);
  });
});

describe("a closed group whose remote member is gone", () => {
  it("no longer opens its content to that member's server", async () => {
    const owner = await localPerson("gone_owner");
    const group = await createGroup(db, ORIGIN, owner, { name: "gone_team", visibility: "closed", joinMode: "open", modules: [] });
    const member = await remoteActor("a.example", "gone_member");
    expect((await receiveJoin(db, group, member, "https://a.example/follows/1"))?.state).toBe("member");
    const post = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>members only</p>", visibility: "public", groupId: group.actor.id });
    expect(post.visibility).toBe("group");
    const server = { kind: "server", origin: "https://a.example" } as const;
    expect(await canView(db, server, post.id)).toBe(true);
    expect(ids(await audience(db, post.id))).toEqual([member.id]);

    await markActorGone(db, member.id);
    expect(await audience(db, post.id), "nothing more is sent to a.example").toEqual([]);
    expect(await canView(db, server, post.id), "so a.example reads nothing more either").toBe(false);
    expect(await canView(db, { kind: "remote", actorId: member.id }, post.id)).toBe(false);
  });
});

describe("a group that turns closed", () => {
  it("keeps what is posted from then on for its members, replies to its earlier public threads included", async () => {
    const owner = await localPerson("turn_owner");
    const remote = await remoteActor("a.example", "turn_member");
    const group = await createGroup(db, ORIGIN, owner, { name: "turn_team", visibility: "public", joinMode: "open", modules: [] });
    await receiveJoin(db, group, remote, "https://a.example/follows/2");
    const thread = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>open thread</p>", visibility: "public", groupId: group.actor.id });
    expect(thread.visibility).toBe("public");

    const closed = await updateGroup(db, ORIGIN, group, owner, { visibility: "closed" }, true);
    const reply = await createLocalPost(db, ORIGIN, owner, { contentHtml: "<p>said after closing</p>", visibility: "public", inReplyToId: thread.id });
    expect(reply.group_id).toBe(closed.actor.id);
    expect(reply.visibility, "a reply in a closed group").toBe("group");
    expect(await canView(db, { kind: "anonymous" }, reply.id)).toBe(false);

    const input = {
      url: null, type: "Note" as const, inReplyToIri: thread.iri, name: null, summary: null, sensitive: false,
      contentHtml: "<p>a remote reply</p>", language: null, publishedAt: new Date(), editedAt: null, mentionIds: [], tags: [],
      attachments: [], extra: {}, groupId: closed.actor.id,
    };
    await expect(upsertRemotePost(db, remote, { ...input, iri: "https://a.example/notes/public", visibility: "public" }, "create"),
      "nothing public enters a closed group").rejects.toMatchObject({ kind: "forbidden" });
    const remoteReply = await upsertRemotePost(db, remote, { ...input, iri: "https://a.example/notes/members", visibility: "group" }, "create");
    expect(remoteReply.visibility).toBe("group");
  });
});
