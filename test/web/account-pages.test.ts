/**
 * The account pages over HTTP: registration in every mode and its admin
 * page, password change, sessions and apps, notifications, search; the CSRF
 * check on every form, throttling, and what strangers must not see.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../src/domain/accounts.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join, leave } from "../../src/domain/membership.ts";
import { notify } from "../../src/domain/notifications.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { updateRegistrationSettings } from "../../src/domain/registrations.ts";
import { checkPassword } from "../../src/domain/sessions.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { Browser, formFields } from "../api/oauth-browser.ts";
import { type Api, startApi, type User } from "../api/support.ts";

const PASSWORD = "correct horse battery";
let api: Api;
let alice: User;
let bob: User;
let closed: GroupView;
let hidden: GroupView;

beforeAll(async () => {
  api = await startApi();
  const { db, config } = api.running.deps;
  await createUser(db, config.origin, { username: "chief", email: "chief@plein.test", password: PASSWORD, admin: true });
  [alice, bob] = await Promise.all([api.user("alice"), api.user("bob")]);
  closed = await createGroup(db, config.origin, alice.actor, { name: "back_room", displayName: "Back room", description: "Members only", visibility: "closed", joinMode: "open", modules: [] });
  hidden = await createGroup(db, config.origin, alice.actor, { name: "hidden_room", displayName: "Hidden room", description: "Nobody knows", visibility: "secret", joinMode: "invite", modules: [] });
  await createGroup(db, config.origin, alice.actor, { name: "hiking_club", displayName: "Hiking club", description: "Walks", visibility: "public", modules: [] });
});

afterAll(async () => {
  await api?.close();
});

/** The fields of the form whose action is `action` on the page. */
function formOf(html: string, action: string): Record<string, string> {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).toBeGreaterThan(-1);
  return formFields(html.slice(html.lastIndexOf("<form", at), html.indexOf("</form>", at)));
}

async function signIn(login: string, password = PASSWORD): Promise<Browser> {
  const browser = new Browser(api, "en");
  const form = await browser.get("/auth/sign_in");
  const res = await browser.post("/auth/sign_in", { ...formFields(form.html), username: login, password });
  expect(res.status, res.html).toBe(303);
  return browser;
}

async function setMode(mode: string, domains: string[] = []) {
  await updateRegistrationSettings(api.running.deps.db, mode, domains);
}

interface Fields { username: string; email?: string; password?: string; again?: string; displayName?: string }

async function signUp(browser: Browser, f: Fields, path = "/auth/sign_up") {
  const page = await browser.get(path);
  const token = browser.cookies.get("plein_site_csrf") ?? formFields(page.html).csrf_token!;
  const invite = /name="invite" value="([^"]*)"/.exec(page.html)?.[1];
  return browser.post("/auth/sign_up", {
    csrf_token: token, username: f.username, display_name: f.displayName ?? "", email: f.email ?? `${f.username}@mail.example`,
    password: f.password ?? PASSWORD, password_again: f.again ?? f.password ?? PASSWORD, ...(invite ? { invite } : {}),
  });
}

async function instance() {
  const v1 = await api.request<{ registrations: boolean; approval_required: boolean; invites_enabled: boolean }>("GET", "/api/v1/instance");
  const v2 = await api.request<{ registrations: { enabled: boolean; approval_required: boolean; message: string | null } }>("GET", "/api/v2/instance");
  return { v1: v1.body, v2: v2.body.registrations };
}

