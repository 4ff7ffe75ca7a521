import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { invite, join } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { updateProfile } from "../../src/domain/profiles.ts";
import { Browser, formFields } from "../api/oauth-browser.ts";
import { type Api, startApi, type User } from "../api/support.ts";

let api: Api;
let alice: User;
let bob: User;
let mallory: User;
let open: GroupView;
let closed: GroupView;
let hidden: GroupView;
const HOSTILE = `<script>alert("x")</script>`;

async function postIn(author: User, group: GroupView | null, text: string, visibility: "public" | "unlisted" | "followers" = "public") {
  return createLocalPost(api.running.deps.db, api.running.config.origin, author.actor, {
    contentHtml: `<p>${text}</p>`, contentSource: text, visibility, groupId: group?.actor.id,
  });
}

beforeAll(async () => {
  api = await startApi();
  [alice, bob, mallory] = await Promise.all([api.user("alice"), api.user("bob"), api.user("mallory")]);
  const { db, config } = api.running.deps;
  await updateProfile(db, config.origin, mallory.actor, { displayName: HOSTILE });
  open = await createGroup(db, config.origin, alice.actor, { name: "open_square", displayName: "Open square", description: "Anyone may read", visibility: "public", modules: [] });
  closed = await createGroup(db, config.origin, alice.actor, { name: "back_room", displayName: "Back room", description: "Members only", visibility: "closed", joinMode: "open", modules: [] });
  await join(db, config.origin, open, bob.actor);
  await postIn(alice, open, "Open agenda #budget");
  await postIn(alice, closed, "The secret salary table");
  await postIn(mallory, null, `hello ${HOSTILE.replace(/</g, "&lt;").replace(/>/g, "&gt;")}`);
  await postIn(alice, null, "Followers only thoughts", "followers");
  await postIn(alice, null, "Quietly unlisted note", "unlisted");
  hidden = await createGroup(db, config.origin, alice.actor, { name: "hidden_room", displayName: "Hidden room", description: "Nobody knows", visibility: "secret", joinMode: "invite", modules: [] });
  await invite(db, hidden, alice.actor, mallory.actor);
  await postIn(alice, hidden, "The hidden minutes");
});

afterAll(async () => {
  await api?.close();
});

async function signIn(browser: Browser, login: string) {
  const form = await browser.get("/auth/sign_in");
  expect(form.status).toBe(200);
  const res = await browser.post("/auth/sign_in", { ...formFields(form.html), username: login, password: "correct horse battery" });
  expect(res.status, res.html).toBe(303);
  return res;
}

