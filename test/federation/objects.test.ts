import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { Actor, Post, Visibility } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { receiveFollow } from "../../src/domain/follows.ts";
import { createLocalPost, deleteLocalPost } from "../../src/domain/posts/authoring.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { htmlToParagraphs } from "../../src/web/posts.ts";
import { openTestDatabase } from "../support/db.ts";
import { type FakeActor, FakeRemote } from "./fake-remote.ts";

const ORIGIN = "https://plein.test";
const config = loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", PLEIN_ALLOW_PRIVATE_ADDRESS: "true" });
const AP = "application/activity+json";
const PUBLIC = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];

let running: RunningPlein;
let remote: FakeRemote;
let alice: Actor;
let carolRow: Actor;
let carol: FakeActor; // follows alice
let dave: FakeActor; // knows alice, does not follow
let stranger: FakeActor; // never stored
let carolServer: FakeActor; // Application on carol's host: the server's instance actor
const posts: Record<string, Post> = {};

const url = (path: string) => new URL(path, ORIGIN).href;
const get = (path: string, accept = AP) => running.app.request(url(path), { headers: { accept } });
const signedGet = async (actor: FakeActor, path: string, accept = AP) =>
  running.app.request(await remote.signed(actor, url(path), { headers: { accept } }));
const pathOf = (post: Post) => new URL(post.iri).pathname;

