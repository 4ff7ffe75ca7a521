/**
 * The wiki's ActivityPub inbox on one in-process instance, against
 * hand-written remote servers that sign what they send:
 * - as the group's server: a remote member's Update of a page becomes the
 *   next revision (sanitised) and is announced to the members; non-members,
 *   edits that only name the page, replays and bad parents change nothing;
 * - as a member's server: revisions a remote group announces take their
 *   place by the group's time whatever order they arrive in, each once;
 *   another group's announce, or a revision pinned on one of our people
 *   that we never sent, is refused; our member's edit goes to the group and
 *   is numbered when the group announces it back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor, Post } from "../../src/db/schema.ts";
import { createGroup, findGroup, type GroupView } from "../../src/domain/groups.ts";
import { join, membershipOf } from "../../src/domain/membership.ts";
import { createLocalPost, editLocalPost } from "../../src/domain/posts/authoring.ts";
import { getPost, getPostByIri } from "../../src/domain/posts/read.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { wikiModule } from "../../src/modules/wiki/index.ts";
import { wikiDb } from "../../src/modules/wiki/tables.ts";
import { AS_CONTEXT, deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

const GENERATOR = "urn:plein:module:wiki";

let instance: InboxInstance;
/** the remote group's server (the group, and the author of its pages) */
let groupServer: FakeRemote;
/** people on a third server */
let people: FakeRemote;
let rita: FakeActor;
let nora: FakeActor;
let anna: Actor;

beforeAll(async () => {
  instance = await startInboxInstance();
  groupServer = await startFakeRemote();
  people = await startFakeRemote();
  rita = await people.actor("rita");
  nora = await people.actor("nora");
  anna = await instance.user("anna");
});

afterAll(async () => {
  await instance?.close();
  await groupServer?.close();
  await people?.close();
});

async function send(activity: Record<string, unknown>, by: FakeActor): Promise<void> {
  const res = await deliver(instance.running.app, instance.origin, "/inbox", { "@context": AS_CONTEXT, ...activity }, by);
  expect(res.status, await res.text()).toBe(202);
  await instance.drain();
}

async function history(post: Pick<Post, "id">) {
  return wikiDb(instance.db).selectFrom("wiki_revisions").innerJoin("actors", "actors.id", "wiki_revisions.editor_id")
    .select(["wiki_revisions.number", "actors.iri as editor", "wiki_revisions.title", "wiki_revisions.content_html", "wiki_revisions.activity_iri", "wiki_revisions.parent_id"])
    .where("page_id", "=", post.id).orderBy("wiki_revisions.id").execute();
}

async function numbered(post: Pick<Post, "id">) {
  return (await history(post)).filter((r) => r.number !== null).sort((a, b) => a.number! - b.number!);
}

async function wikiRow(post: Pick<Post, "id">) {
  return wikiDb(instance.db).selectFrom("wiki_pages").selectAll().where("post_id", "=", post.id).executeTakeFirstOrThrow();
}

async function localPage(author: Actor, groupId: string, title: string, text: string, parentId?: string): Promise<Post> {
  return createLocalPost(instance.db, instance.origin, author, {
    type: "Page", name: title, contentHtml: `<p>${text}</p>`, contentSource: text, visibility: "public", groupId, module: "wiki",
  }, (trx, post) => wikiModule.save!(trx, post, { from: "api", mode: "create", ...(parentId ? { parentId } : {}) }, author));
}

async function localEdit(editor: Actor, post: Post, text: string): Promise<Post> {
  return editLocalPost(instance.db, editor, post.id, { name: post.name, contentHtml: `<p>${text}</p>`, contentSource: text }, {
    mayEdit: (p) => wikiModule.mayEdit!(instance.db, p, editor),
    inTransaction: (trx, p) => wikiModule.save!(trx, p, { from: "api", mode: "edit" }, editor),
    queueDelivery: (trx, p) => wikiModule.queueEditDelivery!(trx, p, editor),
  });
}

