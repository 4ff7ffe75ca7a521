/**
 * The group admin pages (/@group/admin/...) and the instance admin pages
 * (/admin/...) over HTTP: who may see and use them (403 for those who know
 * of the group, 404 for those who may not), the CSRF token on every form,
 * hostile input (422, nothing stored, never a 500), and that every action
 * really changes what the domain and the APIs report.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor, Post } from "../../src/db/schema.ts";
import { createUser, findInstanceActor } from "../../src/domain/accounts.ts";
import { createGroup, findGroup, type GroupView, updateGroup } from "../../src/domain/groups.ts";
import { join, membershipOf, setRole } from "../../src/domain/membership.ts";
import { currentPolicy } from "../../src/domain/policy.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { resolveReport } from "../../src/domain/report-review.ts";
import { fileReport } from "../../src/domain/reports.ts";
import { Browser } from "../api/oauth-browser.ts";
import { storeRemoteActor } from "../support/policy.ts";
import { type Api, startApi, type User } from "../api/support.ts";

let api: Api;
let olga: User; // owns the groups
let mo: User; // a moderator of the council
let mem: User; // a member of the council
let eve: User; // a stranger
let ann: User; // asks to join the council
let root: Actor; // the instance's admin
let council: GroupView;
let pending: Post;
const HOSTILE = `<script>alert("x")</script>`;

async function signedIn(login: string, lang = "en"): Promise<Browser> {
  const browser = new Browser(api, lang);
  await browser.get("/auth/sign_in");
  const res = await browser.post("/auth/sign_in", { csrf_token: csrf(browser), username: login, password: "correct horse battery" });
  expect(res.status, res.html).toBe(303);
  return browser;
}

function csrf(browser: Browser): string {
  return browser.cookies.get("plein_site_csrf") ?? "";
}

/** Posts a form with the browser's own token. */
function submit(browser: Browser, path: string, fields: Record<string, string> = {}) {
  return browser.post(path, { csrf_token: csrf(browser), ...fields });
}

const GROUP_PAGES = ["", "/settings", "/requests", "/invites", "/members", "/moderation", "/reports", "/audit"];
const ADMIN_ONLY = ["/settings", "/requests", "/invites", "/members", "/audit"];

function groupForms(): Array<[string, Record<string, string>]> {
  return [
    ["/settings", { display_name: "Taken over", description: "", visibility: "public", join_mode: "open" }],
    [`/requests/${ann.id}/approve`, {}],
    [`/requests/${ann.id}/reject`, {}],
    ["/invites", { handle: "eve" }],
    [`/members/${mem.id}/role`, { role: "admin" }],
    [`/members/${mem.id}/remove`, {}],
    [`/members/${mem.id}/ban`, {}],
    [`/members/${mem.id}/unban`, {}],
    ["/transfer", { handle: "mem" }],
    [`/moderation/${pending.id}/approve`, {}],
    [`/moderation/${pending.id}/remove`, {}],
  ];
}

const ADMIN_PAGES = ["/admin", "/admin/federation", "/admin/users", "/admin/reports", "/admin/audit", "/admin/settings"];

function adminForms(): Array<[string, Record<string, string>]> {
  return [
    ["/admin/federation", { mode: "open" }],
    ["/admin/federation/rules", { domain: "evil.example", action: "block", comment: "" }],
    ["/admin/federation/rules/remove", { domain: "evil.example" }],
    [`/admin/users/${mem.id}/suspend`, {}],
    [`/admin/users/${mem.id}/unsuspend`, {}],
    ["/admin/reports/1/resolve", {}],
    ["/admin/reports/1/reopen", {}],
    ["/admin/settings", { name: "Taken over", short_description: "", contact_email: "", rules: "" }],
  ];
}