describe("registration", () => {
  it("is closed by default: the page says so, a POST is refused, the instance entities say false", async () => {
    const browser = new Browser(api, "en");
    const page = await browser.get("/auth/sign_up");
    expect(page.status).toBe(403);
    expect(page.html).toContain("You cannot create an account");
    expect((await browser.get("/auth/sign_in")).html).not.toContain('href="/auth/sign_up"');
    const res = await signUp(browser, { username: "closed_try" });
    expect(res.status).toBe(403);
    expect((await api.request("GET", "/api/v1/accounts/lookup?acct=closed_try")).status).toBe(404);
    const { v1, v2 } = await instance();
    expect(v1).toMatchObject({ registrations: false, approval_required: false, invites_enabled: false });
    expect(v2).toMatchObject({ enabled: false, approval_required: false });
  });

  it("when open, makes the account and signs the person in; refuses a taken name, mismatched or short passwords with 422, keeping what was typed", async () => {
    await setMode("open");
    expect((await instance()).v2).toMatchObject({ enabled: true, approval_required: false });
    const browser = new Browser(api, "en");
    expect((await browser.get("/auth/sign_in")).html).toContain('href="/auth/sign_up"');
    const made = await signUp(browser, { username: "olga", displayName: "Olga O." });
    expect(made.status, made.html).toBe(303);
    expect(made.location).toBe("/");
    expect((await browser.get("/")).html).toContain("Signed in as @olga");

    const other = new Browser(api, "en");
    const taken = await signUp(other, { username: "olga", email: "olga2@mail.example", displayName: "Second <Olga>" });
    expect(taken.status).toBe(422);
    expect(taken.html).toContain('id="form-error"');
    expect(taken.html).toContain('aria-describedby="form-error');
    expect(taken.html).toContain("Second &lt;Olga&gt;");
    expect(taken.html).toContain("This user name is taken");
    const dutch = await signUp(new Browser(api, "nl"), { username: "olga", email: "olga3@mail.example" });
    expect(dutch.status).toBe(422);
    expect(dutch.html).toContain("Deze gebruikersnaam is al in gebruik");
    const differ = await signUp(other, { username: "olga_two", password: "long enough one", again: "long enough two" });
    expect(differ.status).toBe(422);
    expect(differ.html).toContain("not the same");
    const short = await signUp(other, { username: "olga_two", password: "short" });
    expect(short.status).toBe(422);
    const badName = await signUp(other, { username: "Robert'); drop table--" });
    expect(badName.status).toBe(422);
    expect((await api.request("GET", "/api/v1/accounts/lookup?acct=olga_two")).status).toBe(404);
  });

  it("by approval: the account waits, cannot sign in until an admin approves; a rejected one is gone", async () => {
    await setMode("approval");
    expect((await instance()).v1).toMatchObject({ registrations: true, approval_required: true });
    const browser = new Browser(api, "en");
    const made = await signUp(browser, { username: "paula" });
    expect(made.status).toBe(303);
    expect(made.location).toBe("/auth/sign_up/waiting");
    expect((await browser.get("/auth/sign_up/waiting")).html).toContain("An admin still has to approve it");
    expect(browser.cookies.has("plein_site")).toBe(false);
    const form = await browser.get("/auth/sign_in");
    const refused = await browser.post("/auth/sign_in", { ...formFields(form.html), username: "paula", password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain("waiting for an admin");
    // Nor can the OAuth pages' sign-in (checkPassword) let a waiting account in.
    expect(await checkPassword(api.running.deps.db, api.running.config.origin, "paula", PASSWORD)).toBeUndefined();

    await signUp(new Browser(api, "en"), { username: "rejected_one" });
    const chief = await signIn("chief");
    const admin = await chief.get("/admin/registrations");
    expect(admin.status).toBe(200);
    expect(admin.html).toContain("@paula");
    const approveId = /pending\/(\d+)\/approve/.exec(admin.html.slice(admin.html.indexOf("@paula")))![1]!;
    const approved = await chief.post(`/admin/registrations/pending/${approveId}/approve`, formOf(admin.html, `/admin/registrations/pending/${approveId}/approve`));
    expect(approved.status).toBe(303);
    await signIn("paula");

    const again = await chief.get("/admin/registrations");
    const rejectId = /pending\/(\d+)\/reject/.exec(again.html.slice(again.html.indexOf("@rejected_one")))![1]!;
    const rejected = await chief.post(`/admin/registrations/pending/${rejectId}/reject`, formOf(again.html, `/admin/registrations/pending/${rejectId}/reject`));
    expect(rejected.status).toBe(303);
    expect((await api.request("GET", "/api/v1/accounts/lookup?acct=rejected_one")).status).toBe(404);
  });

  it("by invite: refuses without a link, takes a link until it is used up or expired or revoked", async () => {
    await setMode("invite");
    expect((await instance()).v1).toMatchObject({ registrations: false, invites_enabled: true });
    const stranger = new Browser(api, "en");
    expect((await stranger.get("/auth/sign_up")).status).toBe(403);
    expect((await signUp(stranger, { username: "no_invite" })).status).toBe(403);

    const chief = await signIn("chief");
    const page = await chief.get("/admin/registrations");
    const made = await chief.post("/admin/registrations/invites", { ...formOf(page.html, "/admin/registrations/invites"), max_uses: "2", days: "3" });
    expect(made.status).toBe(303);
    const link = /https:\/\/plein\.test(\/auth\/sign_up\?invite=[\w-]+)/.exec((await chief.get("/admin/registrations")).html)![1]!;
    expect((await signUp(new Browser(api, "en"), { username: "invited_one" }, link)).status).toBe(303);
    const admin = await chief.get("/admin/registrations");
    expect(admin.html).toContain("used 1 of 2 times");
    expect((await signUp(new Browser(api, "en"), { username: "invited_two" }, link)).status).toBe(303);
    const usedUp = new Browser(api, "en");
    expect((await usedUp.get(link)).status).toBe(403);
    const { db } = api.running.deps;
    const code = new URL(link, "https://plein.test").searchParams.get("invite")!;
    const third = await usedUp.post("/auth/sign_up", { csrf_token: usedUp.cookies.get("plein_site_csrf")!, invite: code, username: "invited_three", email: "i3@mail.example", password: PASSWORD, password_again: PASSWORD });
    expect(third.status).toBe(403);

    // An expired link.
    await chief.post("/admin/registrations/invites", { ...formOf(admin.html, "/admin/registrations/invites"), max_uses: "5", days: "1" });
    const fresh = await db.selectFrom("registration_invites").select(["id", "code"]).orderBy("id", "desc").executeTakeFirstOrThrow();
    await db.updateTable("registration_invites").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", fresh.id).execute();
    expect((await signUp(new Browser(api, "en"), { username: "too_late" }, `/auth/sign_up?invite=${fresh.code}`)).status).toBe(403);
    // A revoked one.
    await chief.post("/admin/registrations/invites", { ...formOf(admin.html, "/admin/registrations/invites"), max_uses: "5", days: "1" });
    const revokedInvite = await db.selectFrom("registration_invites").select(["id", "code"]).orderBy("id", "desc").executeTakeFirstOrThrow();
    const list = await chief.get("/admin/registrations");
    expect((await chief.post(`/admin/registrations/invites/${revokedInvite.id}/revoke`, formOf(list.html, `/admin/registrations/invites/${revokedInvite.id}/revoke`))).status).toBe(303);
    expect((await signUp(new Browser(api, "en"), { username: "revoked_try" }, `/auth/sign_up?invite=${revokedInvite.code}`)).status).toBe(403);
    // Bad numbers are a 422 with the message, nothing made.
    const before = await db.selectFrom("registration_invites").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    const bad = await chief.post("/admin/registrations/invites", { ...formOf(list.html, "/admin/registrations/invites"), max_uses: "-1", days: "x" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('id="form-error"');
    const after = await db.selectFrom("registration_invites").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it("by e-mail domain: takes allowed domains and their subdomains, refuses others with 422", async () => {
    const chief = await signIn("chief");
    const page = await chief.get("/admin/registrations");
    const saved = await chief.post("/admin/registrations/settings", { ...formOf(page.html, "/admin/registrations/settings"), mode: "domains", allowed_domains: "rijksoverheid.nl\n*.gemeente.nl" });
    expect(saved.status).toBe(303);
    expect((await instance()).v2.message).toContain("*.gemeente.nl");
    expect((await signUp(new Browser(api, "en"), { username: "rijk", email: "rijk@rijksoverheid.nl" })).status).toBe(303);
    expect((await signUp(new Browser(api, "en"), { username: "gem", email: "gem@utrecht.gemeente.nl" })).status).toBe(303);
    const wrong = await signUp(new Browser(api, "en"), { username: "outsider", email: "x@evilrijksoverheid.nl" });
    expect(wrong.status).toBe(422);
    expect(wrong.html).toContain("rijksoverheid.nl");
    expect(wrong.html).toContain("only register with an e-mail address at an allowed domain");
    expect((await signUp(new Browser(api, "en"), { username: "outsider", email: "x@gemeente.nl.evil.example" })).status).toBe(422);
    // A bad domain keeps the mode as it was and shows what was typed.
    const bad = await chief.post("/admin/registrations/settings", { ...formOf(page.html, "/admin/registrations/settings"), mode: "domains", allowed_domains: "https://x.example/" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("https://x.example/");
    expect((await instance()).v2.message).toContain("*.gemeente.nl");
  });

  it("throttles registration attempts per address with 429 and Retry-After", async () => {
    const own = await startApi();
    try {
      await updateRegistrationSettings(own.running.deps.db, "open", []);
      const browser = new Browser(own, "en");
      const page = await browser.get("/auth/sign_up");
      let last = await browser.post("/auth/sign_up", { ...formFields(page.html), username: "x", password: "a", password_again: "b" });
      for (let i = 0; i < 20; i++) last = await browser.post("/auth/sign_up", { ...formFields(page.html), username: "x", password: "a", password_again: "b" });
      expect(last.status).toBe(429);
      expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });
});

describe("the registration admin page", () => {
  it("is for instance admins only: sign-in first, then 403 for others, and nothing changes", async () => {
    const anonymous = new Browser(api, "en");
    const away = await anonymous.get("/admin/registrations");
    expect(away.status).toBe(303);
    expect(away.location).toMatch(/^\/auth\/sign_in\?back=/);
    const bobBrowser = await signIn("bob");
    const page = await bobBrowser.get("/admin/registrations");
    expect(page.status).toBe(403);
    const home = await bobBrowser.get("/");
    const res = await bobBrowser.post("/admin/registrations/settings", { csrf_token: formFields(home.html).csrf_token!, mode: "open", allowed_domains: "" });
    expect(res.status).toBe(403);
    expect((await instance()).v2.message).toContain("gemeente.nl");
  });
});

describe("every form", () => {
  it("refuses a missing or wrong CSRF token with 403 and does nothing", async () => {
    const chief = await signIn("chief");
    const { db } = api.running.deps;
    const forms: Array<[string, Record<string, string>]> = [
      ["/auth/sign_up", { username: "csrf_try", email: "c@rijksoverheid.nl", password: PASSWORD, password_again: PASSWORD }],
      ["/admin/registrations/settings", { mode: "open", allowed_domains: "" }],
      ["/admin/registrations/invites", { max_uses: "1", days: "1" }],
      ["/admin/registrations/invites/1/revoke", {}],
      ["/admin/registrations/pending/1/approve", {}],
      ["/admin/registrations/pending/1/reject", {}],
      ["/settings/password", { current_password: PASSWORD, new_password: "another long one", new_password_again: "another long one" }],
      ["/settings/sessions/1/end", {}],
      ["/settings/apps/1/revoke", {}],
      ["/notifications/read", { last_read_id: "1" }],
    ];
    const invites = await db.selectFrom("registration_invites").select("id").execute();
    for (const [path, fields] of forms) {
      for (const token of [undefined, "x".repeat(43)]) {
        const res = await chief.post(path, token ? { ...fields, csrf_token: token } : fields);
        expect(res.status, path).toBe(403);
      }
    }
    expect((await instance()).v2.message).toContain("gemeente.nl");
    expect(await db.selectFrom("registration_invites").select("id").execute()).toEqual(invites);
    expect((await api.request("GET", "/api/v1/accounts/lookup?acct=csrf_try")).status).toBe(404);
    await signIn("chief");
  });
});

describe("password and sessions", () => {
  it("refuses a wrong current password with 422; a change ends the other sessions, keeps this one and the OAuth tokens", async () => {
    const { db, config } = api.running.deps;
    await createUser(db, config.origin, { username: "carla", email: "carla@mail.example", password: PASSWORD });
    const here = await signIn("carla");
    const elsewhere = await signIn("carla");
    const token = await api.token((await db.selectFrom("actors").selectAll().where("username", "=", "carla").executeTakeFirstOrThrow()), ["read"]);
    const page = await here.get("/settings/password");
    expect(page.html).toContain("keep it");
    const wrong = await here.post("/settings/password", { ...formOf(page.html, "/settings/password"), current_password: "not it at all", new_password: "brand new secret", new_password_again: "brand new secret" });
    expect(wrong.status).toBe(422);
    expect(wrong.html).toContain("The current password is wrong");
    const differ = await here.post("/settings/password", { ...formOf(page.html, "/settings/password"), current_password: PASSWORD, new_password: "brand new secret", new_password_again: "brand new secreT" });
    expect(differ.status).toBe(422);
    const done = await here.post("/settings/password", { ...formOf(page.html, "/settings/password"), current_password: PASSWORD, new_password: "brand new secret", new_password_again: "brand new secret" });
    expect(done.status).toBe(303);
    expect((await here.get("/")).html).toContain("Signed in as @carla");
    expect((await elsewhere.get("/")).html).not.toContain("Signed in as");
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token })).status).toBe(200);
    await signIn("carla", "brand new secret");
  });

  it("lists the sessions and apps; ending a session signs that browser out, revoking an app ends its token; others' ids are 404", async () => {
    const { db } = api.running.deps;
    const dora = await api.user("dora");
    const mine = await signIn("dora");
    const other = await signIn("dora");
    const list = await mine.get("/settings/sessions");
    expect(list.status).toBe(200);
    expect(list.html).toContain("(this session)");
    expect(list.html.match(/\/settings\/sessions\/\d+\/end/g)).toHaveLength(2);
    // Newest first: the other browser signed in last, so its session comes first, and this one is marked.
    const items = list.html.split("<li>").slice(1).filter((li) => li.includes("/settings/sessions/"));
    expect(items[0]).not.toContain("(this session)");
    expect(items[1]).toContain("(this session)");
    const otherId = /settings\/sessions\/(\d+)\/end/.exec(items[0]!)![1]!;
    const sessions = await db.selectFrom("web_sessions").select("id").where("actor_id", "=", dora.id).execute();
    expect(sessions.map((x) => x.id)).toContain(otherId);
    // Someone else cannot end it.
    const bobBrowser = await signIn("bob");
    const bobPage = await bobBrowser.get("/settings/sessions");
    const bobForm = formOf(bobPage.html, bobPage.html.match(/\/settings\/sessions\/\d+\/end/)![0]);
    expect((await bobBrowser.post(`/settings/sessions/${otherId}/end`, bobForm)).status).toBe(404);
    expect((await other.get("/")).html).toContain("Signed in as @dora");
    const ended = await mine.post(`/settings/sessions/${otherId}/end`, formOf(list.html, `/settings/sessions/${otherId}/end`));
    expect(ended.status).toBe(303);
    expect((await other.get("/")).html).not.toContain("Signed in as");
    expect((await mine.get("/")).html).toContain("Signed in as @dora");

    const app = await db.insertInto("applications").values({ name: "Tusky <test>", redirect_uris: ["urn:ietf:wg:oauth:2.0:oob"], scopes: "read", client_id: "cid-dora", client_secret_digest: "x", website: null }).returning("id").executeTakeFirstOrThrow();
    const token = await issueToken(db, dora.actor, ["read", "write"], app.id);
    const browser = mine;
    const apps = await browser.get("/settings/sessions");
    expect(apps.html).toContain("Tusky &lt;test&gt;");
    expect(apps.html).toContain("read write");
    const row = await db.selectFrom("access_tokens").select("id").where("application_id", "=", app.id).executeTakeFirstOrThrow();
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token })).status).toBe(200);
    expect((await bobBrowser.post(`/settings/apps/${row.id}/revoke`, bobForm)).status).toBe(404);
    expect((await browser.post(`/settings/apps/${row.id}/revoke`, formOf(apps.html, `/settings/apps/${row.id}/revoke`))).status).toBe(303);
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token })).status).toBe(401);
  });

  it("send the signed-out to sign in", async () => {
    for (const path of ["/settings", "/settings/password", "/settings/sessions", "/notifications"]) {
      const res = await new Browser(api, "en").get(path);
      expect(res.status, path).toBe(303);
      expect(res.location).toBe(`/auth/sign_in?back=${encodeURIComponent(path)}`);
    }
  });
});