/** A page as an edit carries it. */
function pageObject(post: { iri: string }, author: string, group: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: post.iri, type: "Page", attributedTo: author, generator: GENERATOR, audience: group, to: [PUBLIC, group],
    name: "Titel", content: "<p>inhoud</p>", source: { content: "inhoud", mediaType: "text/plain" }, ...fields,
  };
}

async function deliveryJobs(): Promise<Array<Record<string, unknown>>> {
  const rows = await instance.db.selectFrom("queue_messages").select("payload").where("queue", "=", "deliveries").orderBy("id").execute();
  return rows.map((r) => r.payload as Record<string, unknown>);
}

describe("at the group's server", () => {
  let group: GroupView;
  let page: Post;

  beforeAll(async () => {
    group = await createGroup(instance.db, instance.origin, anna, { name: "regels", visibility: "public", joinMode: "open", modules: defaultModules() });
    await send({ id: newId(rita), type: "Follow", actor: rita.iri, object: group.actor.iri }, rita);
    const ritaRow = await getActor(rita.iri);
    expect((await membershipOf(instance.db, group.actor.id, ritaRow.id))?.state).toBe("member");
    page = await localPage(anna, group.actor.id, "Huisregels", "een");
  });

  async function getActor(iri: string): Promise<Actor> {
    return instance.db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirstOrThrow();
  }

  function edit(by: FakeActor, fields: Record<string, unknown>, id = newId(by)): Record<string, unknown> {
    return { id, type: "Update", actor: by.iri, to: [group.actor.iri], object: pageObject(page, anna.iri, group.actor.iri, fields) };
  }

  it("takes a member's Update as the next revision, sanitised, and announces it with its editor", async () => {
    await instance.db.deleteFrom("queue_messages").where("queue", "=", "deliveries").execute();
    const update = edit(rita, { name: "Huisregels", content: "<p>twee</p><script>alert(1)</script>", source: { content: "twee", mediaType: "text/plain" } });
    await send(update, rita);
    const revisions = await numbered(page);
    expect(revisions.map((r) => [r.number, r.editor])).toEqual([[1, anna.iri], [2, rita.iri]]);
    expect(revisions[1]!.content_html).toBe("<p>twee</p>");
    expect(revisions[1]!.activity_iri).toBe(update.id);
    const shown = await getPost(instance.db, page.id);
    expect(shown).toMatchObject({ content_html: "<p>twee</p>", content_source: "twee" });
    expect((await wikiRow(page)).revision).toBe(2);
    // The group announces it to its members: Announce{Update{actor: rita, object: the page}}.
    const jobs = await deliveryJobs();
    expect(jobs).toEqual([expect.objectContaining({ type: "module", module: "wiki", senderId: group.actor.id, payload: { kind: "announce", revision: expect.any(String) } })]);
    const before = people.received.length;
    await instance.deliverQueued();
    const sent = people.received.slice(before).filter((r) => r.method === "POST");
    expect(sent).toHaveLength(1);
    const announce = JSON.parse(sent[0]!.body) as Record<string, any>;
    expect(announce).toMatchObject({ type: "Announce", actor: group.actor.iri, object: { type: "Update", id: update.id, actor: rita.iri } });
    expect(announce.object.object).toMatchObject({ id: page.iri, type: "Page", attributedTo: anna.iri, content: "<p>twee</p>" });
    const revisionTime = (await wikiDb(instance.db).selectFrom("wiki_revisions").select("created_at").where("activity_iri", "=", update.id as string).executeTakeFirstOrThrow()).created_at;
    expect(new Date(announce.object.object.updated as string).getTime()).toBe(new Date(revisionTime).getTime());
  });

  it("takes an Update once however often it comes, and refuses non-members and edits that only name the page", async () => {
    const update = edit(rita, { content: "<p>drie</p>" });
    await send(update, rita);
    await send(update, rita);
    await send(edit(nora, { content: "<p>door een buitenstaander</p>" }), nora);
    await send({ id: newId(rita), type: "Update", actor: rita.iri, to: [group.actor.iri], object: page.iri }, rita);
    expect((await numbered(page)).map((r) => [r.number, r.editor])).toEqual([[1, anna.iri], [2, rita.iri], [3, rita.iri]]);
    expect((await getPost(instance.db, page.id))?.content_html).toBe("<p>drie</p>");
  });

  it("moves a page only under a page of its group that is not below it", async () => {
    const child = await localPage(anna, group.actor.id, "Kind", "k", page.id);
    const other = await createGroup(instance.db, instance.origin, anna, { name: "elders", visibility: "public", joinMode: "open", modules: defaultModules() });
    const foreign = await localPage(anna, other.actor.id, "Elders", "e");
    const top = await localPage(anna, group.actor.id, "Bovenaan", "b");
    const up = (iri: string) => ({ tag: [{ type: "Link", rel: "up", href: iri }] });
    await send(edit(rita, { content: "<p>onder het kind</p>", ...up(child.iri) }), rita);
    await send(edit(rita, { content: "<p>in een andere groep</p>", ...up(foreign.iri) }), rita);
    expect((await wikiRow(page)).parent_id).toBeNull();
    await send(edit(rita, { content: "<p>onder bovenaan</p>", ...up(top.iri) }), rita);
    expect((await wikiRow(page)).parent_id).toBe(top.id);
    // An edit without a parent link puts the page back at the top.
    await send(edit(rita, { content: "<p>weer bovenaan</p>" }), rita);
    expect((await wikiRow(page)).parent_id).toBeNull();
    expect((await numbered(page)).length).toBe(7);
  });
});