beforeAll(async () => {
  api = await startApi();
  const { db, config } = api.running.deps;
  [olga, mo, mem, eve, ann] = await Promise.all([api.user("olga"), api.user("mo"), api.user("mem"), api.user("eve"), api.user("ann")]);
  root = await createUser(db, config.origin, { username: "chief", email: "chief@plein.test", password: "correct horse battery", admin: true });
  council = await createGroup(db, config.origin, olga.actor, {
    name: "council", displayName: "Council", description: "Closed", visibility: "closed", joinMode: "open", moderatePosts: true, modules: [],
  });
  await join(db, config.origin, council, mo.actor);
  await join(db, config.origin, council, mem.actor);
  await setRole(db, council, olga.actor, mo.actor, "moderator");
  council = await updateGroup(db, config.origin, council, olga.actor, { joinMode: "approval" }, true);
  await join(db, config.origin, council, ann.actor);
  expect((await membershipOf(db, council.actor.id, ann.id))?.state).toBe("pending");
  pending = await createLocalPost(db, config.origin, mem.actor, { contentHtml: "<p>Waiting text</p>", contentSource: "Waiting text", visibility: "public", groupId: council.actor.id });
  expect(pending.moderation).toBe("pending");
  await createGroup(db, config.origin, olga.actor, { name: "vault", displayName: "Vault", visibility: "secret", joinMode: "invite", modules: [] });
});

afterAll(async () => {
  await api?.close();
});

describe("group admin pages: who may", () => {
  it("a member who is not a moderator gets 403 on every page and form, and nothing changes", async () => {
    const browser = await signedIn("mem");
    for (const page of GROUP_PAGES) expect((await browser.get(`/@council/admin${page}`)).status, page).toBe(403);
    for (const [path, fields] of groupForms()) expect((await submit(browser, `/@council/admin${path}`, fields)).status, path).toBe(403);
    const db = api.running.deps.db;
    expect((await membershipOf(db, council.actor.id, ann.id))?.state).toBe("pending");
    expect((await membershipOf(db, council.actor.id, mem.id))?.role).toBe("member");
  });

  it("a stranger (or nobody) gets 404 for a secret group's admin pages and forms, as for a group that does not exist", async () => {
    const browser = await signedIn("eve");
    for (const who of [browser, new Browser(api)]) {
      for (const page of GROUP_PAGES) {
        expect((await who.get(`/@vault/admin${page}`)).status, page).toBe(404);
        expect((await who.get(`/@nosuchgroup/admin${page}`)).status, page).toBe(404);
      }
    }
    await browser.get("/");
    for (const [path, fields] of groupForms()) expect((await submit(browser, `/@vault/admin${path}`, fields)).status, path).toBe(404);
    // A person is no group: no admin pages.
    expect((await browser.get("/@olga/admin")).status).toBe(404);
  });

  it("a stranger gets 403 for a closed group they may know of; the signed-out are sent to sign in", async () => {
    const browser = await signedIn("eve");
    expect((await browser.get("/@council/admin/moderation")).status).toBe(403);
    const anon = await new Browser(api).get("/@council/admin");
    expect(anon.status).toBe(303);
    expect(anon.location).toMatch(/^\/auth\/sign_in\?back=/);
  });

  it("a moderator sees the moderation queue and the reports, the admins' pages are 403, and the navigation shows only theirs", async () => {
    const browser = await signedIn("mo");
    const overview = await browser.get("/@council/admin");
    expect(overview.status).toBe(200);
    expect(overview.html).toContain('href="/@council/admin/moderation"');
    expect(overview.html).not.toContain('href="/@council/admin/settings"');
    expect((await browser.get("/@council/admin/moderation")).html).toContain("Waiting text");
    expect((await browser.get("/@council/admin/reports")).status).toBe(200);
    for (const page of ADMIN_ONLY) expect((await browser.get(`/@council/admin${page}`)).status, page).toBe(403);
  });

  it("the owner sees every page, with the group's sections (admin marked) and the admin navigation", async () => {
    const browser = await signedIn("olga");
    for (const page of GROUP_PAGES) {
      const res = await browser.get(`/@council/admin${page}`);
      expect(res.status, page).toBe(200);
      expect(res.html).toContain('<nav class="group-sections"');
      expect(res.html).toMatch(/href="\/@council\/admin" aria-current="page"/);
      expect(res.html).toContain('<nav class="admin-nav"');
      expect(res.html).not.toMatch(/<style|<script|style=/);
    }
  });
});