describe("notifications", () => {
  it("list who did what about which post, mark them read, and drop a closed group's post after leaving", async () => {
    const { db, config } = api.running.deps;
    await join(db, config.origin, closed, bob.actor);
    const post = await createLocalPost(db, config.origin, alice.actor, { contentHtml: "<p>Closed <b>minutes</b></p>", contentSource: "Closed minutes", visibility: "public", groupId: closed.actor.id });
    const open = await createLocalPost(db, config.origin, alice.actor, { contentHtml: "<p>Open remark</p>", contentSource: "Open remark", visibility: "public" });
    await notify(db, [
      { recipientId: bob.id, type: "mention", actorId: alice.id, postId: post.id, groupId: closed.actor.id },
      { recipientId: bob.id, type: "favourite", actorId: alice.id, postId: open.id },
    ]);
    const browser = await signIn("bob");
    const page = await browser.get("/notifications");
    expect(page.status).toBe(200);
    expect(page.html).toContain("Closed minutes");
    expect(page.html).toContain("Open remark");
    expect(page.html).toContain("mentioned you");
    expect(page.html).toContain('class="unread"');
    const read = await browser.post("/notifications/read", formOf(page.html, "/notifications/read"));
    expect(read.status).toBe(303);
    const after = await browser.get("/notifications");
    expect(after.html).not.toContain('class="unread"');
    const bad = await browser.post("/notifications/read", { ...formOf(page.html, "/notifications/read"), last_read_id: "abc" });
    expect(bad.status).toBe(422);

    await leave(db, closed, bob.actor);
    const gone = await browser.get("/notifications");
    expect(gone.html).not.toContain("Closed minutes");
    expect(gone.html).toContain("Open remark");
  });
});

