/**
 * The wiki next to other servers. No other server sends wiki pages (Lemmy,
 * Mastodon and Mobilizon have none): their `Page`s carry no wiki generator
 * and stay discussions, and an author's Update of one, as a Lemmy community
 * announces it, is applied by the core as before (the wiki's inbox hook,
 * which sees every Update first, lets it pass). In the other direction, a
 * Plein wiki page is served as a `Page` with `name`, `content`, `audience`
 * and a plain-text `source`, which Lemmy and Mastodon read as a titled post.
 *
 * The Update below follows Lemmy's own example of an edited post
 * (LemmyNet/lemmy, crates/apub/assets/lemmy/activities/create_or_update/update_page.json).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/db/schema.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { getPostByIri } from "../../src/domain/posts/read.ts";
import { defaultModules } from "../../src/modules/registry.ts";
import { wikiModule } from "../../src/modules/wiki/index.ts";
import { wikiDb } from "../../src/modules/wiki/tables.ts";
import { deliver, type FakeActor, type FakeRemote, newId, PUBLIC, startFakeRemote } from "../support/fake-remote.ts";
import { type InboxInstance, startInboxInstance } from "../support/inbox.ts";

const LEMMY_CONTEXT = ["https://www.w3.org/ns/activitystreams", { sensitive: "as:sensitive", commentsEnabled: "https://join-lemmy.org/ns#commentsEnabled" }];

let instance: InboxInstance;
let lemmy: FakeRemote;
let community: FakeActor;
let alpha: FakeActor;
let anna: Actor;

beforeAll(async () => {
  instance = await startInboxInstance();
  lemmy = await startFakeRemote();
  community = await lemmy.actor("main", { type: "Group" });
  alpha = await lemmy.actor("lemmy_alpha");
  anna = await instance.user("anna");
});

afterAll(async () => {
  await instance?.close();
  await lemmy?.close();
});

async function send(activity: Record<string, unknown>, by: FakeActor): Promise<void> {
  const res = await deliver(instance.running.app, instance.origin, "/inbox", { "@context": LEMMY_CONTEXT, ...activity }, by);
  expect(res.status).toBe(202);
  await instance.drain();
}

function lemmyPage(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "Page",
    id: lemmy.url("/post/1"),
    attributedTo: alpha.iri,
    to: [community.iri, PUBLIC],
    audience: community.iri,
    name: "test post 1",
    content: "<p>test body</p>\n",
    mediaType: "text/html",
    source: { content: "test body", mediaType: "text/markdown" },
    commentsEnabled: true,
    sensitive: false,
    published: "2021-10-29T15:10:51.557399+00:00",
    ...fields,
  };
}

describe("a Lemmy community's posts", () => {
  it("are discussions, and their author's edit announced by the community is applied as before", async () => {
    const groupRow = await instance.running.deps.resolver.resolveActor(community.iri);
    await instance.db.insertInto("memberships").values({ group_id: groupRow!.id, member_id: anna.id, state: "member" }).execute();
    const created = { id: newId(alpha), type: "Create", actor: alpha.iri, to: [PUBLIC], cc: [community.iri], audience: community.iri, object: lemmyPage({}) };
    await send({ id: newId(community), type: "Announce", actor: community.iri, to: [PUBLIC], cc: [community.followers], audience: community.iri, object: created }, community);
    const post = (await getPostByIri(instance.db, lemmy.url("/post/1")))!;
    expect(post).toMatchObject({ type: "Page", module: "discussion", name: "test post 1", group_id: groupRow!.id });

    const updated = {
      id: lemmy.url("/activities/update/ab360117-e165-4de4-b7fc-906b62c98631"), type: "Update", actor: alpha.iri,
      to: [PUBLIC], cc: [community.iri], audience: community.iri,
      object: lemmyPage({ content: "<p>test body, edited</p>\n", updated: "2021-10-29T15:11:35.976374+00:00" }),
    };
    await send({ id: newId(community), type: "Announce", actor: community.iri, to: [PUBLIC], cc: [community.followers], audience: community.iri, object: updated }, community);
    expect((await getPostByIri(instance.db, lemmy.url("/post/1")))?.content_html).toBe("<p>test body, edited</p>\n");
    expect(await wikiDb(instance.db).selectFrom("wiki_revisions").select("id").where("page_id", "=", post.id).execute()).toEqual([]);
  });
});

describe("a Plein wiki page as other servers fetch it", () => {
  it("is a Page with its title, content, group, plain-text source, and a link to its parent", async () => {
    const group = await createGroup(instance.db, instance.origin, anna, { name: "handboek", visibility: "public", joinMode: "open", modules: defaultModules() });
    const page = (title: string, text: string, parentId?: string) => createLocalPost(instance.db, instance.origin, anna, {
      type: "Page", name: title, contentHtml: `<p>${text}</p>`, contentSource: text, visibility: "public", groupId: group.actor.id, module: "wiki",
    }, (trx, post) => wikiModule.save!(trx, post, { from: "api", mode: "create", ...(parentId ? { parentId } : {}) }, anna));
    const parent = await page("Handboek", "Inleiding");
    const child = await page("Vergaderen", "Op dinsdag", parent.id);
    const res = await instance.running.app.request(child.iri, { headers: { accept: "application/activity+json" } });
    expect(res.status).toBe(200);
    const json = await res.json() as Record<string, unknown>;
    expect(json).toMatchObject({
      id: child.iri, type: "Page", name: "Vergaderen", content: "<p>Op dinsdag</p>", attributedTo: anna.iri,
      audience: group.actor.iri, generator: "urn:plein:module:wiki", source: { content: "Op dinsdag", mediaType: "text/plain" },
    });
    const tags = [json.tag].flat() as Array<Record<string, unknown>>;
    expect(tags).toContainEqual(expect.objectContaining({ type: "Link", rel: "up", href: parent.iri, name: "Handboek" }));
  });
});
