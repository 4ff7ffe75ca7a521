/**
 * The group pages over HTTP: starting a group, joining and leaving, the
 * members list, discussions / blog / questions with their forms, comments
 * and accepted answers. Every form's CSRF check, hostile and malformed input
 * (422, nothing stored), and no closed or secret content for those who may
 * not read it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, findGroup, type GroupView } from "../../src/domain/groups.ts";
import { groupPosts } from "../../src/domain/group-content.ts";
import { invite, join, membershipOf, setRole } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { findLocalActor } from "../../src/domain/accounts.ts";
import { getPost } from "../../src/domain/posts/read.ts";
import { ANONYMOUS } from "../../src/domain/visibility.ts";
import { Browser, formFields } from "../api/oauth-browser.ts";
import { type Api, startApi, type User } from "../api/support.ts";

let api: Api;
let alice: User;
let bob: User;
let carol: User;
let dave: User;
let square: GroupView;
let council: GroupView;
let vault: GroupView;
let club: GroupView;
const HOSTILE = `<script>alert("x")</script>`;
const ALL = ["discussion", "blog", "question"];

function csrf(html: string): string {
  const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  expect(token).toBeTruthy();
  return token!;
}

async function signedIn(login: string, lang: "en" | "nl" = "en"): Promise<Browser> {
  const browser = new Browser(api, lang);
  const form = await browser.get("/auth/sign_in");
  const res = await browser.post("/auth/sign_in", { ...formFields(form.html), username: login, password: "correct horse battery" });
  expect(res.status, res.html).toBe(303);
  return browser;
}

/** Posts a form of the page at `from` with its token and `fields`. */
async function submit(browser: Browser, from: string, action: string, fields: Record<string, string>) {
  const page = await browser.get(from);
  return browser.post(action, { csrf_token: csrf(page.html), ...fields });
}

async function countIn(group: GroupView): Promise<number> {
  const db = api.running.deps.db;
  return (await groupPosts(db, { kind: "local", actorId: alice.id }, group.actor.id, {}, { limit: 100 })).length;
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, carol, dave] = await Promise.all([api.user("alice"), api.user("bob"), api.user("carol"), api.user("dave")]);
  const { db, config } = api.running.deps;
  square = await createGroup(db, config.origin, alice.actor, { name: "square", displayName: "Town square", visibility: "public", modules: ALL });
  council = await createGroup(db, config.origin, alice.actor, { name: "council", displayName: "Council", description: "Members only", visibility: "closed", joinMode: "approval", modules: ALL });
  vault = await createGroup(db, config.origin, alice.actor, { name: "vault", displayName: "Vault", visibility: "secret", joinMode: "invite", modules: ALL });
  club = await createGroup(db, config.origin, alice.actor, { name: "club", displayName: "Club", visibility: "public", modules: ["discussion"] });
  await createLocalPost(db, config.origin, alice.actor, { type: "Page", name: "Closed budget talk", contentHtml: "<p>The closed salary table</p>", contentSource: "The closed salary table", visibility: "public", groupId: council.actor.id, module: "discussion" });
  await createLocalPost(db, config.origin, alice.actor, { type: "Page", name: "Vault plans", contentHtml: "<p>The vault minutes</p>", contentSource: "The vault minutes", visibility: "public", groupId: vault.actor.id, module: "discussion" });
  await invite(db, vault, alice.actor, dave.actor);
});

afterAll(async () => {
  await api?.close();
});