describe("web pages", () => {
  it("serve the home page with the CSP, no inline style or script, and the stylesheet from this origin", async () => {
    const browser = new Browser(api);
    const home = await browser.get("/");
    expect(home.status).toBe(200);
    expect(home.headers.get("content-security-policy")).toMatch(/default-src 'none'.*style-src 'self'/);
    expect(home.html).not.toMatch(/<style|<script|style=/);
    expect(home.html).toContain('href="/auth/sign_in"');
    expect(home.html).toContain("Open square");
    expect(home.html).toContain('<a class="skip" href="#main">');
    const css = await browser.get("/static/plein.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("choose Dutch by default, English from Accept-Language, and switch by the lang cookie", async () => {
    expect((await new Browser(api, "fr").get("/")).html).toContain('<html lang="nl">');
    const browser = new Browser(api, "en-GB,en;q=0.8");
    const home = await browser.get("/");
    expect(home.html).toContain('<html lang="en">');
    const fields = formFields(home.html.slice(home.html.indexOf('action="/settings/language"') - 30));
    expect(fields.lang).toBe("nl");
    const switched = await browser.post("/settings/language", fields);
    expect(switched.status).toBe(303);
    expect((await browser.get("/")).html).toContain('<html lang="nl">');
  });

  it("sign in with a site-wide HttpOnly SameSite=Lax Secure cookie, show your groups and home, sign out", async () => {
    const browser = new Browser(api, "en");
    await signIn(browser, "bob");
    const cookie = browser.setCookieHeaders.find((l) => l.startsWith("plein_site="));
    expect(cookie).toMatch(/Path=\/(;|$)/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
    const home = await browser.get("/");
    expect(home.html).toContain("Signed in as @bob");
    expect(home.html).toContain("Open square");
    expect(home.html).toContain("Open agenda");
    const out = await browser.post("/auth/sign_out", formFields(home.html.slice(home.html.indexOf('action="/auth/sign_out"') - 30)));
    expect(out.status).toBe(303);
    expect((await browser.get("/")).html).not.toContain("Signed in as");
  });

  it("refuse forms without the CSRF token with a 403", async () => {
    const browser = new Browser(api, "en");
    await browser.get("/auth/sign_in");
    const res = await browser.post("/auth/sign_in", { username: "bob", password: "correct horse battery" });
    expect(res.status).toBe(403);
    expect(browser.cookies.has("plein_site")).toBe(false);
    const signedIn = new Browser(api, "en");
    await signIn(signedIn, "bob");
    expect((await signedIn.post("/auth/sign_out", { csrf_token: "x".repeat(43) })).status).toBe(403);
    expect((await signedIn.get("/")).html).toContain("Signed in as @bob");
  });

  it("go back after sign-in only to a path on this site", async () => {
    for (const [back, expected] of [["/@alice", "/@alice"], ["//evil.example/x", "/"], ["https://evil.example/", "/"], ["/\\evil.example", "/"]]) {
      const browser = new Browser(api, "en");
      const form = await browser.get(`/auth/sign_in?back=${encodeURIComponent(back!)}`);
      const res = await browser.post("/auth/sign_in", { ...formFields(form.html), username: "bob", password: "correct horse battery" });
      expect(res.status).toBe(303);
      expect(res.location, back).toBe(expected);
    }
  });

  it("refuse a wrong password with 401 and throttle repeated failures", async () => {
    const browser = new Browser(api, "en");
    const form = await browser.get("/auth/sign_in");
    let last = 0;
    for (let i = 0; i < 6; i++) {
      last = (await browser.post("/auth/sign_in", { ...formFields(form.html), username: "carol_nobody", password: "wrong" })).status;
    }
    expect(last).toBe(429);
  });

  it("print a hostile display name and content as text", async () => {
    const browser = new Browser(api, "en");
    const profile = await browser.get("/@mallory");
    expect(profile.status).toBe(200);
    expect(profile.html).not.toContain("<script>");
    expect(profile.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });

  it("show a person's public posts to anyone, followers-only ones not to the anonymous", async () => {
    const browser = new Browser(api, "en");
    const profile = await browser.get("/@alice");
    expect(profile.html).toContain('rel="alternate" type="application/activity+json"');
    expect(profile.html).toContain('type="application/atom+xml" href="/@alice.atom"');
    expect(profile.html).not.toContain("Followers only thoughts");
    expect(profile.html).not.toContain("secret salary");
    const feed = await browser.get("/@alice.atom");
    expect(feed.headers.get("content-type")).toMatch(/^application\/atom\+xml/);
    expect(feed.html).not.toContain("Followers only thoughts");
    expect(feed.html).not.toContain("secret salary");
    expect((await browser.get("/@nobody_here")).status).toBe(404);
  });

  it("show a public group's discussions; a closed group only its name and description to non-members", async () => {
    const anonymous = new Browser(api, "en");
    const openPage = await anonymous.get("/@open_square");
    expect(openPage.html).toContain("Open agenda");
    expect(openPage.html).toContain("2 members");
    for (const browser of [anonymous, new Browser(api, "en")]) {
      if (browser !== anonymous) await signIn(browser, "bob");
      const page = await browser.get("/@back_room");
      expect(page.status).toBe(200);
      expect(page.html).toContain("Back room");
      expect(page.html).toContain("Members only");
      expect(page.html).not.toContain("secret salary");
      expect(page.html).not.toMatch(/\d members?/);
    }
    expect((await anonymous.get("/@back_room.atom")).status).toBe(404);
    const owner = new Browser(api, "en");
    await signIn(owner, "alice");
    expect((await owner.get("/@back_room")).html).toContain("The secret salary table");
  });

  it("hide a secret group from those it does not know (404, like no group), show the invited its name only, its members its content", async () => {
    const anonymous = new Browser(api, "en");
    expect((await anonymous.get("/@hidden_room")).status).toBe(404);
    expect((await anonymous.get("/@hidden_room.atom")).status).toBe(404);
    const stranger = new Browser(api, "en");
    await signIn(stranger, "bob");
    const refused = await stranger.get("/@hidden_room");
    expect(refused.status).toBe(404);
    expect(refused.html).not.toContain("Hidden room");
    const invited = new Browser(api, "en");
    await signIn(invited, "mallory");
    const outline = await invited.get("/@hidden_room");
    expect(outline.status).toBe(200);
    expect(outline.html).toContain("Nobody knows");
    expect(outline.html).not.toContain("The hidden minutes");
    expect(outline.html).not.toMatch(/\d members?/);
    const owner = new Browser(api, "en");
    await signIn(owner, "alice");
    expect((await owner.get("/@hidden_room")).html).toContain("The hidden minutes");
  });

  it("put a person's unlisted posts in the feed as Mastodon does, never the followers-only ones", async () => {
    const feed = await new Browser(api, "en").get("/@alice.atom");
    expect(feed.status).toBe(200);
    expect(feed.html).toContain("Quietly unlisted note");
    expect(feed.html).not.toContain("Followers only thoughts");
  });

  it("show a post in a closed group to its members with the comments, a 404 to others", async () => {
    const post = await postIn(alice, closed, "Members-only minutes");
    const reply = await createLocalPost(api.running.deps.db, api.running.config.origin, alice.actor, {
      contentHtml: "<p>A comment on the minutes</p>", contentSource: "A comment on the minutes", visibility: "public", groupId: closed.actor.id, inReplyToId: post.id,
    });
    expect(reply.in_reply_to_id).toBe(post.id);
    const path = `/@alice/${post.id}`;
    expect((await new Browser(api, "en").get(path)).status).toBe(404);
    const outsider = new Browser(api, "en");
    await signIn(outsider, "bob");
    expect((await outsider.get(path)).status).toBe(404);
    const owner = new Browser(api, "en");
    await signIn(owner, "alice");
    const page = await owner.get(path);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Members-only minutes");
    expect(page.html).toContain("A comment on the minutes");
  });

  it("send browsers opening an actor's ActivityPub id to its page; ActivityPub clients still get JSON", async () => {
    const page = await api.running.app.request("https://plein.test/users/back_room", { headers: { accept: "text/html" } });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/@back_room");
    const json = await api.running.app.request("https://plein.test/users/alice", { headers: { accept: "application/activity+json" } });
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/activity\+json|ld\+json/);
  });

  it("list public posts of a tag", async () => {
    await api.post(alice, { status: "Tagged #Budget talk" });
    const page = await new Browser(api, "en").get("/tags/budget");
    expect(page.status).toBe(200);
    expect(page.html).toContain("Tagged #Budget talk");
  });

  it("let the OAuth pages use the site's session", async () => {
    const browser = new Browser(api, "en");
    await signIn(browser, "bob");
    const app = await api.request<{ client_id: string }>("POST", "/api/v1/apps", { json: { client_name: "App", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read" } });
    const page = await browser.get(`/oauth/authorize?${new URLSearchParams({ client_id: app.body.client_id, redirect_uri: "urn:ietf:wg:oauth:2.0:oob", response_type: "code", scope: "read" })}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("@bob@");
    expect(page.html).not.toContain('type="password"');
  });
});
