import type { Context } from "@fedify/fedify";
import { Announce, Create, Delete, Document, Event, Follow, Note, Page, Question, Tombstone, Undo } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../src/context.ts";
import {
  acceptFollowActivity,
  addressing,
  announceActivity,
  createActivity,
  deleteActivity,
  followActivity,
  NotFederatedError,
  renderPost,
  undoActivity,
  updateActivity,
} from "../../federation/translate/outbound.ts";
import { toRemotePostInput } from "../../federation/translate/inbound.ts";
import { loadConfig } from "../../src/config.ts";
import type { Actor, ObjectType, Post, Visibility } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import type { PostDetails } from "../../src/domain/post-details.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://" });
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

let running: RunningPlein;
let ctx: Context<AppContext>;
let alice: Actor;
const carol = { id: "901", iri: "https://remote.example/users/carol", username: "carol", domain: "remote.example", local: false, url: null };
const dave = { id: "902", iri: "https://other.example/users/dave", username: "dave", domain: "other.example", local: false, url: null };
const details: PostDetails = {
  mentions: [carol, dave],
  tags: ["plein"],
  attachments: [{
    id: "1", position: 0, url: "https://plein.test/media/1.png", media_type: "image/png", description: "a cat",
    width: 640, height: 480, blurhash: null,
    media_id: null, preview_url: null, preview_width: null, preview_height: null, focus_x: null, focus_y: null,
  }],
  group: null,
};

let nextId = 1000;
function fakePost(overrides: Partial<Post> = {}): Post {
  const type: ObjectType = overrides.type ?? "Note";
  const slug = crypto.randomUUID();
  const prefix = { Note: "notes", Article: "articles", Page: "pages", Event: "events", Document: "documents", Question: "questions" }[type];
  const iri = `${ORIGIN}/${prefix}/${slug}`;
  return {
    id: String(nextId++), iri, url: iri, actor_id: alice.id, local: true, type, visibility: "public",
    reblog_of_id: null, in_reply_to_id: null, in_reply_to_iri: null, name: null, summary: null, sensitive: false,
    content_html: "<p>hello</p>", content_source: null, language: null, extra: {}, replies_count: 0, likes_count: 0,
    reblogs_count: 0, published_at: new Date("2026-01-02T03:04:05Z"), edited_at: null, deleted_at: null,
    created_at: new Date("2026-01-02T03:04:05Z"), group_id: null, moderation: "approved", module: null, conversation_id: null,
    ...overrides,
  };
}

const hrefs = (urls: Iterable<URL>) => [...urls].map((u) => u.href).sort();

beforeAll(async () => {
  running = await startPlein(config, { database: await openTestDatabase(), listen: false, role: "web" });
  ctx = running.federation.federation.createContext(config.origin, running.deps);
  alice = await createUser(running.deps.db, config.origin, { username: "alice", email: "a@plein.test", password: "correct horse" });
});

afterAll(async () => {
  await running?.close();
  await running?.database.close();
});

describe("renderPost addressing", () => {
  const followers = `${ORIGIN}/users/alice/followers`;
  const cases: Array<[Visibility, string[], string[]]> = [
    ["public", [PUBLIC], [followers, carol.iri, dave.iri]],
    ["unlisted", [followers], [PUBLIC, carol.iri, dave.iri]],
    ["followers", [followers], [carol.iri, dave.iri]],
    ["direct", [carol.iri, dave.iri], []],
  ];
  for (const [visibility, to, cc] of cases) {
    it(`addresses a ${visibility} post`, async () => {
      const note = await renderPost(ctx, fakePost({ visibility }), alice, details);
      expect(note).toBeInstanceOf(Note);
      expect(hrefs(note.toIds)).toEqual([...to].sort());
      expect(hrefs(note.ccIds)).toEqual([...cc].sort());
      // The activities carry the same addressing as their object.
      const create = await createActivity(ctx, fakePost({ visibility }), alice, details);
      expect(hrefs(create.toIds)).toEqual([...to].sort());
      expect(hrefs(create.ccIds)).toEqual([...cc].sort());
    });
  }

  it("keeps a direct post away from followers and the public in every field", async () => {
    const json = JSON.stringify(await (await renderPost(ctx, fakePost({ visibility: "direct" }), alice, details)).toJsonLd());
    expect(json).not.toContain("followers");
    expect(json).not.toContain("Public");
  });

  it("never renders instance-only or group posts for delivery", async () => {
    for (const visibility of ["instance", "group"] as const) {
      await expect(renderPost(ctx, fakePost({ visibility }), alice, details)).rejects.toBeInstanceOf(NotFederatedError);
      await expect(createActivity(ctx, fakePost({ visibility }), alice, details)).rejects.toBeInstanceOf(NotFederatedError);
      await expect(updateActivity(ctx, fakePost({ visibility }), alice, details)).rejects.toBeInstanceOf(NotFederatedError);
      await expect(deleteActivity(ctx, fakePost({ visibility, deleted_at: new Date() }), alice, details)).rejects.toBeInstanceOf(NotFederatedError);
      expect(() => addressing(visibility, new URL(`${ORIGIN}/users/alice/followers`), [])).toThrow(NotFederatedError);
    }
  });

  it("refuses to render a boost row as an object", async () => {
    await expect(renderPost(ctx, fakePost({ reblog_of_id: "1" }), alice, details)).rejects.toThrow();
  });
});