describe("starting a group", () => {
  it("sends the signed-out to sign in, and makes the group with its modules for the signed-in", async () => {
    const anonymous = new Browser(api, "en");
    const away = await anonymous.get("/groups/new");
    expect(away.status).toBe(303);
    expect(away.location).toBe(`/auth/sign_in?back=${encodeURIComponent("/groups/new")}`);
    const browser = await signedIn("bob");
    expect((await browser.get("/")).html).toContain('href="/groups/new"');
    const form = await browser.get("/groups/new");
    expect(form.status).toBe(200);
    expect(form.html).toContain('name="modules" value="discussion"');
    const res = await browser.post("/groups", { csrf_token: csrf(form.html), name: "Garden_Club", display_name: `Garden ${HOSTILE}`, description: "Plants and #seeds", visibility: "closed", join_mode: "approval", modules: "blog" });
    expect(res.status, res.html).toBe(303);
    expect(res.location).toBe("/@garden_club");
    const { db, config } = api.running.deps;
    const group = await findGroup(db, (await findLocalActor(db, config.origin, "garden_club"))!.id);
    expect(group?.settings?.visibility).toBe("closed");
    expect(group?.settings?.join_mode).toBe("approval");
    expect(group?.modules).toEqual(["blog"]);
    expect((await membershipOf(db, group!.actor.id, bob.id))?.role).toBe("owner");
    const page = await browser.get("/@garden_club");
    expect(page.html).not.toContain("<script>");
    expect(page.html).toContain("Garden &lt;script&gt;");
    expect(page.html).toContain('href="/@garden_club/blog"');
    expect(page.html).not.toContain('href="/@garden_club/discussions"');
  });

  it("refuses without the CSRF token (403) and stores nothing", async () => {
    const browser = await signedIn("bob");
    const res = await browser.post("/groups", { csrf_token: "x".repeat(43), name: "forged_group" });
    expect(res.status).toBe(403);
    expect(await findLocalActor(api.running.deps.db, api.running.config.origin, "forged_group")).toBeUndefined();
  });

  it("shows the form again (422, what was typed kept) for a taken name, a bad handle, long text and an unknown module", async () => {
    const browser = await signedIn("bob");
    const cases: Array<[Record<string, string>, string]> = [
      [{ name: "square" }, "The name &quot;square&quot; is already taken."],
      [{ name: "bad handle!" }, "letters a-z, digits and _"],
      [{ name: "" }, "Choose a name"],
      [{ name: "longname", display_name: "x".repeat(101) }, "at most 100 characters"],
      [{ name: "longtext", description: "y".repeat(5001) }, "at most 5000 characters"],
      [{ name: "nomodule", modules: "nonsense" }, "That section does not exist."],
      [{ name: "badvis", visibility: "everyone" }, "Choose one of the options"],
    ];
    for (const [fields, message] of cases) {
      const res = await submit(browser, "/groups/new", "/groups", { display_name: "Kept <b>name</b>", ...fields });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(res.html).toContain('id="form-error" class="error" role="alert"');
      expect(res.html).toContain(message);
      expect(res.html).toContain('aria-describedby="form-error"');
      if (!fields.display_name) expect(res.html).toContain('value="Kept &lt;b&gt;name&lt;/b&gt;"');
    }
    for (const name of ["longname", "longtext", "nomodule", "badvis"]) {
      expect(await findLocalActor(api.running.deps.db, api.running.config.origin, name)).toBeUndefined();
    }
  });
});

describe("joining and leaving", () => {
  it("joins an open group and leaves it again through POST forms", async () => {
    const browser = await signedIn("carol");
    const page = await browser.get("/@square");
    expect(page.html).toContain("1 member");
    expect(page.html).toContain('action="/@square/join"');
    expect((await browser.post("/@square/join", { csrf_token: "x".repeat(43) })).status).toBe(403);
    const joined = await submit(browser, "/@square", "/@square/join", {});
    expect(joined.status).toBe(303);
    expect(joined.location).toBe("/@square");
    const member = await browser.get("/@square");
    expect(member.html).toContain("2 members");
    expect(member.html).toContain("You are a member");
    expect((await submit(browser, "/@square", "/@square/leave", {})).status).toBe(303);
    expect((await browser.get("/@square")).html).toContain("1 member");
  });

  it("asks to join where admins approve, shows the request while it waits, withdraws it", async () => {
    const browser = await signedIn("carol");
    const page = await browser.get("/@council");
    expect(page.html).toContain("Request to join");
    expect((await submit(browser, "/@council", "/@council/join", {})).status).toBe(303);
    const waiting = await browser.get("/@council");
    expect(waiting.html).toContain("You asked to join");
    expect(waiting.html).not.toContain("closed salary");
    expect((await membershipOf(api.running.deps.db, council.actor.id, carol.id))?.state).toBe("pending");
    expect((await submit(browser, "/@council", "/@council/leave", {})).status).toBe(303);
    expect(await membershipOf(api.running.deps.db, council.actor.id, carol.id)).toBeUndefined();
  });

  it("lets the invited accept a secret group's invitation; the group stays a 404 to everyone else, forms included", async () => {
    const stranger = await signedIn("carol");
    for (const path of ["/@vault", "/@vault/members", "/@vault/discussions", "/@vault/blog", "/@vault/questions"]) {
      const res = await stranger.get(path);
      expect(res.status, path).toBe(404);
      expect(res.html).not.toContain("Vault");
      expect((await new Browser(api, "en").get(path)).status, path).toBe(404);
    }
    expect((await submit(stranger, "/", "/@vault/join", {})).status).toBe(404);
    expect(await membershipOf(api.running.deps.db, vault.actor.id, carol.id)).toBeUndefined();
    const invited = await signedIn("dave");
    const page = await invited.get("/@vault");
    expect(page.status).toBe(200);
    expect(page.html).toContain("You are invited");
    expect(page.html).not.toContain("vault minutes");
    expect((await submit(invited, "/@vault", "/@vault/join", {})).status).toBe(303);
    expect((await invited.get("/@vault/discussions")).html).toContain("Vault plans");
  });
});

