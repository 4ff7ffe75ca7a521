/**
 * The admin pages in Debian's Chromium against a real HTTPS instance: a group
 * owner approves a membership request, moderates a waiting post and meets a
 * form error; an instance admin changes the federation mode and adds a domain
 * rule. axe-core (WCAG 2.1 A and AA) and a screenshot on every admin
 * template, its error state where it has one, and in Dutch.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInstanceActor } from "../../src/domain/accounts.ts";
import { createGroup, type GroupView } from "../../src/domain/groups.ts";
import { join, membershipOf } from "../../src/domain/membership.ts";
import { currentPolicy } from "../../src/domain/policy.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { fileReport } from "../../src/domain/reports.ts";
import { checkPage, hasChromium, launchChromium, signIn } from "../support/browser.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

describe.skipIf(!hasChromium)("the admin pages in Chromium", () => {
  let plein: TestInstance;
  let alice: TestUser;
  let bob: TestUser;
  let group: GroupView;
  let browser: Browser;

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    alice = await plein.createUser("alice", { displayName: "Alice" });
    bob = await plein.createUser("bob", { displayName: "Bob" });
    const carol = await plein.createUser("carol", { displayName: "Carol" });
    await plein.createUser("chief", { admin: true });
    const origin = new URL(plein.origin);
    group = await createGroup(plein.db, origin, alice.actor, {
      name: "council", displayName: "Council", description: "Closed to outsiders", visibility: "closed", joinMode: "open", moderatePosts: true, modules: ["discussion"],
    });
    await join(plein.db, origin, group, carol.actor);
    const reported = await createLocalPost(plein.db, origin, alice.actor, { contentHtml: "<p>Minutes</p>", contentSource: "Minutes", visibility: "public", groupId: group.actor.id });
    await createLocalPost(plein.db, origin, carol.actor, { contentHtml: "<p>Please let this in</p>", contentSource: "Please let this in", visibility: "public", groupId: group.actor.id });
    await fileReport(plein.db, carol.actor, (await findInstanceActor(plein.db, origin))!, { postIds: [reported.id], comment: "Wrong date", forward: false });
    const { updateGroup } = await import("../../src/domain/groups.ts");
    group = await updateGroup(plein.db, origin, group, alice.actor, { joinMode: "approval" }, true);
    await join(plein.db, origin, group, bob.actor);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  async function visit(page: Page, path: string, name: string) {
    expect((await page.goto(`${plein.origin}${path}`))?.status(), path).toBe(200);
    await checkPage(page, name);
  }

  it("a group owner approves a request, moderates a post and meets the forms' errors", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    try {
      await signIn(page, plein, "alice");
      await visit(page, "/@council/admin", "group-admin");
      await visit(page, "/@council/admin/requests", "group-admin-requests");
      await page.getByRole("button", { name: "Approve: Bob" }).click();
      await page.waitForURL(/\/admin\/requests$/);
      await page.getByText("There are no requests.").waitFor();
      expect((await membershipOf(plein.db, group.actor.id, bob.actor.id))?.state).toBe("member");

      await visit(page, "/@council/admin/moderation", "group-admin-moderation");
      await page.getByRole("button", { name: "Approve" }).first().click();
      await page.getByText("Nothing is waiting for approval.").waitFor();

      await visit(page, "/@council/admin/settings", "group-admin-settings");
      await page.fill("#description", "x".repeat(5001));
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForSelector("#form-error");
      await checkPage(page, "group-admin-settings-error");

      await visit(page, "/@council/admin/invites", "group-admin-invites");
      await page.fill("#handle", "nobody@nowhere.invalid");
      await page.getByRole("button", { name: "Invite" }).click();
      await page.waitForSelector("#form-error");
      await checkPage(page, "group-admin-invites-error");

      await visit(page, "/@council/admin/members", "group-admin-members");
      await visit(page, "/@council/admin/reports", "group-admin-reports");
      await page.getByText("Wrong date").waitFor();
      await visit(page, "/@council/admin/audit", "group-admin-audit");
      await page.getByRole("button", { name: "Nederlands" }).click();
      await page.waitForSelector('html[lang="nl"]');
      await checkPage(page, "group-admin-audit-nl");
    } finally {
      await context.close();
    }
  }, 120_000);

  it("an instance admin changes the federation mode and adds a domain rule", async () => {
    const adminContext = await browser.newContext({ locale: "en-GB" });
    const admin = await adminContext.newPage();
    try {
      await signIn(admin, plein, "chief");
      await admin.getByRole("link", { name: "Server admin" }).click();
      await admin.waitForURL(/\/admin$/);
      await checkPage(admin, "admin");
      await admin.getByRole("navigation", { name: "Admin pages" }).getByRole("link", { name: "Federation" }).click();
      await admin.waitForURL(/\/admin\/federation$/);
      await checkPage(admin, "admin-federation");
      await admin.getByLabel("Allowlist: only with allowed servers").check();
      await admin.getByRole("button", { name: "Save", exact: true }).click();
      await admin.waitForURL(/\/admin\/federation$/);
      expect((await currentPolicy(plein.db)).mode).toBe("allowlist");

      await admin.fill("#domain", "https://evil.example/");
      await admin.getByRole("button", { name: "Save rule" }).click();
      await admin.waitForSelector("#form-error");
      await checkPage(admin, "admin-federation-error");
      await admin.fill("#domain", "*.partner.example");
      await admin.selectOption("#action", "allow");
      await admin.fill("#comment", "Our partners");
      await admin.getByRole("button", { name: "Save rule" }).click();
      await admin.getByRole("cell", { name: "*.partner.example", exact: true }).waitFor();
      expect((await currentPolicy(plein.db)).rules).toEqual([expect.objectContaining({ domain: "partner.example", subdomains: true, action: "allow" })]);

      await visit(admin, "/admin/users", "admin-users");
      await visit(admin, "/admin/reports", "admin-reports");
      await visit(admin, "/admin/audit", "admin-audit");
      await visit(admin, "/admin/settings", "admin-settings");
      await admin.fill("#short_description", "x".repeat(501));
      await admin.getByRole("button", { name: "Save" }).click();
      await admin.waitForSelector("#form-error");
      await checkPage(admin, "admin-settings-error");
      await admin.getByRole("button", { name: "Nederlands" }).click();
      await admin.waitForSelector('html[lang="nl"]');
      await visit(admin, "/admin/federation", "admin-federation-nl");
    } finally {
      await adminContext.close();
    }
  }, 120_000);
});