function asArray(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

async function post(visibility: Visibility, extra: { mentionIds?: string[]; tags?: string[]; contentHtml?: string } = {}) {
  return createLocalPost(running.deps.db, config.origin, alice, {
    contentHtml: extra.contentHtml ?? `<p>${visibility} post</p>`,
    visibility,
    ...(extra.mentionIds ? { mentionIds: extra.mentionIds } : {}),
    ...(extra.tags ? { tags: extra.tags } : {}),
  });
}

beforeAll(async () => {
  remote = new FakeRemote();
  await remote.start();
  running = await startPlein(config, { database: await openTestDatabase(), listen: false, role: "web" });
  const db = running.deps.db;
  alice = await createUser(db, config.origin, { username: "alice", email: "alice@plein.test", password: "correct horse" });
  carol = await remote.addActor("carol");
  dave = await remote.addActor("dave");
  stranger = await remote.addActor("stranger");
  carolServer = await remote.addActor("instance", "Application");
  carolRow = await remote.store(db, "plein.test", carol);
  await remote.store(db, "plein.test", dave);
  await receiveFollow(db, carolRow, alice, `${carol.iri}#follows/1`);
  posts.public = await post("public", { mentionIds: [carolRow.id], tags: ["Plein"], contentHtml: "<p>Hello @carol #plein</p>" });
  posts.unlisted = await post("unlisted");
  posts.followers = await post("followers");
  posts.direct = await post("direct", { mentionIds: [carolRow.id] });
  posts.instance = await post("instance");
  posts.script = await post("public", { contentHtml: "<p>a &lt;b&gt; <script>alert(1)</script> &amp; c</p>" });
  posts.deletedPublic = await deleteLocalPost(db, alice, (await post("public")).id);
  posts.deletedFollowers = await deleteLocalPost(db, alice, (await post("followers")).id);
});

afterAll(async () => {
  await running?.close();
  await running?.database.close();
  await remote?.stop();
});

describe("ActivityPub objects", () => {
  it("serves a public post as a Note with public addressing, tags and a replies collection", async () => {
    const res = await get(pathOf(posts.public!));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/activity\+json/);
    const note = await res.json() as Record<string, unknown>;
    expect(note.type).toBe("Note");
    expect(note.id).toBe(posts.public!.iri);
    expect(note.attributedTo).toBe(alice.iri);
    expect(note.content).toBe("<p>Hello @carol #plein</p>");
    expect(PUBLIC).toContain(asArray(note.to)[0]);
    expect(asArray(note.to)).toHaveLength(1);
    expect(asArray(note.cc)).toEqual(expect.arrayContaining([alice.followers_url, carol.iri]));
    const tags = asArray(note.tag) as Array<Record<string, unknown>>;
    expect(tags).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: "Mention", href: carol.iri, name: `@carol@${remote.host}` }),
      expect.objectContaining({ type: "Hashtag", href: `${ORIGIN}/tags/plein`, name: "#plein" }),
    ]));
    expect(note.replies).toBe(`${posts.public!.iri}/replies`);
    expect(typeof note.published).toBe("string");
  });

  it("addresses an unlisted post to the followers with the public in cc", async () => {
    const note = await (await get(pathOf(posts.unlisted!))).json() as Record<string, unknown>;
    expect(asArray(note.to)).toEqual([alice.followers_url]);
    expect(asArray(note.cc).some((c) => PUBLIC.includes(c as string))).toBe(true);
  });

  it("answers a followers-only post unsigned exactly like a nonexistent one", async () => {
    const forbidden = await get(pathOf(posts.followers!));
    const absent = await get(`/notes/${crypto.randomUUID()}`);
    expect(forbidden.status).toBe(404);
    expect(absent.status).toBe(404);
    expect(await forbidden.text()).toBe(await absent.text());
    expect(forbidden.headers.get("content-type")).toBe(absent.headers.get("content-type"));
    // Direct and instance-only posts, and deleted followers-only posts, too.
    for (const p of [posts.direct!, posts.instance!, posts.deletedFollowers!]) {
      const res = await get(pathOf(p));
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(await (await get(`/notes/${crypto.randomUUID()}`)).text());
    }
  });

  it("treats malformed ids and hostile paths as absent", async () => {
    const reference = await (await get(`/notes/${crypto.randomUUID()}`)).text();
    for (const path of ["/notes/not-a-uuid", "/notes/%27%20or%201=1", `/articles/${posts.public!.iri.split("/").pop()}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe(reference);
    }
  });

  it("shows a followers-only post to a signed follower and to its server, not to others", async () => {
    const path = pathOf(posts.followers!);
    const byFollower = await signedGet(carol, path);
    expect(byFollower.status).toBe(200);
    expect(((await byFollower.json()) as Record<string, unknown>).id).toBe(posts.followers!.iri);
    const byServer = await signedGet(carolServer, path);
    expect(byServer.status).toBe(200);
    const reference = await (await get(`/notes/${crypto.randomUUID()}`)).text();
    for (const other of [dave, stranger]) {
      const res = await signedGet(other, path);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(reference);
    }
  });

  it("shows a direct post to the mentioned actor only", async () => {
    const path = pathOf(posts.direct!);
    const res = await signedGet(carol, path);
    expect(res.status).toBe(200);
    const note = await res.json() as Record<string, unknown>;
    expect(asArray(note.to)).toEqual([carol.iri]);
    expect(asArray(note.cc)).toEqual([]);
    expect((await signedGet(dave, path)).status).toBe(404);
  });

  it("ignores a signature made with another actor's key", async () => {
    // dave signs, but claims carol's key id: verification fails, the request is anonymous.
    const req = await remote.signed({ ...dave, keyId: carol.keyId }, url(pathOf(posts.followers!)), { headers: { accept: AP } });
    expect((await running.app.request(req)).status).toBe(404);
  });

  it("never serves instance-only posts, whoever signs", async () => {
    for (const who of [carol, carolServer]) expect((await signedGet(who, pathOf(posts.instance!))).status).toBe(404);
  });

  it("answers a deleted public post with 410 and a Tombstone", async () => {
    const res = await get(pathOf(posts.deletedPublic!));
    expect(res.status).toBe(410);
    const body = await res.json() as Record<string, unknown>;
    expect(body.type).toBe("Tombstone");
    expect(body.id).toBe(posts.deletedPublic!.iri);
  });

  it("redirects browsers to the post's page, which escapes the content", async () => {
    const res = await get(pathOf(posts.script!), "text/html,application/xhtml+xml,*/*;q=0.8");
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    expect(location).toBe(`/@alice/${posts.script!.id}`);
    const page = await running.app.request(url(location), { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("a &lt;b&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain(`href="${posts.script!.iri}"`);
  });

  it("gives browsers the same 404 for private, deleted and absent posts", async () => {
    const reference = await get(`/notes/${crypto.randomUUID()}`, "text/html");
    expect(reference.status).toBe(404);
    const text = await reference.text();
    for (const p of [posts.followers!, posts.direct!, posts.instance!, posts.deletedFollowers!]) {
      const res = await get(pathOf(p), "text/html");
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(text);
      const page = await running.app.request(url(`/@alice/${p.id}`), { headers: { accept: "text/html" } });
      expect(page.status).toBe(404);
      expect(await page.text()).toBe(text);
    }
    expect((await running.app.request(url(`/@bob/${posts.public!.id}`))).status).toBe(404);
    expect((await running.app.request(url("/@alice/99999999999"))).status).toBe(404);
    expect((await running.app.request(url("/@alice/9999999999999999999"))).status).toBe(404);
  });
});

describe("post page text", () => {
  it("turns stored HTML into paragraphs and keeps hostile input as text", () => {
    expect(htmlToParagraphs("<p>one<br>two</p><p>three &amp; &lt;four&gt; &#x1F600;</p>")).toEqual(["one\ntwo", "three & <four> \u{1F600}"]);
    expect(htmlToParagraphs("a <b")).toEqual(["a <b"]);
    const unclosed = "<".repeat(100_000);
    expect(htmlToParagraphs(unclosed)).toEqual([unclosed]);
    expect(htmlToParagraphs("&#0; &#99999999; &bogus;")).toEqual(["&#0; &#99999999; &bogus;"]);
  });
});