describe("members", () => {
  it("lists a public group's members with their roles", async () => {
    await join(api.running.deps.db, api.running.config.origin, club, bob.actor);
    const page = await new Browser(api, "en").get("/@club/members");
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/@alice@[^<]*<\/span> · owner/);
    expect(page.html).toMatch(/@bob@[^<]*<\/span> · member/);
    expect(page.html).toContain('aria-current="page"');
  });

  it("shows a closed group's notice, not its members, to the anonymous and to non-members", async () => {
    for (const browser of [new Browser(api, "en"), await signedIn("carol")]) {
      const page = await browser.get("/@council/members");
      expect(page.status).toBe(200);
      expect(page.html).toContain("closed group");
      expect(page.html).not.toContain("@alice@");
    }
  });
});

describe("discussions, blog and questions", () => {
  it("lets a member post a discussion: 303 to its page, listed newest first", async () => {
    const browser = await signedIn("alice");
    const form = await browser.get("/@square/discussions");
    expect(form.status).toBe(200);
    expect(form.html).toContain('<form class="stack" method="post" action="/@square/discussions">');
    const res = await browser.post("/@square/discussions", { csrf_token: csrf(form.html), title: `Agenda ${HOSTILE}`, text: "What shall we do about the #bridge?" });
    expect(res.status, res.html).toBe(303);
    expect(res.location).toMatch(/^\/@alice\/\d+$/);
    const post = await browser.get(res.location!);
    expect(post.status).toBe(200);
    expect(post.html).toContain("What shall we do about the #bridge?");
    expect(post.html).not.toContain("<script>alert");
    const second = await submit(browser, "/@square/discussions", "/@square/discussions", { title: "Second topic", text: "More" });
    expect(second.status).toBe(303);
    const list = await new Browser(api, "en").get("/@square/discussions");
    expect(list.html.indexOf("Second topic")).toBeGreaterThan(-1);
    expect(list.html.indexOf("Second topic")).toBeLessThan(list.html.indexOf("Agenda &lt;script&gt;"));
    expect(list.html).not.toContain('action="/@square/discussions"');
  });

  it("posts blog posts and questions in their own sections", async () => {
    const browser = await signedIn("alice");
    expect((await submit(browser, "/@square/blog", "/@square/blog", { title: "Weekly note", text: "A long read" })).status).toBe(303);
    expect((await submit(browser, "/@square/questions", "/@square/questions", { title: "Where is the key?", text: "Anyone?" })).status).toBe(303);
    const blog = await browser.get("/@square/blog");
    expect(blog.html).toContain("Weekly note");
    expect(blog.html).not.toContain("Where is the key?");
    const questions = await browser.get("/@square/questions");
    expect(questions.html).toContain("Where is the key?");
    expect(questions.html).toContain("0 answers");
  });

  it("re-renders the form (422) for a missing title, an over-long title or text, and stores nothing", async () => {
    const browser = await signedIn("alice");
    const before = await countIn(square);
    for (const [fields, message] of [
      [{ title: "", text: "Body" }, "Give a title."],
      [{ title: "T", text: "  " }, "Write a text."],
      [{ title: "x".repeat(301), text: "Body" }, "at most 300 characters"],
      [{ title: "Long", text: "z".repeat(50_001) }, "at most 50000 characters"],
    ] as const) {
      const res = await submit(browser, "/@square/discussions", "/@square/discussions", fields);
      expect(res.status).toBe(422);
      expect(res.html).toContain(message);
      expect(res.html).toContain('aria-describedby="form-error"');
    }
    expect(await countIn(square)).toBe(before);
  });

  it("refuses a forged form (403), a non-member's post (403), and stores nothing", async () => {
    const before = await countIn(square);
    const member = await signedIn("alice");
    expect((await member.post("/@square/discussions", { csrf_token: "x".repeat(43), title: "Forged", text: "Forged" })).status).toBe(403);
    const stranger = await signedIn("carol");
    expect((await stranger.get("/@square/discussions")).html).not.toContain('action="/@square/discussions"');
    const refused = await submit(stranger, "/@square/discussions", "/@square/discussions", { title: "Intruder", text: "Let me in" });
    expect(refused.status).toBe(403);
    const closed = await submit(stranger, "/@council/discussions", "/@council/discussions", { title: "Intruder", text: "Let me in" });
    expect(closed.status).toBe(403);
    expect(closed.html).not.toContain("closed salary");
    expect(await countIn(square)).toBe(before);
    expect((await groupPosts(api.running.deps.db, ANONYMOUS, council.actor.id, {}, { limit: 10 })).length).toBe(0);
  });

  it("shows a closed group's sections to non-members and the anonymous without their content", async () => {
    for (const browser of [new Browser(api, "en"), await signedIn("carol")]) {
      for (const path of ["/@council", "/@council/discussions", "/@council/blog", "/@council/questions", "/@council/members"]) {
        const page = await browser.get(path);
        expect(page.status, path).toBe(200);
        expect(page.html, path).not.toContain("closed salary");
        expect(page.html, path).not.toContain("Closed budget talk");
        expect(page.html, path).toContain("only its members see");
      }
    }
    expect((await (await signedIn("alice")).get("/@council/discussions")).html).toContain("Closed budget talk");
  });

  it("pages the threads by max_id, newest first", async () => {
    const { db, config } = api.running.deps;
    const blog = await createGroup(db, config.origin, alice.actor, { name: "paged", visibility: "public", modules: ["blog"] });
    for (let i = 1; i <= 21; i++) {
      await createLocalPost(db, config.origin, alice.actor, { type: "Article", name: `Note number ${i}.`, contentHtml: "<p>x</p>", contentSource: "x", visibility: "public", groupId: blog.actor.id, module: "blog" });
    }
    const browser = new Browser(api, "en");
    const first = await browser.get("/@paged/blog");
    expect(first.html).toContain("Note number 21.");
    expect(first.html).toContain("Note number 2.");
    expect(first.html).not.toContain("Note number 1.");
    const older = /href="(\/@paged\/blog\?max_id=\d+)"/.exec(first.html)?.[1];
    expect(older).toBeTruthy();
    const second = await browser.get(older!);
    expect(second.html).toContain("Note number 1.");
    expect(second.html).not.toContain("Note number 2.");
  });

  it("is a 404 for a module the group has off and for no module at all", async () => {
    const browser = await signedIn("alice");
    for (const path of ["/@club/blog", "/@club/questions", "/@square/nonsense", "/@nobody/discussions"]) {
      expect((await browser.get(path)).status, path).toBe(404);
    }
    expect((await submit(browser, "/@club/discussions", "/@club/blog", { title: "T", text: "B" })).status).toBe(404);
  });
});

