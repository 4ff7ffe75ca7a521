/**
 * The site's pages in Debian's Chromium (playwright-core) against a real
 * HTTPS instance: signing in with the keyboard only, home, a group, signing
 * out; and axe-core on every page template, in Chromium with the pages' own
 * CSP in force, for WCAG 2.1 A and AA. Screenshots go to test/.artifacts/.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup } from "../../src/domain/groups.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import type { Post } from "../../src/db/schema.ts";
import { checkPage as check, hasChromium, launchChromium, tabTo } from "../support/browser.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

describe.skipIf(!hasChromium)("the web pages in Chromium", () => {
  let plein: TestInstance;
  let alice: TestUser;
  let browser: Browser;
  let post: Post;

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    alice = await plein.createUser("alice", { displayName: "Alice <b>de Vries</b>" });
    const origin = new URL(plein.origin);
    const square = await createGroup(plein.db, origin, alice.actor, { name: "square", displayName: "Town square", description: "Talk about #town things", visibility: "public", modules: [] });
    await createGroup(plein.db, origin, alice.actor, { name: "council", displayName: "Council", description: "Closed to outsiders", visibility: "closed", modules: [] });
    post = await createLocalPost(plein.db, origin, alice.actor, { contentHtml: "<p>Agenda for #town</p>", contentSource: "Agenda for #town", visibility: "public", groupId: square.actor.id });
    await createLocalPost(plein.db, origin, alice.actor, { contentHtml: "<p>A comment</p>", contentSource: "A comment", visibility: "public", groupId: square.actor.id, inReplyToId: post.id });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  it("signs in with the keyboard, shows home and a group, signs out; no WCAG 2.1 AA violations on any template", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    try {
      expect((await page.goto(`${plein.origin}/`))?.status()).toBe(200);
      await check(page, "home-anonymous");

      await tabTo(page, 'a[href="/auth/sign_in"]');
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/auth\/sign_in$/);
      await check(page, "sign-in");
      await tabTo(page, "#username");
      await page.keyboard.type("alice");
      await page.keyboard.press("Tab");
      await page.keyboard.type("not the password");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#form-error");
      await check(page, "sign-in-error");

      await tabTo(page, "#password");
      await page.keyboard.type(`password-alice-${plein.number}`);
      await page.keyboard.press("Enter");
      await page.waitForURL(`${plein.origin}/`);
      await page.getByText("Signed in as @alice").waitFor();
      await check(page, "home");

      await page.getByRole("link", { name: "Town square" }).first().click();
      await page.waitForURL(/\/@square$/);
      await page.getByText("Agenda for #town").waitFor();
      await check(page, "group");

      for (const [name, path] of [["profile", "/@alice"], ["post", `/@alice/${post.id}`], ["tag", "/tags/town"], ["not-found", "/@nobody"]] as const) {
        await page.goto(`${plein.origin}${path}`);
        await check(page, name);
      }
      expect(await page.content()).not.toContain("<b>de Vries</b>");

      await page.goto(`${plein.origin}/`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("navigation").getByRole("link", { name: "Sign in" }).waitFor();

      await page.goto(`${plein.origin}/@council`);
      await check(page, "group-closed");
      await page.getByRole("button", { name: "Nederlands" }).click();
      await page.waitForSelector('html[lang="nl"]');
      await check(page, "group-closed-nl");
    } finally {
      await context.close();
    }
  });
});
