/**
 * A group's events, wiki and files pages in Chromium against a real HTTPS
 * instance: a member signs in, answers an event, makes an event (after a
 * refused date), edits a wiki page and finds the revision in its history,
 * restores an old one, uploads a file; axe-core (WCAG 2.1 A/AA) and a
 * screenshot on every template these pages add, in English and in Dutch.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIn } from "../../src/api/plein/content.ts";
import type { Post } from "../../src/db/schema.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { join } from "../../src/domain/membership.ts";
import { shareUpload } from "../../src/modules/file/upload.ts";
import { checkPage as check, hasChromium, launchChromium, signIn } from "../support/browser.ts";
import { closeInstances, startInstances, type TestInstance } from "../support/instances.ts";

describe.skipIf(!hasChromium)("a group's events, wiki and files in Chromium", () => {
  let plein: TestInstance;
  let browser: Browser;
  let event: Post;
  let page1: Post;

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    const alice = await plein.createUser("alice", { displayName: "Alice" });
    const bob = await plein.createUser("bob", { displayName: "Bob" });
    const origin = new URL(plein.origin);
    const square = await createGroup(plein.db, origin, alice.actor, { name: "square", displayName: "Town square", description: "Our town", visibility: "public", modules: ["event", "wiki", "file"] });
    await createGroup(plein.db, origin, alice.actor, { name: "council", displayName: "Council", description: "Closed", visibility: "closed", modules: ["event", "wiki", "file"] });
    await join(plein.db, origin, square, bob.actor);
    const deps = plein.running.deps;
    event = await createIn(deps, alice.actor, { module: "event", title: "Town fair", text: "Stalls and music", start: "2030-05-01T10:00", end: "2030-05-01T16:00", location: "Market square", time_zone: "Europe/Amsterdam" }, { group: square });
    page1 = await createIn(deps, alice.actor, { module: "wiki", title: "Handbook", text: "How we work" }, { group: square });
    await createIn(deps, alice.actor, { module: "wiki", title: "Meetings", text: "Every Monday", parent_id: page1.id }, { group: square });
    await shareUpload(deps, alice.actor, square.actor.id, { file: new File(["minutes"], "minutes.txt", { type: "text/plain" }), title: "Minutes" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  it("answers an event, makes one, edits and restores a wiki page, uploads a file; no WCAG 2.1 AA violations", { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    const at = (path: string) => `${plein.origin}${path}`;
    try {
      await page.goto(at("/@council/events"));
      await check(page, "module-closed");

      await signIn(page, plein, "bob");
      await page.goto(at("/@square/events?month=2030-05"));
      await page.getByRole("link", { name: "Town fair" }).waitFor();
      await check(page, "events");
      await page.getByRole("link", { name: "Town fair" }).click();
      await page.waitForURL(at(`/@alice/${event.id}`));
      await check(page, "event");
      await page.getByLabel("Going", { exact: true }).check();
      await page.getByRole("button", { name: "Send answer" }).click();
      await page.getByText("Your answer: Going.").waitFor();
      expect(page.url()).toBe(at(`/@alice/${event.id}`));
      await page.getByText("1 going").waitFor();
      await check(page, "event-answered");

      await page.goto(at("/@square/events/new"));
      await check(page, "event-new");
      await page.fill("#ev-title", "Clean-up day");
      await page.fill("#ev-text", "Bring gloves");
      await page.fill("#ev-start", "2030-05-10T10:00");
      await page.fill("#ev-end", "2030-05-10T09:00");
      await page.fill("#ev-place", "Park");
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForSelector("#form-error");
      expect(await page.textContent("#form-error")).toContain("end must not be before start");
      expect(await page.inputValue("#ev-title")).toBe("Clean-up day");
      await check(page, "event-new-error");
      await page.fill("#ev-end", "2030-05-10T12:00");
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/\/@bob\/\d+$/);
      await page.getByText("Park").first().waitFor();

      await page.goto(at("/@square/wiki"));
      await check(page, "wiki");
      await page.getByRole("link", { name: "Handbook" }).click();
      await page.getByRole("link", { name: "Edit" }).click();
      await check(page, "wiki-edit");
      await page.fill("#wiki-text", "How we work, revised");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("How we work, revised").waitFor();
      await page.getByText("Revision 2").waitFor();
      await check(page, "wiki-page");
      await page.getByRole("link", { name: "History" }).click();
      await page.getByRole("link", { name: "Revision 2" }).waitFor();
      expect(await page.textContent("ol.revisions")).toContain("by Bob");
      await check(page, "wiki-history");
      await page.getByRole("link", { name: "Revision 1" }).click();
      await check(page, "wiki-revision");
      await page.getByRole("button", { name: "Restore this revision" }).click();
      await page.getByRole("link", { name: "Revision 3" }).waitFor();
      await page.goto(at("/@square/wiki/new"));
      await check(page, "wiki-new");

      await page.goto(at("/@square/files"));
      await check(page, "files");
      await page.getByRole("link", { name: "Share a file" }).click();
      await check(page, "file-new");
      await page.setInputFiles("#file-file", { name: "empty.txt", mimeType: "text/plain", buffer: Buffer.alloc(0) });
      await page.getByRole("button", { name: "Share a file" }).click();
      await page.waitForSelector("#form-error");
      await check(page, "file-new-error");
      await page.setInputFiles("#file-file", { name: "agenda.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 agenda") });
      await page.fill("#file-title", "Agenda");
      await page.getByRole("button", { name: "Share a file" }).click();
      await page.waitForURL(at("/@square/files"));
      await page.getByRole("link", { name: "Download agenda.pdf" }).waitFor();
      await page.getByRole("link", { name: "Minutes", exact: true }).click();
      await page.waitForURL(/\/@alice\/\d+$/);
      await check(page, "file");

      await page.getByRole("button", { name: "Nederlands" }).click();
      await page.waitForSelector('html[lang="nl"]');
      for (const [name, path] of [["events-nl", "/@square/events?month=2030-05"], ["event-nl", `/@alice/${event.id}`], ["wiki-nl", "/@square/wiki"],
        ["wiki-history-nl", `/@square/wiki/${page1.id}/revisions`], ["files-nl", "/@square/files"], ["file-new-nl", "/@square/files/new"]] as const) {
        await page.goto(at(path));
        await check(page, name);
      }
      await page.getByText("Bestand plaatsen").first().waitFor();
    } finally {
      await context.close();
    }
  });
});