describe("comments and answers", () => {
  it("lets a member comment (303 back, the comment listed); refuses a forged form and blank text", async () => {
    const browser = await signedIn("alice");
    const made = await submit(browser, "/@square/discussions", "/@square/discussions", { title: "Comment here", text: "Talk" });
    const path = made.location!;
    const page = await browser.get(path);
    expect(page.html).toContain(`action="${path}/comments"`);
    expect((await browser.post(`${path}/comments`, { csrf_token: "x".repeat(43), text: "Forged" })).status).toBe(403);
    const blank = await submit(browser, path, `${path}/comments`, { text: " " });
    expect(blank.status).toBe(422);
    expect(blank.html).toContain("Write a text.");
    const res = await submit(browser, path, `${path}/comments`, { text: `I agree ${HOSTILE}` });
    expect(res.status).toBe(303);
    expect(res.location).toBe(path);
    const after = await browser.get(path);
    expect(after.html).toContain("I agree &lt;script&gt;");
    expect(after.html).not.toContain("Forged");
    const stranger = await signedIn("carol");
    const seen = await stranger.get(path);
    expect(seen.status).toBe(200);
    expect(seen.html).not.toContain(`action="${path}/comments"`);
    expect((await submit(stranger, path, `${path}/comments`, { text: "Not a member" })).status).toBe(403);
    expect((await browser.get(path)).html).not.toContain("Not a member");
  });

  it("lets anyone signed in comment on a public post outside groups, and nobody comment on a closed group's post they cannot see", async () => {
    const status = await api.post(bob, { status: "Open thoughts" });
    const path = `/@bob/${status.id}`;
    const carolBrowser = await signedIn("carol");
    expect((await carolBrowser.get(path)).html).toContain(`action="${path}/comments"`);
    expect((await submit(carolBrowser, path, `${path}/comments`, { text: "Nice one" })).status).toBe(303);
    expect((await carolBrowser.get(path)).html).toContain("Nice one");
    expect((await new Browser(api, "en").get(path)).html).not.toContain(`action="${path}/comments"`);
    const closedPost = (await groupPosts(api.running.deps.db, { kind: "local", actorId: alice.id }, council.actor.id, {}, { limit: 1 }))[0]!;
    const closedPath = `/@alice/${closedPost.id}`;
    const refused = await submit(carolBrowser, "/", `${closedPath}/comments`, { text: "Peek" });
    expect(refused.status).toBe(404);
  });

  it("shows a question's answers and lets the asker accept one", async () => {
    const { db } = api.running.deps;
    await join(db, api.running.config.origin, square, bob.actor);
    const asker = await signedIn("alice");
    const made = await submit(asker, "/@square/questions", "/@square/questions", { title: "Which day?", text: "Tuesday or Thursday?" });
    const path = made.location!;
    const answerer = await signedIn("bob");
    expect((await submit(answerer, path, `${path}/comments`, { text: "Thursday" })).status).toBe(303);
    const bobsView = await answerer.get(path);
    expect(bobsView.html).toContain("Answers");
    expect(bobsView.html).not.toContain("Accept this answer");
    const page = await asker.get(path);
    expect(page.html).toContain("Accept this answer");
    const answerId = /name="answer_id" value="(\d+)"/.exec(page.html)![1]!;
    expect((await asker.post(`${path}/accept`, { csrf_token: "x".repeat(43), answer_id: answerId })).status).toBe(403);
    expect((await answerer.post(`${path}/accept`, { csrf_token: csrf(bobsView.html), answer_id: answerId })).status).toBe(403);
    const accepted = await asker.post(`${path}/accept`, { csrf_token: csrf(page.html), answer_id: answerId });
    expect(accepted.status).toBe(303);
    const after = await asker.get(path);
    expect(after.html).toContain("Accepted answer");
    expect(after.html).not.toContain("Accept this answer");
    expect((await asker.get("/@square/questions")).html).toContain("Answered");
  });

  it("speaks Dutch by default", async () => {
    const page = await new Browser(api, "nl").get("/@square/discussions");
    expect(page.html).toContain('<html lang="nl">');
    expect(page.html).toContain("Discussies");
  });
});