describe("group admin forms", () => {
  it("every form without the right token is a 403 that does nothing", async () => {
    const browser = await signedIn("olga");
    for (const [path, fields] of groupForms()) {
      expect((await browser.post(`/@council/admin${path}`, fields)).status, path).toBe(403);
      expect((await browser.post(`/@council/admin${path}`, { ...fields, csrf_token: "wrong-token-wrong-token-wrong-token" })).status, path).toBe(403);
    }
    const db = api.running.deps.db;
    expect((await membershipOf(db, council.actor.id, ann.id))?.state).toBe("pending");
    expect((await membershipOf(db, council.actor.id, mem.id))?.state).toBe("member");
  });

  it("approving a request makes a member", async () => {
    const browser = await signedIn("olga");
    expect((await browser.get("/@council/admin/requests")).html).toContain("@ann@");
    const res = await submit(browser, `/@council/admin/requests/${ann.id}/approve`);
    expect(res.status).toBe(303);
    expect(res.location).toBe("/@council/admin/requests");
    expect((await membershipOf(api.running.deps.db, council.actor.id, ann.id))?.state).toBe("member");
    expect((await browser.get("/@council/admin/members")).html).toContain("@ann@");
    // Deciding again: no such request, a page that says so.
    expect((await submit(browser, `/@council/admin/requests/${ann.id}/approve`)).status).toBe(404);
  });

  it("hostile input: an unknown role, an unknown account to invite, a bad visibility are 422 with the message and what was typed", async () => {
    const browser = await signedIn("olga");
    const role = await submit(browser, `/@council/admin/members/${mem.id}/role`, { role: "overlord" });
    expect(role.status).toBe(422);
    expect(role.html).toContain('id="form-error"');
    expect((await membershipOf(api.running.deps.db, council.actor.id, mem.id))?.role).toBe("member");
    for (const handle of ["nobody_here", "nobody@unknown.invalid", HOSTILE, ""]) {
      const res = await submit(browser, "/@council/admin/invites", { handle });
      expect(res.status, handle).toBe(422);
      expect(res.html).toContain("That account was not found.");
      expect(res.html).not.toContain("<script>alert");
    }
    const typed = await submit(browser, "/@council/admin/invites", { handle: "nobody_here" });
    expect(typed.html).toContain('value="nobody_here"');
    const settings = await submit(browser, "/@council/admin/settings", { display_name: HOSTILE, description: "x", visibility: "everyone", join_mode: "open" });
    expect(settings.status).toBe(422);
    expect(settings.html).toContain("&lt;script&gt;");
    expect(settings.html).not.toContain("<script>alert");
    const posting = await submit(browser, "/@council/admin/settings", { display_name: "Council", description: "", visibility: "closed", join_mode: "approval", posting: "anyone" });
    expect(posting.status).toBe(422);
    const modules = await submit(browser, "/@council/admin/settings", { display_name: "Council", description: "", visibility: "closed", join_mode: "approval", modules: "nonsense" });
    expect(modules.status).toBe(422);
    expect((await findGroup(api.running.deps.db, council.actor.id))?.actor.display_name).toBe("Council");
  });

  it("changes the settings, invites, sets roles, bans and unbans, moderates", async () => {
    const browser = await signedIn("olga");
    const db = api.running.deps.db;
    const saved = await submit(browser, "/@council/admin/settings", {
      display_name: "The council", description: "We decide", visibility: "closed", join_mode: "approval", posting: "admins",
      moderate_posts: "true", moderate_comments: "true", modules: "discussion",
    });
    expect(saved.status).toBe(303);
    const after = await findGroup(db, council.actor.id);
    expect(after?.actor.display_name).toBe("The council");
    expect(after?.settings).toMatchObject({ posting: "admins", moderate_posts: true, moderate_comments: true, join_mode: "approval" });
    expect(after?.modules).toEqual(["discussion"]);
    const form = (await browser.get("/@council/admin/settings")).html;
    expect(form).toMatch(/id="posting-admins" name="posting" value="admins" checked/);
    expect(form).toMatch(/value="discussion" checked/);
    council = after!;
    expect((await submit(browser, "/@council/admin/invites", { handle: "@eve" })).status).toBe(303);
    expect((await membershipOf(db, council.actor.id, eve.id))?.state).toBe("invited");
    // Another server's account, by its handle (known here already: this instance reaches no other server).
    const remote = await storeRemoteActor(db, "plein.test", "https://elsewhere.example/users/rita");
    expect((await submit(browser, "/@council/admin/invites", { handle: "rita@elsewhere.example" })).status).toBe(303);
    expect((await membershipOf(db, council.actor.id, remote.id))?.state).toBe("invited");
    expect((await browser.get("/@council/admin/invites")).html).toContain("@rita@elsewhere.example");
    expect((await submit(browser, `/@council/admin/members/${mem.id}/role`, { role: "moderator" })).status).toBe(303);
    expect((await membershipOf(db, council.actor.id, mem.id))?.role).toBe("moderator");
    expect((await submit(browser, `/@council/admin/members/${mem.id}/role`, { role: "member" })).status).toBe(303);
    expect((await submit(browser, `/@council/admin/members/${ann.id}/ban`)).status).toBe(303);
    expect((await membershipOf(db, council.actor.id, ann.id))?.state).toBe("banned");
    expect((await submit(browser, `/@council/admin/members/${ann.id}/unban`)).status).toBe(303);
    expect(await membershipOf(db, council.actor.id, ann.id)).toBeUndefined();
    // The owner cannot be removed: the domain's refusal is a page, not a 500.
    expect((await submit(browser, `/@council/admin/members/${olga.id}/remove`)).status).toBe(403);
    expect((await submit(browser, `/@council/admin/moderation/${pending.id}/approve`)).status).toBe(303);
    const approved = await db.selectFrom("posts").select("moderation").where("id", "=", pending.id).executeTakeFirstOrThrow();
    expect(approved.moderation).toBe("approved");
    expect((await browser.get("/@council/admin/moderation")).html).not.toContain("Waiting text");
  });

  it("shows the reports about the group's content to its moderators", async () => {
    const { db, config } = api.running.deps;
    const post = await createLocalPost(db, config.origin, olga.actor, { contentHtml: "<p>Reported</p>", contentSource: "Reported", visibility: "public", groupId: council.actor.id });
    const elsewhere = await createLocalPost(db, config.origin, olga.actor, { contentHtml: "<p>Outside</p>", contentSource: "Outside", visibility: "public" });
    await fileReport(db, mem.actor, (await findInstanceActor(db, config.origin))!, { postIds: [post.id], comment: "Not nice", forward: false });
    const outside = await fileReport(db, mem.actor, (await findInstanceActor(db, config.origin))!, { postIds: [elsewhere.id], comment: "Not in the council", forward: false });
    const page = await (await signedIn("mo")).get("/@council/admin/reports");
    expect(page.status).toBe(200);
    expect(page.html).toContain("Not nice");
    expect(page.html).not.toContain("Not in the council");
    // Dealt with, so that the instance admins' open list below holds the council's report only.
    await resolveReport(db, root, outside, true);
  });
});