describe("on a member's server", () => {
  let grp: FakeActor;
  let grp2: FakeActor;
  let bert: FakeActor;
  let lena: Actor;
  let group: Actor;
  let page: Post;
  const t0 = Date.parse("2026-03-01T10:00:00Z");
  const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

  async function joinRemote(fake: FakeActor): Promise<Actor> {
    const actor = await instance.running.deps.resolver.resolveActor(fake.iri);
    const view = await findGroup(instance.db, actor!.id);
    const membership = await join(instance.db, instance.origin, view!, lena);
    await send({ id: newId(fake), type: "Accept", actor: fake.iri, object: membership.activity_iri }, fake);
    expect((await membershipOf(instance.db, actor!.id, lena.id))?.state).toBe("member");
    return actor!;
  }

  function revisionAnnounce(by: FakeActor, editor: string, target: { iri: string }, updated: string, fields: Record<string, unknown>, updateId = newId({ iri: editor })) {
    return {
      id: newId(by), type: "Announce", actor: by.iri, to: [PUBLIC], cc: [by.followers],
      object: {
        id: updateId, type: "Update", actor: editor, published: updated,
        object: pageObject(target, bert.iri, grp.iri, { updated, ...fields }),
      },
    };
  }

  beforeAll(async () => {
    grp = await groupServer.actor("grp", { type: "Group" });
    grp2 = await groupServer.actor("grp2", { type: "Group" });
    bert = await groupServer.actor("bert");
    lena = await instance.user("lena");
    group = await joinRemote(grp);
    await joinRemote(grp2);
    const iri = groupServer.url("/pages/handboek");
    await send({
      id: newId(grp), type: "Announce", actor: grp.iri, to: [PUBLIC], cc: [grp.followers],
      object: {
        id: `${iri}#create`, type: "Create", actor: bert.iri, to: [PUBLIC, grp.iri],
        object: pageObject({ iri }, bert.iri, grp.iri, { name: "Handboek", content: "<p>versie een</p>", published: at(0) }),
      },
    }, grp);
    page = (await getPostByIri(instance.db, iri))!;
    expect(page).toMatchObject({ module: "wiki", group_id: group.id });
    expect((await numbered(page)).map((r) => [r.number, r.editor])).toEqual([[1, bert.iri]]);
  });

  it("puts revisions in the group's order whatever order they arrive in, and takes each once", async () => {
    const u1 = revisionAnnounce(grp, rita.iri, page, at(10), { content: "<p>twee</p>" });
    const u3 = revisionAnnounce(grp, nora.iri, page, at(30), { content: "<p>vier</p>" });
    const u2 = revisionAnnounce(grp, rita.iri, page, at(20), { content: "<p>drie</p>" });
    await send(u1, grp);
    await send(u3, grp);
    await send(u2, grp);
    // The same revision again, in a new Announce.
    await send({ ...u2, id: newId(grp) }, grp);
    const revisions = await numbered(page);
    expect(revisions.map((r) => [r.number, r.editor, r.content_html])).toEqual([
      [1, bert.iri, "<p>versie een</p>"], [2, rita.iri, "<p>twee</p>"], [3, rita.iri, "<p>drie</p>"], [4, nora.iri, "<p>vier</p>"],
    ]);
    expect((await getPost(instance.db, page.id))?.content_html).toBe("<p>vier</p>");
    expect((await wikiRow(page)).revision).toBe(4);
  });

  it("refuses a revision announced by another group, or pinned on one of our people without our sending it", async () => {
    await send(revisionAnnounce(grp2, rita.iri, page, at(40), { content: "<p>van een andere groep</p>" }), grp2);
    await send(revisionAnnounce(grp, lena.iri, page, at(41), { content: "<p>namens lena</p>" }, `${instance.origin.origin}/activities/update/forged`), grp);
    expect((await numbered(page)).length).toBe(4);
    expect((await getPost(instance.db, page.id))?.content_html).toBe("<p>vier</p>");
  });

  it("sends our member's edit to the group, shows it as waiting, and numbers it when the group announces it back", async () => {
    await instance.db.deleteFrom("queue_messages").where("queue", "=", "deliveries").execute();
    const current = (await getPost(instance.db, page.id))!;
    await localEdit(lena, current, "door lena");
    const waiting = (await history(page)).filter((r) => r.number === null);
    expect(waiting.map((r) => [r.editor, r.content_html])).toEqual([[lena.iri, "<p>door lena</p>"]]);
    expect((await wikiRow(page)).revision).toBe(4);
    expect(await deliveryJobs()).toEqual([expect.objectContaining({ type: "module", module: "wiki", senderId: lena.id, payload: { kind: "propose", revision: expect.any(String) } })]);
    const before = groupServer.received.length;
    await instance.deliverQueued();
    const sent = groupServer.received.slice(before).filter((r) => r.method === "POST");
    expect(sent).toHaveLength(1);
    const update = JSON.parse(sent[0]!.body) as Record<string, any>;
    expect(update).toMatchObject({ type: "Update", id: waiting[0]!.activity_iri, actor: lena.iri, to: grp.iri, object: { id: page.iri, type: "Page", content: "<p>door lena</p>", source: { content: "door lena" } } });
    // The group took it (after another member's edit) and announces it back.
    await send(revisionAnnounce(grp, nora.iri, page, at(50), { content: "<p>vijf</p>" }), grp);
    await send(revisionAnnounce(grp, lena.iri, page, at(60), { content: "<p>door lena</p>" }, update.id as string), grp);
    const revisions = await numbered(page);
    expect(revisions.slice(-2).map((r) => [r.number, r.editor, r.content_html])).toEqual([[5, nora.iri, "<p>vijf</p>"], [6, lena.iri, "<p>door lena</p>"]]);
    expect((await history(page)).filter((r) => r.number === null)).toEqual([]);
    expect((await wikiRow(page)).revision).toBe(6);
  });

  it("fetches a page it has not got yet when a revision of it is announced first", async () => {
    const iri = groupServer.url("/pages/later");
    groupServer.serve("/pages/later", { body: { "@context": AS_CONTEXT, ...pageObject({ iri }, bert.iri, grp.iri, { name: "Later", content: "<p>eerste</p>", published: at(0) }) } });
    await send(revisionAnnounce(grp, rita.iri, { iri }, at(70), { name: "Later", content: "<p>tweede</p>" }), grp);
    const later = (await getPostByIri(instance.db, iri))!;
    expect(later).toMatchObject({ module: "wiki", group_id: group.id, content_html: "<p>tweede</p>" });
    expect((await numbered(later)).map((r) => [r.number, r.editor])).toEqual([[1, bert.iri], [2, rita.iri]]);
  });
});