describe("renderPost fields", () => {
  it("carries content, warning, tags, attachments, reply target and replies link", async () => {
    const post = fakePost({
      summary: "cw", sensitive: true, language: "nl", in_reply_to_iri: "https://remote.example/notes/9",
      edited_at: new Date("2026-01-03T00:00:00Z"),
    });
    const note = await renderPost(ctx, post, alice, details);
    const json = await note.toJsonLd() as Record<string, unknown>;
    expect(json.id).toBe(post.iri);
    expect(json.attributedTo).toBe(alice.iri);
    expect(json.content).toBe("<p>hello</p>");
    expect(json.contentMap).toEqual({ nl: "<p>hello</p>" });
    expect(json.summary).toBe("cw");
    expect(json.sensitive).toBe(true);
    expect(json.inReplyTo).toBe("https://remote.example/notes/9");
    expect(json.published).toBe("2026-01-02T03:04:05Z");
    expect(json.updated).toBe("2026-01-03T00:00:00Z");
    expect(json.replies).toBe(`${post.iri}/replies`);
    expect(json.tag).toEqual(expect.arrayContaining([
      { type: "Mention", href: carol.iri, name: "@carol@remote.example" },
      { type: "Hashtag", href: `${ORIGIN}/tags/plein`, name: "#plein" },
    ]));
    const attachments = await Array.fromAsync(note.getAttachments());
    expect(attachments).toHaveLength(1);
    const doc = attachments[0] as Document;
    expect(doc).toBeInstanceOf(Document);
    expect(doc.mediaType).toBe("image/png");
    expect(doc.name?.toString()).toBe("a cat");
    expect(doc.width).toBe(640);
    expect(doc.height).toBe(480);
  });

  it("escapes plain-text titles and content warnings, which receivers read as HTML, and reads them back unchanged", async () => {
    const title = `Budget's <2027> &amp; & "plans" <script>alert(1)</script>`;
    const warning = "spoiler: <b>not bold</b> & <img src=x onerror=alert(1)>";
    const page = await renderPost(ctx, fakePost({ type: "Page", name: title, summary: warning, sensitive: true }), alice, details);
    const json = await page.toJsonLd() as Record<string, unknown>;
    expect(json.name).toBe("Budget&#39;s &lt;2027&gt; &amp;amp; &amp; &quot;plans&quot; &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(json.summary).toBe("spoiler: &lt;b&gt;not bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;");
    const read = await toRemotePostInput(page, { followers_url: null });
    expect(read?.name).toBe(title);
    expect(read?.summary).toBe(warning);
  });

  it("maps types and their extra fields", async () => {
    const page = await renderPost(ctx, fakePost({ type: "Page", name: "Title" }), alice, details);
    expect(page).toBeInstanceOf(Page);
    expect(page.name?.toString()).toBe("Title");

    // An Event's times and place are its module's (src/modules/event, test/modules/event.test.ts), never posts.extra.
    const event = await renderPost(ctx, fakePost({
      type: "Event",
      extra: { startTime: "2026-05-01T10:00:00Z", endTime: "2026-05-01T12:00:00Z", location: "Stadhuis" },
    }), alice, details) as Event;
    expect(event).toBeInstanceOf(Event);
    expect(event.startTime).toBeNull();
    expect(await event.getLocation()).toBeNull();

    const poll = await renderPost(ctx, fakePost({
      type: "Question",
      extra: { poll: { options: [{ title: "ja", votes: 3 }, { title: "nee", votes: 1 }], multiple: false, endTime: "2026-06-01T00:00:00Z" } },
    }), alice, details);
    expect(poll).toBeInstanceOf(Question);
    const options = await Array.fromAsync((poll as Question).getExclusiveOptions());
    expect(options.map((o) => o.name?.toString())).toEqual(["ja", "nee"]);

    // A Question without poll data is not a poll: it goes out as a Note.
    const notPoll = await renderPost(ctx, fakePost({ type: "Question", extra: { poll: { options: "nonsense" } } }), alice, details);
    expect(notPoll).toBeInstanceOf(Note);
  });
});

describe("activities", () => {
  it("uses stable ids derived from the post", async () => {
    const post = fakePost({ edited_at: new Date(1_700_000_000_000) });
    expect((await createActivity(ctx, post, alice, details)).id?.href).toBe(`${post.iri}#create`);
    expect((await updateActivity(ctx, post, alice, details)).id?.href).toBe(`${post.iri}#update-1700000000000`);
    const del = await deleteActivity(ctx, fakePost({ ...post, deleted_at: new Date() }), alice, details);
    expect(del).toBeInstanceOf(Delete);
    expect(del.id?.href).toBe(`${post.iri}#delete`);
    const tomb = await del.getObject();
    expect(tomb).toBeInstanceOf(Tombstone);
    expect(tomb?.id?.href).toBe(post.iri);
    expect(hrefs(del.toIds)).toEqual([PUBLIC]);
  });

  it("addresses an Announce by the boost's scope, with the original author in cc", async () => {
    const original = { iri: "https://remote.example/notes/1" };
    for (const [visibility, to, cc] of [
      ["public", [PUBLIC], [`${ORIGIN}/users/alice/followers`, carol.iri]],
      ["unlisted", [`${ORIGIN}/users/alice/followers`], [PUBLIC, carol.iri]],
      ["followers", [`${ORIGIN}/users/alice/followers`], [carol.iri]],
    ] as Array<[Visibility, string[], string[]]>) {
      const boostRow = fakePost({ iri: `${ORIGIN}/activities/announce/${crypto.randomUUID()}`, reblog_of_id: "1", visibility });
      const announce = announceActivity(ctx, boostRow, alice, original, carol);
      expect(announce).toBeInstanceOf(Announce);
      expect(announce.id?.href).toBe(boostRow.iri);
      expect(announce.objectId?.href).toBe(original.iri);
      expect(hrefs(announce.toIds)).toEqual([...to].sort());
      expect(hrefs(announce.ccIds)).toEqual([...cc].sort());
    }
  });

  it("wraps Follow in Accept and Undo with the original Follow id", async () => {
    const followIri = "https://remote.example/follows/7";
    const acceptId = `${ORIGIN}/activities/accept/1`;
    const accept = acceptFollowActivity(acceptId, followIri, carol, alice);
    expect(accept.actorId?.href).toBe(alice.iri);
    const follow = await accept.getObject();
    expect(follow).toBeInstanceOf(Follow);
    expect(follow?.id?.href).toBe(followIri);
    expect((follow as Follow).actorId?.href).toBe(carol.iri);
    expect(accept.id?.href).toBe(acceptId);

    const ours = followActivity(`${ORIGIN}/activities/follow/1`, alice, carol);
    const undo = undoActivity(`${ORIGIN}/activities/undo/1`, alice, ours);
    expect(undo).toBeInstanceOf(Undo);
    expect((await undo.getObject())?.id?.href).toBe(`${ORIGIN}/activities/follow/1`);
    expect(hrefs(undo.toIds)).toEqual([carol.iri]);
    expect(undo.id?.href).toBe(`${ORIGIN}/activities/undo/1`);
  });

  it("embeds the object in Create", async () => {
    const create = await createActivity(ctx, fakePost(), alice, details);
    expect(create).toBeInstanceOf(Create);
    expect(await create.getObject()).toBeInstanceOf(Note);
  });
});
