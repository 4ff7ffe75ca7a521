import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIn } from "../../src/api/plein/content.ts";
import type { Post } from "../../src/db/schema.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join } from "../../src/domain/membership.ts";
import { shareUpload } from "../../src/modules/file/upload.ts";
import { Browser, formFields } from "../api/oauth-browser.ts";
import { type Api, ORIGIN, startApi, type User } from "../api/support.ts";

let api: Api;
let alice: User;
let bob: User;
let town: GroupView;
let council: GroupView;
let hidden: GroupView;
let closedEvent: Post;
let closedPage: Post;
let closedFile: Post;
let townEvent: Post;
let townPage: Post;
let pastEvent: Post;
const MODULES = ["event", "wiki", "file"];
const HOSTILE = `<script>alert("x")</script>`;

async function signIn(login: string, lang = "en"): Promise<Browser> {
  const browser = new Browser(api, lang);
  const form = await browser.get("/auth/sign_in");
  const res = await browser.post("/auth/sign_in", { ...formFields(form.html), username: login, password: "correct horse battery" });
  expect(res.status, res.html).toBe(303);
  return browser;
}

/** The fields of the form whose action is `action`. */
function formOf(html: string, action: string): Record<string, string> {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `no form posting to ${action}`).toBeGreaterThan(-1);
  return formFields(html.slice(at, html.indexOf("</form>", at)));
}

async function multipart(browser: Browser, path: string, fields: Record<string, string | File>) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  const res = await api.running.app.request(new URL(path, ORIGIN).href, {
    method: "POST", body,
    headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "), "accept-language": "en" },
  });
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBeLessThan(500);
  return { status: res.status, html, location: res.headers.get("location") };
}

function csrfOf(browser: Browser): string {
  return decodeURIComponent(browser.cookies.get("plein_site_csrf") ?? "");
}

beforeAll(async () => {
  api = await startApi({ env: { PLEIN_MAX_FILE_SIZE: "64KiB" } });
  [alice, bob] = await Promise.all([api.user("alice"), api.user("bob"), api.user("mallory")]);
  const deps = api.running.deps;
  const { db, config } = deps;
  town = await createGroup(db, config.origin, alice.actor, { name: "town", displayName: "Town", description: "Public", visibility: "public", modules: MODULES });
  council = await createGroup(db, config.origin, alice.actor, { name: "council", displayName: "Council", description: "Closed", visibility: "closed", joinMode: "open", modules: MODULES });
  hidden = await createGroup(db, config.origin, alice.actor, { name: "hidden", displayName: "Hidden", description: "Secret", visibility: "secret", joinMode: "invite", modules: MODULES });
  await createGroup(db, config.origin, alice.actor, { name: "quiet", displayName: "Quiet", description: "No modules", visibility: "public", modules: [] });
  await join(db, config.origin, town, bob.actor);
  await join(db, config.origin, council, bob.actor);
  townEvent = await createIn(deps, alice.actor, { module: "event", title: "Town fair", text: "Come along", start: "2030-05-01T10:00", end: "2030-05-01T12:30", location: "Market square", time_zone: "Europe/Amsterdam" }, { group: town });
  closedEvent = await createIn(deps, alice.actor, { module: "event", title: "Budget secret meeting", text: "Closed", start: "2030-05-02T10:00", time_zone: "Europe/Amsterdam" }, { group: council });
  await createIn(deps, alice.actor, { module: "event", title: "Hidden gathering", text: "Secret", start: "2030-05-03T10:00", time_zone: "Europe/Amsterdam" }, { group: hidden });
  pastEvent = await createIn(deps, alice.actor, { module: "event", title: "Old market", text: "Long ago", start: "2020-01-15T19:30", time_zone: "Europe/Amsterdam" }, { group: town });
  townPage = await createIn(deps, alice.actor, { module: "wiki", title: "Handbook", text: "First version" }, { group: town });
  await createIn(deps, alice.actor, { module: "wiki", title: "Chapter one", text: "Nested", parent_id: townPage.id }, { group: town });
  closedPage = await createIn(deps, alice.actor, { module: "wiki", title: "Salary table", text: "Closed wiki" }, { group: council });
  closedFile = await shareUpload(deps, alice.actor, council.actor.id, { file: new File(["secret bytes"], "payroll.csv", { type: "text/csv" }) });
});

afterAll(async () => {
  await api?.close();
});