describe("a group post's page: where it is, editing and deleting", () => {
  let workshop: GroupView;
  const postId = (path: string) => path.split("/").pop()!;

  beforeAll(async () => {
    const { db, config } = api.running.deps;
    workshop = await createGroup(db, config.origin, alice.actor, { name: "workshop", displayName: "Workshop", visibility: "public", modules: ALL });
    for (const u of [bob, carol, dave]) await join(db, config.origin, workshop, u.actor);
    await setRole(db, workshop, alice.actor, carol.actor, "moderator");
  });

  it("links a group post back to its group and section; a post outside groups has no such line", async () => {
    const browser = await signedIn("bob");
    const made = await submit(browser, "/@workshop/blog", "/@workshop/blog", { title: "Where am I", text: "Here" });
    const page = await browser.get(made.location!);
    expect(page.html).toMatch(/<nav class="breadcrumb" aria-label="Breadcrumb"><ul><li><a href="\/@workshop">Workshop<\/a><\/li><li><a href="\/@workshop\/blog">Blog<\/a>/);
    const status = await api.post(bob, { status: "No group" });
    expect((await browser.get(`/@bob/${status.id}`)).html).not.toContain('class="breadcrumb"');
  });

  it("takes a content warning on the new-post form and shows it before the text", async () => {
    const browser = await signedIn("bob");
    const form = await browser.get("/@workshop/discussions");
    expect(form.html).toContain('<label for="summary">Content warning (optional)</label>');
    const made = await submit(browser, "/@workshop/discussions", "/@workshop/discussions", { title: "Budget", summary: "Figures ahead", text: "The numbers" });
    expect(made.status).toBe(303);
    const page = await browser.get(made.location!);
    expect(page.html).toContain("<p><strong>Figures ahead</strong></p>");
    expect((await getPost(api.running.deps.db, postId(made.location!)))?.summary).toBe("Figures ahead");
  });

  it("lets the author edit title, content warning and text (303); refuses a forged form, others (403) and bad input (422), changing nothing", async () => {
    const author = await signedIn("bob");
    const made = await submit(author, "/@workshop/discussions", "/@workshop/discussions", { title: "Draft title", summary: "Old warning", text: "Draft text" });
    const path = made.location!;
    const page = await author.get(path);
    expect(page.html).toContain(`href="${path}/edit"`);
    expect(page.html).toContain(`href="${path}/delete"`);
    const form = await author.get(`${path}/edit`);
    expect(form.status).toBe(200);
    expect(form.html).toContain('value="Draft title"');
    expect(form.html).toContain('value="Old warning"');
    expect(form.html).toContain(">Draft text</textarea>");
    expect((await author.post(`${path}/edit`, { csrf_token: "x".repeat(43), title: "Forged", text: "Forged" })).status).toBe(403);
    for (const login of ["dave", "carol", "alice"]) {
      const other = await signedIn(login);
      const view = await other.get(path);
      expect(view.html, login).not.toContain(`href="${path}/edit"`);
      expect((await other.get(`${path}/edit`)).status, login).toBe(403);
      const refused = await submit(other, path, `${path}/edit`, { title: "Hijacked", text: "Hijacked" });
      expect(refused.status, login).toBe(403);
    }
    for (const [fields, message] of [
      [{ title: " ", text: "Body" }, "Give a title."],
      [{ title: "T", text: " " }, "Write a text."],
      [{ title: "x".repeat(301), text: "Body" }, "at most 300 characters"],
      [{ title: "T", summary: "w".repeat(5001), text: "Body" }, "at most"],
    ] as const) {
      const res = await submit(author, `${path}/edit`, `${path}/edit`, fields);
      expect(res.status, JSON.stringify(fields).slice(0, 80)).toBe(422);
      expect(res.html).toContain(message);
      expect(res.html).toContain('aria-describedby="form-error"');
      expect(res.html).toContain(">Body</textarea>".replace("Body", fields.text));
    }
    const unchanged = await getPost(api.running.deps.db, postId(path));
    expect([unchanged?.name, unchanged?.summary, unchanged?.content_source]).toEqual(["Draft title", "Old warning", "Draft text"]);
    const saved = await submit(author, `${path}/edit`, `${path}/edit`, { title: `Final ${HOSTILE}`, summary: "", text: "Final text" });
    expect(saved.status, saved.html).toBe(303);
    expect(saved.location).toBe(path);
    const after = await author.get(path);
    expect(after.html).toContain("Final text");
    expect(after.html).toContain("Final &lt;script&gt;");
    const edited = await getPost(api.running.deps.db, postId(path));
    expect([edited?.summary, edited?.content_source]).toEqual([null, "Final text"]);
  });

  it("lets the author edit a comment (text and content warning, no title)", async () => {
    const author = await signedIn("bob");
    const thread = await submit(author, "/@workshop/discussions", "/@workshop/discussions", { title: "Thread", text: "Start" });
    await submit(author, thread.location!, `${thread.location!}/comments`, { text: "First go" });
    const comment = (await groupPosts(api.running.deps.db, { kind: "local", actorId: bob.id }, workshop.actor.id, { topLevel: false }, { limit: 50 }))
      .find((p) => p.content_source === "First go")!;
    const path = `/@bob/${comment.id}`;
    const form = await author.get(`${path}/edit`);
    expect(form.status).toBe(200);
    expect(form.html).not.toContain('id="title"');
    expect((await submit(author, `${path}/edit`, `${path}/edit`, { summary: "Aside", text: "Second go" })).status).toBe(303);
    expect((await getPost(api.running.deps.db, comment.id))?.content_source).toBe("Second go");
  });

  it("deletes after a confirmation for the author and for a moderator of the group; 403 for anyone else, nothing deleted", async () => {
    const author = await signedIn("bob");
    const first = (await submit(author, "/@workshop/discussions", "/@workshop/discussions", { title: "Goes soon", text: "Bye" })).location!;
    const second = (await submit(author, "/@workshop/discussions", "/@workshop/discussions", { title: "Moderated away", text: "Off topic" })).location!;
    const member = await signedIn("dave");
    expect((await member.get(first)).html).not.toContain(`href="${first}/delete"`);
    expect((await member.get(`${first}/delete`)).status).toBe(403);
    expect((await submit(member, first, `${first}/delete`, {})).status).toBe(403);
    const moderator = await signedIn("carol");
    expect((await author.post(`${first}/delete`, { csrf_token: "x".repeat(43) })).status).toBe(403);
    expect((await getPost(api.running.deps.db, postId(first)))?.deleted_at).toBeNull();
    const confirm = await author.get(`${first}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Delete this post?");
    expect(confirm.html).toContain(`action="${first}/delete"`);
    const gone = await author.post(`${first}/delete`, { csrf_token: csrf(confirm.html) });
    expect(gone.status).toBe(303);
    expect(gone.location).toBe("/@workshop/discussions");
    expect((await author.get(first)).status).toBe(404);
    const moderatorView = await moderator.get(second);
    expect(moderatorView.html).toContain(`href="${second}/delete"`);
    expect(moderatorView.html).not.toContain(`href="${second}/edit"`);
    expect((await submit(moderator, `${second}/delete`, `${second}/delete`, {})).status).toBe(303);
    expect((await getPost(api.running.deps.db, postId(second)))?.deleted_at).not.toBeNull();
  });
});

describe("a group where a moderator approves first", () => {
  it("tells the writer their post and their comment wait for a moderator", async () => {
    const { db, config } = api.running.deps;
    const guarded = await createGroup(db, config.origin, alice.actor, { name: "guarded", visibility: "public", modules: ["discussion"], moderatePosts: true, moderateComments: true });
    await join(db, config.origin, guarded, bob.actor);
    const browser = await signedIn("bob");
    const res = await submit(browser, "/@guarded/discussions", "/@guarded/discussions", { title: "Please approve", text: "Waiting" });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/@guarded/discussions?waiting");
    const page = await browser.get(res.location!);
    expect(page.html).toContain('<p class="notice" role="status">Your post is waiting for a moderator.');
    const waiting = (await groupPosts(db, { kind: "local", actorId: alice.id }, guarded.actor.id, {}, { limit: 10 }))[0];
    expect(waiting?.moderation).toBe("pending");
    const approved = await createLocalPost(db, config.origin, alice.actor, { type: "Page", name: "Open", contentHtml: "<p>Open</p>", contentSource: "Open", visibility: "public", groupId: guarded.actor.id, module: "discussion" });
    const path = `/@alice/${approved.id}`;
    const comment = await submit(browser, path, `${path}/comments`, { text: "Me too" });
    expect(comment.location).toBe(`${path}?waiting`);
    expect((await browser.get(comment.location!)).html).toContain("Your post is waiting for a moderator.");
    expect((await browser.get(path)).html).not.toContain('class="notice"');
  });
});

describe("the domain's refusals in Dutch", () => {
  it("shows a non-member's refused post in Dutch on a Dutch page", async () => {
    const browser = await signedIn("carol", "nl");
    const res = await submit(browser, "/@club", "/@club/discussions", { title: "Binnendringer", text: "Laat me erin" });
    expect(res.status).toBe(403);
    expect(res.html).toContain("Alleen leden plaatsen berichten in deze groep.");
    expect(res.html).not.toContain("Only members post");
  });
});
