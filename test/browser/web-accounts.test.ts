/**
 * The account pages in Chromium against a real HTTPS instance: registering
 * with an invite link, changing the password, seeing and ending a session,
 * notifications, search, the registration admin page; axe-core (WCAG 2.1
 * A/AA) and a screenshot on every template and error state, in English and
 * in Dutch.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../src/domain/accounts.ts";
import { createGroup } from "../../src/domain/groups.ts";
import { notify } from "../../src/domain/notifications.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { createInvite, updateRegistrationSettings } from "../../src/domain/registrations.ts";
import { checkPage as check, hasChromium, launchChromium, signIn } from "../support/browser.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

describe.skipIf(!hasChromium)("the account pages in Chromium", () => {
  let plein: TestInstance;
  let alice: TestUser;
  let chief: TestUser;
  let browser: Browser;
  let inviteCode: string;

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    alice = await plein.createUser("alice", { displayName: "Alice de Vries" });
    chief = await plein.createUser("chief", { admin: true });
    const origin = new URL(plein.origin);
    await createGroup(plein.db, origin, alice.actor, { name: "square", displayName: "Town square", description: "Talk about #town things", visibility: "public", modules: [] });
    await updateRegistrationSettings(plein.db, "invite", []);
    inviteCode = (await createInvite(plein.db, chief.actor, 2, 7)).code;
    await createUser(plein.db, origin, { username: "waiting_wim", email: "wim@example.nl", password: "a long password", approvalPending: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  async function fillSignUp(page: Page, again: string) {
    await page.fill("#username", "newbie");
    await page.fill("#display_name", "New <em>person</em>");
    await page.fill("#email", "newbie@example.nl");
    await page.fill("#password", "first password here");
    await page.fill("#password_again", again);
    await page.getByRole("button", { name: "Create an account" }).click();
  }

  it("registers with an invite, changes the password, ends another session, reads notifications and searches; no WCAG 2.1 AA violations", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const elsewhere = await browser.newContext({ locale: "en-GB" });
    const admin = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    try {
      // Registration: invite only, then with the link; an error, then success.
      expect((await page.goto(`${plein.origin}/auth/sign_up`))?.status()).toBe(403);
      await check(page, "sign-up-invite-only");
      expect((await page.goto(`${plein.origin}/auth/sign_up?invite=${inviteCode}`))?.status()).toBe(200);
      await check(page, "sign-up");
      await fillSignUp(page, "something else");
      await page.waitForSelector("#form-error");
      expect(await page.inputValue("#display_name")).toBe("New <em>person</em>");
      await check(page, "sign-up-error");
      await fillSignUp(page, "first password here");
      await page.waitForURL(`${plein.origin}/`);
      await page.getByText("Signed in as @newbie").waitFor();
      await page.goto(`${plein.origin}/auth/sign_up/waiting`);
      await check(page, "sign-up-waiting");

      // Settings and the password: a wrong current one, then a change.
      await page.getByRole("link", { name: "Settings" }).click();
      await page.waitForURL(/\/settings$/);
      await check(page, "settings");
      await page.getByRole("link", { name: "Change password" }).click();
      await check(page, "password");
      await page.fill("#current_password", "not my password");
      await page.fill("#new_password", "second password here");
      await page.fill("#new_password_again", "second password here");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.waitForSelector("#form-error");
      await check(page, "password-error");
      await page.fill("#current_password", "first password here");
      await page.fill("#new_password", "second password here");
      await page.fill("#new_password_again", "second password here");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByText("Your password has been changed").waitFor();
      await check(page, "password-changed");

      // Another browser signs in with the new password; this one ends that session.
      const other = await elsewhere.newPage();
      await other.goto(`${plein.origin}/auth/sign_in`);
      await other.fill("#username", "newbie");
      await other.fill("#password", "second password here");
      await Promise.all([other.waitForURL(`${plein.origin}/`), other.press("#password", "Enter")]);
      await other.getByText("Signed in as @newbie").waitFor();
      await page.goto(`${plein.origin}/settings/sessions`);
      await check(page, "sessions");
      const ends = page.getByRole("button", { name: /^End the session of/ });
      expect(await ends.count()).toBe(2);
      await ends.first().click();
      await page.waitForURL(/\/settings\/sessions$/);
      expect(await page.getByRole("button", { name: /^End the session of/ }).count()).toBe(1);
      await other.reload();
      await other.getByRole("navigation").getByRole("link", { name: "Sign in" }).waitFor();

      // Notifications.
      const me = await plein.db.selectFrom("actors").selectAll().where("username", "=", "newbie").executeTakeFirstOrThrow();
      const post = await createLocalPost(plein.db, new URL(plein.origin), alice.actor, { contentHtml: "<p>Welcome @newbie</p>", contentSource: "Welcome @newbie", visibility: "public" });
      await notify(plein.db, [{ recipientId: me.id, type: "mention", actorId: alice.actor.id, postId: post.id }, { recipientId: me.id, type: "follow", actorId: alice.actor.id }]);
      await page.getByRole("link", { name: "Notifications" }).click();
      await page.getByText("Welcome @newbie").waitFor();
      await check(page, "notifications");
      await page.getByRole("button", { name: "Mark all as read" }).click();
      await page.waitForURL(/\/notifications$/);
      expect(await page.locator("li.unread").count()).toBe(0);

      // Search.
      await page.getByRole("link", { name: "Search" }).click();
      await page.fill("#q", "squ");
      await page.press("#q", "Enter");
      await page.getByRole("link", { name: "Town square" }).waitFor();
      await check(page, "search");
      await page.fill("#q", "nothing like this");
      await page.press("#q", "Enter");
      await page.getByText("Nothing found").waitFor();
      await check(page, "search-empty");
      await page.goto(`${plein.origin}/admin/registrations`);
      await check(page, "forbidden");

      // The admin page, in English and in Dutch.
      const adminPage = await admin.newPage();
      await signIn(adminPage, plein, "chief");
      await adminPage.goto(`${plein.origin}/admin/registrations`);
      await adminPage.getByText("@waiting_wim").waitFor();
      await check(adminPage, "admin-registrations");
      await adminPage.getByRole("button", { name: "Approve @waiting_wim" }).click();
      await adminPage.getByText("Saved.").waitFor();
      await adminPage.getByRole("button", { name: "Nederlands" }).click();
      await adminPage.waitForSelector('html[lang="nl"]');
      await check(adminPage, "admin-registrations-nl");
      await adminPage.goto(`${plein.origin}/notifications`);
      await check(adminPage, "notifications-nl");
      await adminPage.goto(`${plein.origin}/settings/sessions`);
      await check(adminPage, "sessions-nl");
      await adminPage.goto(`${plein.origin}/settings/password`);
      await check(adminPage, "password-nl");
      await adminPage.goto(`${plein.origin}/search?q=squ`);
      await check(adminPage, "search-nl");
      // The signed-out browser: registration in Dutch.
      await other.goto(`${plein.origin}/auth/sign_up?invite=${inviteCode}`);
      await other.getByRole("button", { name: "Nederlands" }).click();
      await other.waitForSelector('html[lang="nl"]');
      await other.getByRole("heading", { name: "Account aanmaken" }).waitFor();
      await check(other, "sign-up-nl");
    } finally {
      await Promise.all([context.close(), elsewhere.close(), admin.close()]);
    }
  }, 120_000);
});