describe("instance admin pages", () => {
  it("a person who is no instance admin gets 403 on every page and form; the signed-out are sent to sign in", async () => {
    const browser = await signedIn("olga");
    for (const page of ADMIN_PAGES) expect((await browser.get(page)).status, page).toBe(403);
    for (const [path, fields] of adminForms()) expect((await submit(browser, path, fields)).status, path).toBe(403);
    expect((await currentPolicy(api.running.deps.db)).rules).toEqual([]);
    expect((await browser.get("/")).html).not.toContain('href="/admin"');
    const anon = await new Browser(api).get("/admin/federation");
    expect(anon.status).toBe(303);
  });

  it("every form without the right token is a 403 that does nothing", async () => {
    const browser = await signedIn("chief");
    for (const [path, fields] of adminForms()) expect((await browser.post(path, fields)).status, path).toBe(403);
    expect((await currentPolicy(api.running.deps.db)).rules).toEqual([]);
  });

  it("the admin sees every page and a link to them in the header", async () => {
    const browser = await signedIn("chief");
    expect((await browser.get("/")).html).toContain('href="/admin"');
    for (const page of ADMIN_PAGES) {
      const res = await browser.get(page);
      expect(res.status, page).toBe(200);
      expect(res.html).toContain('href="/admin/registrations"');
    }
  });

  it("changing the federation mode changes what the federation API reports; a domain rule is added and removed", async () => {
    const browser = await signedIn("chief");
    const token = await api.token(root, ["admin:read"]);
    const read = async () => (await api.request<{ mode: string; published: boolean }>("GET", "/api/plein/v1/federation", { token })).body;
    expect((await read()).mode).toBe("blocklist");
    expect((await submit(browser, "/admin/federation", { mode: "allowlist", published: "true" })).status).toBe(303);
    expect(await read()).toMatchObject({ mode: "allowlist", published: true });
    expect((await submit(browser, "/admin/federation/rules", { domain: "*.partner.example", action: "allow", comment: "Partners" })).status).toBe(303);
    const pub = await api.request<{ domains: Array<{ domain: string; action: string }> }>("GET", "/api/plein/v1/federation/public");
    expect(pub.body.domains).toEqual([expect.objectContaining({ domain: "*.partner.example", action: "allow" })]);
    expect((await browser.get("/admin/federation")).html).toContain("*.partner.example");
    expect((await submit(browser, "/admin/federation/rules/remove", { domain: "*.partner.example" })).status).toBe(303);
    expect((await currentPolicy(api.running.deps.db)).rules).toEqual([]);
    expect((await submit(browser, "/admin/federation", { mode: "blocklist" })).status).toBe(303);
    expect(await read()).toMatchObject({ mode: "blocklist", published: false });
  });

  it("hostile input: a bad domain pattern, an unknown action or mode are 422 with the message, nothing stored", async () => {
    const browser = await signedIn("chief");
    for (const domain of ["https://evil.example/", "evil.*.example", "a b", HOSTILE, "", "plein.test"]) {
      const res = await submit(browser, "/admin/federation/rules", { domain, action: "block", comment: "" });
      expect(res.status, domain).toBe(422);
      expect(res.html).toContain('id="form-error"');
      expect(res.html).not.toContain("<script>alert");
    }
    expect((await submit(browser, "/admin/federation/rules", { domain: "evil.example", action: "nuke", comment: "" })).status).toBe(422);
    expect((await submit(browser, "/admin/federation", { mode: "closed" })).status).toBe(422);
    const purgeAllow = await submit(browser, "/admin/federation/rules", { domain: "evil.example", action: "allow", comment: "", purge: "true" });
    expect(purgeAllow.status).toBe(422);
    expect(purgeAllow.html).toContain("purge goes with action block");
    expect((await submit(browser, "/admin/federation/rules/remove", { domain: "never.example" })).status).toBe(404);
    expect(await currentPolicy(api.running.deps.db)).toMatchObject({ mode: "blocklist", rules: [] });
    expect((await browser.get("/admin/audit?server=a%20b")).status).toBe(422);
  });

  it("the instance settings show in the Mastodon instance entities and rules; a bad contact address is 422", async () => {
    const browser = await signedIn("chief");
    const bad = await submit(browser, "/admin/settings", { name: "X", short_description: "", contact_email: "not an address", rules: "" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('value="not an address"');
    const ok = await submit(browser, "/admin/settings", {
      name: "Plein Gemeente", short_description: "Samenwerken", contact_email: "beheer@plein.test", rules: "Wees aardig\r\n\r\nGeen spam\n",
    });
    expect(ok.status).toBe(303);
    const v1 = await api.request<Record<string, unknown>>("GET", "/api/v1/instance");
    expect(v1.body).toMatchObject({ title: "Plein Gemeente", short_description: "Samenwerken", email: "beheer@plein.test" });
    const v2 = await api.request<Record<string, unknown>>("GET", "/api/v2/instance");
    expect(v2.body).toMatchObject({ title: "Plein Gemeente", description: "Samenwerken", contact: { email: "beheer@plein.test", account: null } });
    const rules = [{ id: "1", text: "Wees aardig", hint: "" }, { id: "2", text: "Geen spam", hint: "" }];
    expect(v2.body.rules).toEqual(rules);
    expect((await api.request("GET", "/api/v1/instance/rules")).body).toEqual(rules);
  });

  it("lists the users; a suspended account cannot sign in, and its session and tokens stop working", async () => {
    const admin = await signedIn("chief");
    const list = await admin.get("/admin/users");
    expect(list.html).toContain("@eve");
    const eveBrowser = await signedIn("eve");
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: eve.token })).status).toBe(200);
    expect((await submit(admin, `/admin/users/${eve.id}/suspend`)).status).toBe(303);
    expect((await admin.get("/admin/users")).html).toContain("Suspended");
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: eve.token })).status).toBe(401);
    expect((await eveBrowser.get("/")).html).not.toContain("Signed in as");
    const again = new Browser(api);
    await again.get("/auth/sign_in");
    expect((await again.post("/auth/sign_in", { csrf_token: csrf(again), username: "eve", password: "correct horse battery" })).status).toBe(401);
    // An admin cannot suspend themselves.
    expect((await submit(admin, `/admin/users/${root.id}/suspend`)).status).toBe(403);
    expect((await submit(admin, `/admin/users/${eve.id}/unsuspend`)).status).toBe(303);
    await signedIn("eve");
  });

  it("lists reports, open first; resolving one takes it off the open list", async () => {
    const browser = await signedIn("chief");
    const open = await browser.get("/admin/reports");
    expect(open.html).toContain("Not nice");
    const id = /action="\/admin\/reports\/(\d+)\/resolve"/.exec(open.html)?.[1];
    expect(id).toBeDefined();
    expect((await submit(browser, `/admin/reports/${id}/resolve`)).status).toBe(303);
    expect((await browser.get("/admin/reports")).html).not.toContain("Not nice");
    expect((await browser.get("/admin/reports?all=1")).html).toContain("Not nice");
    expect((await submit(browser, "/admin/reports/999999/resolve")).status).toBe(404);
  });

  it("a block with purge removes what this server holds from the domain, as the federation API's does", async () => {
    const browser = await signedIn("chief");
    const db = api.running.deps.db;
    const rita = await storeRemoteActor(db, "plein.test", "https://elsewhere.example/users/rita");
    expect((await membershipOf(db, council.actor.id, rita.id))?.state).toBe("invited");
    expect((await submit(browser, "/admin/federation/rules", { domain: "elsewhere.example", action: "block", comment: "", purge: "true" })).status).toBe(303);
    expect(await membershipOf(db, council.actor.id, rita.id)).toBeUndefined();
    expect((await currentPolicy(db)).rules).toEqual([expect.objectContaining({ domain: "elsewhere.example", action: "block" })]);
    expect((await submit(browser, "/admin/federation/rules/remove", { domain: "elsewhere.example" })).status).toBe(303);
  });

  it("speaks Dutch", async () => {
    const browser = await signedIn("chief", "nl");
    const page = await browser.get("/admin/federation");
    expect(page.html).toContain('<html lang="nl">');
    expect(page.html).toContain("Federatiemodus");
  });
});