describe("a group's events, wiki and files pages", () => {
  it("are 404 when the group has the module switched off, or is secret to the viewer", async () => {
    const browser = await signIn("bob");
    for (const path of ["/@quiet/events", "/@quiet/events/new", "/@quiet/wiki", "/@quiet/wiki/new", "/@quiet/files", "/@quiet/files/new",
      "/@hidden/events", "/@hidden/wiki", "/@hidden/files", `/@hidden/wiki/${townPage.id}/revisions`]) {
      expect((await browser.get(path)).status, path).toBe(404);
      expect((await new Browser(api).get(path)).status, path).toBe(404);
    }
    const csrf = csrfOf(browser);
    expect((await browser.post("/@quiet/events", { csrf_token: csrf, title: "x", text: "x", start: "2030-05-01T10:00" })).status).toBe(404);
    expect((await browser.post("/@quiet/wiki", { csrf_token: csrf, title: "x", text: "x" })).status).toBe(404);
    expect((await multipart(browser, "/@quiet/files", { csrf_token: csrf, file: new File(["x"], "x.txt") })).status).toBe(404);
    expect((await browser.get("/@hidden/events?month=2030-05")).html).not.toContain("Hidden gathering");
  });

  it("show a closed group's events, wiki and files to its members only, and serve its files to them only", async () => {
    const member = await signIn("bob");
    const stranger = await signIn("mallory");
    const anonymous = new Browser(api);
    const member1 = await member.get("/@council/events?month=2030-05");
    expect(member1.html).toContain("Budget secret meeting");
    expect((await member.get("/@council/wiki")).html).toContain("Salary table");
    expect((await member.get("/@council/files")).html).toContain("payroll.csv");
    for (const who of [stranger, anonymous]) {
      for (const path of ["/@council/events?month=2030-05", "/@council/wiki", "/@council/files", `/@council/wiki/${closedPage.id}/revisions`,
        `/@council/wiki/${closedPage.id}/revisions/1`, `/@alice/${closedEvent.id}`]) {
        const page = await who.get(path);
        expect(page.html, path).not.toMatch(/Budget secret meeting|Salary table|Closed wiki|payroll/);
      }
      expect((await who.get(`/api/plein/v1/posts/${closedFile.id}/file`)).status).toBe(404);
    }
    const download = await member.get(`/api/plein/v1/posts/${closedFile.id}/file`);
    expect(download.status).toBe(200);
    expect(download.html).toBe("secret bytes");
  });

  it("show a month of events in Dutch time, with the previous and next month", async () => {
    const page = await new Browser(api).get("/@town/events?month=2030-05");
    expect(page.status).toBe(200);
    expect(page.html).toContain("Town fair");
    expect(page.html).toContain("Market square");
    expect(page.html).toContain('datetime="2030-05-01T10:00+02:00"');
    expect(page.html).toContain(">10:00<");
    expect(page.html).toContain('href="/@town/events?month=2030-04"');
    expect(page.html).toContain('href="/@town/events?month=2030-06"');
    expect((await new Browser(api).get("/@town/events?month=2030-06")).html).not.toContain("Town fair");
    const past = await new Browser(api).get("/@town/events?month=2020-01");
    expect(past.html).toContain("Old market");
    expect(past.html).toContain(">19:30<");
    // A hostile month is the current month, not an error.
    expect((await new Browser(api).get(`/@town/events?month=${encodeURIComponent(HOSTILE)}`)).status).toBe(200);
  });

  it("take an RSVP from a member (303 back), refuse a bad answer (422), a stranger (403) and a form without its token (403)", async () => {
    const bobs = await signIn("bob");
    const eventPage = await bobs.get(`/@alice/${townEvent.id}`);
    expect(eventPage.html).toContain("Market square");
    const action = `/@town/events/${townEvent.id}/rsvp`;
    const fields = formOf(eventPage.html, action);
    expect((await bobs.post(action, { ...fields, status: "going", csrf_token: "" })).status).toBe(403);
    const bad = await bobs.post(action, { ...fields, status: "dancing" });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain("status is required");
    expect((await bobs.get(`/@alice/${townEvent.id}`)).html).toContain("0 going");
    const done = await bobs.post(action, { ...fields, status: "going" });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/@alice/${townEvent.id}`);
    const after = await bobs.get(`/@alice/${townEvent.id}`);
    expect(after.html).toContain("1 going");
    expect(after.html).toContain("Your answer: Going.");
    // Another group's event through this group's address, and an event that is over: refused, nothing stored.
    expect((await bobs.post(`/@town/events/${closedEvent.id}/rsvp`, { ...fields, status: "going" })).status).toBe(404);
    expect((await bobs.get(`/@alice/${closedEvent.id}`)).html).not.toContain("Your answer");
    const pastPage = await bobs.get(`/@alice/${pastEvent.id}`);
    expect(pastPage.html).toContain("This event is over.");
    expect(pastPage.html).not.toContain(`/events/${pastEvent.id}/rsvp`);
    const late = await bobs.post(`/@town/events/${pastEvent.id}/rsvp`, { ...fields, status: "going" });
    expect(late.status).toBe(422);
    expect(late.html).toContain("The event is over");
    const mallorys = await signIn("mallory");
    const page = await mallorys.get(`/@alice/${townEvent.id}`);
    expect(page.html).not.toContain(`action="${action}"`);
    expect((await mallorys.post(action, { csrf_token: csrfOf(mallorys), status: "going" })).status).toBe(403);
  });

  it("create an event from the form, and refuse bad dates and over-long text with 422, keeping what was typed and storing nothing", async () => {
    const bobs = await signIn("bob");
    const form = await bobs.get("/@town/events/new");
    expect(form.status).toBe(200);
    const fields = formOf(form.html, "/@town/events");
    const base = { ...fields, title: "Walk", text: "A walk", start: "2030-06-10T09:00", end: "", location: "Park" };
    expect((await bobs.post("/@town/events", { ...base, csrf_token: "" })).status).toBe(403);
    for (const [change, message] of [
      [{ start: "tomorrow-ish", title: `Bad ${HOSTILE}` }, "start must be a date and time"],
      [{ start: "2030-02-30T10:00" }, "start"],
      [{ end: "2030-06-10T08:00" }, "end must not be before start"],
      [{ text: "x".repeat(50_001) }, "text is longer than"],
      [{ start: "2030-03-31T02:30" }, "clock change"],
    ] as const) {
      const res = await bobs.post("/@town/events", { ...base, ...change });
      expect(res.status, message).toBe(422);
      expect(res.html).toContain('id="form-error"');
      expect(res.html).toContain(message);
      expect(res.html).not.toContain(HOSTILE);
    }
    const kept = await bobs.post("/@town/events", { ...base, start: "nonsense", title: `Bad ${HOSTILE}` });
    expect(kept.html).toContain("Bad &lt;script&gt;");
    expect(kept.html).toContain('aria-describedby="form-error"');
    const mallorys = await signIn("mallory");
    expect((await mallorys.get("/@town/events/new")).status).toBe(403);
    expect((await mallorys.post("/@town/events", { ...base, csrf_token: csrfOf(mallorys) })).status).toBe(403);
    const june = await new Browser(api).get("/@town/events?month=2030-06");
    expect(june.html).not.toContain("Walk");
    const created = await bobs.post("/@town/events", base);
    expect(created.status).toBe(303);
    expect(created.location).toMatch(/^\/@bob\/\d+$/);
    expect((await new Browser(api).get("/@town/events?month=2030-06")).html).toContain("Walk");
  });

  it("list the wiki as a tree, edit a page into a new revision, show the history and an old revision, and restore it", async () => {
    const bobs = await signIn("bob");
    const tree = await bobs.get("/@town/wiki");
    expect(tree.html).toMatch(/Handbook<\/a><ul class="wiki-tree"><li><a [^>]*>Chapter one/);
    const editPath = `/@town/wiki/${townPage.id}/edit`;
    const form = await bobs.get(editPath);
    expect(form.status).toBe(200);
    const fields = formOf(form.html, editPath);
    expect(fields.base_revision).toBe("1");
    expect((await bobs.post(editPath, { ...fields, title: "Handbook", text: "Second", csrf_token: "" })).status).toBe(403);
    const long = await bobs.post(editPath, { ...fields, title: "x".repeat(1_001), text: "Second" });
    expect(long.status).toBe(422);
    expect(long.html).toContain("title is longer than");
    const edited = await bobs.post(editPath, { ...fields, title: "Handbook", text: "Second version" });
    expect(edited.status).toBe(303);
    const stale = await bobs.post(editPath, { ...fields, title: "Handbook", text: "Stale" });
    expect(stale.status).toBe(409);
    expect(stale.html).toContain("was edited since revision 1");
    const history = await bobs.get(`/@town/wiki/${townPage.id}/revisions`);
    expect(history.html).toContain("Revision 2");
    expect(history.html).toMatch(/Revision 2<\/a>[\s\S]*by <a href="\/@bob">/);
    const old = await bobs.get(`/@town/wiki/${townPage.id}/revisions/1`);
    expect(old.html).toContain("First version");
    const restore = `/@town/wiki/${townPage.id}/revisions/1/restore`;
    const restoreFields = formOf(old.html, restore);
    expect((await bobs.post(restore, { ...restoreFields, csrf_token: "" })).status).toBe(403);
    const mallorys = await signIn("mallory");
    expect((await mallorys.get(editPath)).status).toBe(403);
    // The domain answers a non-member's edit as it does a page that is not there (editLocalPost).
    expect((await mallorys.post(editPath, { ...fields, csrf_token: csrfOf(mallorys), text: "Vandalism" })).status).toBe(404);
    expect((await mallorys.get(`/@town/wiki/${townPage.id}/revisions/1`)).html).not.toContain(`action="${restore}"`);
    expect((await mallorys.post(restore, { csrf_token: csrfOf(mallorys) })).status).toBe(404);
    expect((await bobs.post(restore, restoreFields)).status).toBe(303);
    const page = await new Browser(api).get(`/@alice/${townPage.id}`);
    expect(page.html).toContain("First version");
    expect(page.html).toContain("Revision 3");
    expect(page.html).not.toContain("Vandalism");
    expect((await bobs.get(`/@town/wiki/${townPage.id}/revisions/99`)).status).toBe(404);
  });

  it("make a new wiki page under a parent, and refuse a parent of another group", async () => {
    const bobs = await signIn("bob");
    const form = await bobs.get("/@town/wiki/new");
    const fields = formOf(form.html, "/@town/wiki");
    expect((await bobs.post("/@town/wiki", { ...fields, title: "Orphan", text: "x", csrf_token: "" })).status).toBe(403);
    const foreign = await bobs.post("/@town/wiki", { ...fields, title: "Orphan", text: "x", parent_id: closedPage.id });
    expect(foreign.status).toBe(422);
    expect(foreign.html).toContain("parent_id");
    expect((await bobs.get(`/@alice/${townPage.id}`)).html).toContain(`href="/@town/wiki/new?parent_id=${townPage.id}"`);
    expect((await bobs.get(`/@town/wiki/new?parent_id=${townPage.id}`)).html).toContain(`<option value="${townPage.id}" selected>`);
    const made = await bobs.post("/@town/wiki", { ...fields, title: `Appendix ${HOSTILE}`, text: "Last", parent_id: townPage.id });
    expect(made.status).toBe(303);
    const tree = await new Browser(api).get("/@town/wiki");
    expect(tree.html).toContain("Appendix &lt;script&gt;");
    expect(tree.html).not.toContain(HOSTILE);
  });

  it("upload a file from the multipart form, and refuse an oversized or empty file (422) and a form without its token (403)", async () => {
    const bobs = await signIn("bob");
    const form = await bobs.get("/@town/files/new");
    expect(form.html).toContain('enctype="multipart/form-data"');
    const csrf = formOf(form.html, "/@town/files").csrf_token!;
    expect((await multipart(bobs, "/@town/files", { csrf_token: "", file: new File(["x"], "a.txt", { type: "text/plain" }) })).status).toBe(403);
    const big = await multipart(bobs, "/@town/files", { csrf_token: csrf, title: "Kept title", file: new File([new Uint8Array(70 * 1024)], "big.bin") });
    expect(big.status).toBe(422);
    expect(big.html).toContain("larger than 64 KiB");
    expect(big.html).toContain('value="Kept title"');
    expect((await multipart(bobs, "/@town/files", { csrf_token: csrf, file: new File([], "empty.txt") })).status).toBe(422);
    const mallorys = await signIn("mallory");
    expect((await multipart(mallorys, "/@town/files", { csrf_token: csrfOf(mallorys), file: new File(["x"], "m.txt") })).status).toBe(403);
    const hostile = await multipart(bobs, "/@town/files", {
      csrf_token: csrf, file: new File([`<html>${HOSTILE}</html>`], `..\\..\\<img src=x onerror=alert(1)>.html`, { type: "text/html" }),
    });
    expect(hostile.status).toBe(303);
    const ok = await multipart(bobs, "/@town/files", { csrf_token: csrf, description: "Notes", file: new File(["hello"], "notes.txt", { type: "text/plain" }) });
    expect(ok.status).toBe(303);
    const list = await new Browser(api).get("/@town/files");
    expect(list.html).toContain("notes.txt");
    expect(list.html).toContain("5 B");
    expect(list.html).toContain("text/plain");
    expect(list.html).not.toContain("<img src=x");
    expect(list.html).not.toContain("big.bin");
    const link = /href="(\/api\/plein\/v1\/posts\/\d+\/file)"[^>]*>&lt;img src=x onerror=alert\(1\)&gt;\.html</.exec(list.html)?.[1];
    expect(link).toBeDefined();
    const res = await api.running.app.request(new URL(link!, ORIGIN).href);
    expect(res.headers.get("content-type")).not.toMatch(/html/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
  });
});