describe("search", () => {
  it("finds people, groups and tags; never a secret group for a stranger, but for a member", async () => {
    const { db, config } = api.running.deps;
    await createLocalPost(db, config.origin, alice.actor, { contentHtml: "<p>On #hikingtrips</p>", contentSource: "On #hikingtrips", visibility: "public", tags: ["hikingtrips"] });
    const anonymous = new Browser(api, "en");
    const form = await anonymous.get("/search");
    expect(form.status).toBe(200);
    expect(form.html).toContain('role="search"');
    const hik = await anonymous.get("/search?q=hik");
    expect(hik.html).toContain("Hiking club");
    expect(hik.html).toContain("#hikingtrips");
    const strangers = [anonymous, await signIn("bob")];
    for (const b of strangers) {
      const res = await b.get("/search?q=hidden");
      expect(res.status).toBe(200);
      expect(res.html).not.toContain("Hidden room");
      expect(res.html).toContain("Nothing found");
      expect((await b.get("/search?q=%40hidden_room")).html).not.toContain("Hidden room");
    }
    const owner = await signIn("alice");
    expect((await owner.get("/search?q=hidden")).html).toContain("Hidden room");
    expect(hidden.actor.username).toBe("hidden_room");
  });

  it("finds a post by its address only for who may see it, and prints hostile queries as text", async () => {
    const { db, config } = api.running.deps;
    const secret = await createLocalPost(db, config.origin, alice.actor, { contentHtml: "<p>Back room plan</p>", contentSource: "Back room plan", visibility: "public", groupId: closed.actor.id });
    const q = encodeURIComponent(secret.iri);
    expect((await new Browser(api, "en").get(`/search?q=${q}`)).html).not.toContain("Back room plan");
    expect((await (await signIn("alice")).get(`/search?q=${q}`)).html).toContain("Back room plan");
    const hostile = await new Browser(api, "en").get(`/search?q=${encodeURIComponent('"><script>x</script>')}`);
    expect(hostile.status).toBe(200);
    expect(hostile.html).not.toContain("<script>x");
  });
});
