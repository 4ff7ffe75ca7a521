/**
 * The group pages in Debian's Chromium against a real HTTPS instance:
 * starting a group through its form, posting a discussion and commenting on
 * it, editing it and deleting a post after a confirmation, a question and
 * its accepted answer, a second person joining (in Dutch); axe-core
 * (WCAG 2.1 A/AA) and a screenshot on every template, its error state
 * included. `group-discussions` is the README's screenshot.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, findGroup } from "../../src/domain/groups.ts";
import { join } from "../../src/domain/membership.ts";
import { createLocalPost } from "../../src/domain/posts/authoring.ts";
import { findLocalActor } from "../../src/domain/accounts.ts";
import { checkPage, hasChromium, launchChromium, signIn } from "../support/browser.ts";
import { closeInstances, startInstances, type TestInstance, type TestUser } from "../support/instances.ts";

const DISCUSSIONS = [
  { by: "sanne", title: "Parkeren rond het gezondheidscentrum", text: "Sinds de nieuwe blauwe zone staan de straten achter het gezondheidscentrum vol. Wie heeft ervaring met een ontheffing voor mantelzorgers?" },
  { by: "anne", title: "Verslag bewonersavond 14 november", text: "Dank aan iedereen die er was. De gemeente komt in januari terug met een voorstel voor de speeltuin aan de Lindelaan." },
  { by: "sanne", title: "Buurtcompostering: wie doet mee?", text: "We zoeken nog drie huishoudens voor de compostbak bij de moestuin. Aanmelden kan hier of bij de buurtconciërge." },
];

describe.skipIf(!hasChromium)("the group pages in Chromium", () => {
  let plein: TestInstance;
  let browser: Browser;
  let anne: TestUser;
  let sanne: TestUser;

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    anne = await plein.createUser("anne", { displayName: "Anne de Vries" });
    await plein.createUser("bram", { displayName: "Bram <i>Jansen</i>" });
    sanne = await plein.createUser("sanne", { displayName: "Sanne Bakker" });
    await createGroup(plein.db, new URL(plein.origin), anne.actor, { name: "bestaand", visibility: "public", modules: [] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  async function submitForm(page: Page, button: string, url: RegExp | string): Promise<void> {
    await Promise.all([page.waitForURL(url), page.getByRole("button", { name: button }).click()]);
  }

  it("starts a group, posts and comments, accepts an answer; a second person joins in Dutch", { timeout: 120_000 }, async () => {
    const en = await browser.newContext({ locale: "en-GB" });
    const nl = await browser.newContext({ locale: "nl-NL" });
    const page = await en.newPage();
    const other = await nl.newPage();
    try {
      await signIn(page, plein, "anne");
      await page.getByRole("link", { name: "New group" }).click();
      await page.waitForURL(/\/groups\/new$/);
      await checkPage(page, "group-new");

      await page.fill("#name", "bestaand");
      await page.fill("#display_name", "Wijkraad Oost");
      await Promise.all([page.waitForSelector("#form-error"), page.getByRole("button", { name: "Create group" }).click()]);
      expect(await page.inputValue("#display_name")).toBe("Wijkraad Oost");
      await checkPage(page, "group-new-error");

      await page.fill("#name", "wijkraad_oost");
      await page.fill("#description", "Voor bewoners van de wijk Oost: plannen, vragen en afspraken. #oost");
      await page.check("#visibility-public");
      await page.check("#module-question");
      await submitForm(page, "Create group", /\/@wijkraad_oost$/);
      await page.getByText("You are a member of this group.").waitFor();
      await checkPage(page, "group-about");

      const origin = new URL(plein.origin);
      const group = (await findGroup(plein.db, (await findLocalActor(plein.db, origin, "wijkraad_oost"))!.id))!;
      await join(plein.db, origin, group, sanne.actor);
      for (const d of DISCUSSIONS) {
        const author = d.by === "anne" ? anne : sanne;
        await createLocalPost(plein.db, origin, author.actor, {
          type: "Page", name: d.title, contentHtml: `<p>${d.text}</p>`, contentSource: d.text, visibility: "public", groupId: group.actor.id, module: "discussion",
        });
      }

      await page.getByRole("navigation", { name: "Group sections" }).getByRole("link", { name: "Discussions" }).click();
      await page.waitForURL(/\/@wijkraad_oost\/discussions$/);
      await page.getByRole("button", { name: "Post" }).click();
      await page.waitForURL(/\/discussions$/); // the browser's own check holds an empty title back
      await page.fill("#title", "Nieuwe bankjes in het park");
      await page.fill("#text", "De gemeente vraagt waar de nieuwe bankjes moeten komen. Ideeën graag voor vrijdag.");
      await submitForm(page, "Post", /\/@anne\/\d+$/);
      await page.getByText("Ideeën graag voor vrijdag.").waitFor();
      await checkPage(page, "group-post");
      await page.fill("#comment-text", "   ");
      await Promise.all([page.waitForSelector("#form-error"), page.getByRole("button", { name: "Post comment" }).click()]);
      await checkPage(page, "group-post-comment-error");
      await page.fill("#comment-text", "Bij de vijver, daar zit nu niemand in de schaduw.");
      await submitForm(page, "Post comment", /\/@anne\/\d+$/);
      await page.getByText("Bij de vijver").waitFor();
      await checkPage(page, "group-post-comment");
      const post = page.url();
      expect(await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Discussions" }).getAttribute("href")).toBe("/@wijkraad_oost/discussions");

      await page.getByRole("link", { name: "Edit" }).click();
      await page.waitForURL(/\/edit$/);
      await checkPage(page, "group-post-edit");
      await page.fill("#title", " ");
      await Promise.all([page.waitForSelector("#form-error"), page.getByRole("button", { name: "Save" }).click()]);
      expect(await page.inputValue("#text")).toContain("Ideeën graag voor vrijdag.");
      await checkPage(page, "group-post-edit-error");
      await page.fill("#title", "Nieuwe bankjes in het park en bij de vijver");
      await page.fill("#summary", "Lange lijst met plekken");
      await submitForm(page, "Save", post);
      await page.getByRole("heading", { name: "Nieuwe bankjes in het park en bij de vijver" }).waitFor();
      await page.getByText("Lange lijst met plekken").waitFor();
      await page.getByRole("link", { name: "Delete" }).click();
      await page.waitForURL(/\/delete$/);
      await checkPage(page, "group-post-delete");
      await page.getByRole("link", { name: "Cancel" }).click();
      await page.waitForURL(post);

      await page.goto(`${plein.origin}/@wijkraad_oost/discussions`);
      await page.fill("#title", "x".repeat(10));
      await page.fill("#text", " ");
      await Promise.all([page.waitForSelector("#form-error"), page.getByRole("button", { name: "Post" }).click()]);
      await checkPage(page, "group-discussions-error");

      await page.goto(`${plein.origin}/@wijkraad_oost/questions`);
      await page.fill("#title", "Wanneer wordt het oud papier opgehaald?");
      await page.fill("#text", "Op de site van de gemeente staan twee verschillende data.");
      await submitForm(page, "Post", /\/@anne\/\d+$/);
      const question = page.url();

      await signIn(other, plein, "bram");
      await other.goto(`${plein.origin}/@wijkraad_oost`);
      await checkPage(other, "group-about-nl");
      await submitForm(other, "Lid worden", /\/@wijkraad_oost$/);
      await other.getByText("Je bent lid van deze groep.").waitFor();
      await other.goto(question);
      await other.fill("#comment-text", "Elke tweede dinsdag van de maand, zegt de afvalkalender.");
      await submitForm(other, "Antwoord plaatsen", question);
      await other.goto(`${plein.origin}/@wijkraad_oost/discussions`);
      await other.fill("#title", "Dubbel bericht");
      await other.fill("#summary", "Per ongeluk");
      await other.fill("#text", "Dit bericht stond er al.");
      await submitForm(other, "Plaatsen", /\/@bram\/\d+$/);
      await other.getByRole("link", { name: "Bewerken" }).click();
      await other.waitForURL(/\/edit$/);
      await checkPage(other, "group-post-edit-nl");
      await other.getByRole("link", { name: "Annuleren" }).click();
      await other.getByRole("link", { name: "Verwijderen" }).click();
      await other.waitForURL(/\/delete$/);
      await checkPage(other, "group-post-delete-nl");
      await submitForm(other, "Ja, verwijderen", /\/@wijkraad_oost\/discussions$/);
      expect(await other.content()).not.toContain("Dubbel bericht");
      await other.goto(`${plein.origin}/@wijkraad_oost/members`);
      await checkPage(other, "group-members-nl");
      expect(await other.content()).not.toContain("<i>Jansen</i>");
      await other.goto(`${plein.origin}/@wijkraad_oost/discussions`);
      await other.getByText("Buurtcompostering: wie doet mee?").waitFor();
      await checkPage(other, "group-discussions");

      await page.goto(question);
      await page.getByRole("button", { name: "Accept this answer" }).click();
      await page.getByText("Accepted answer").waitFor();
      await checkPage(page, "group-question");
      await page.goto(`${plein.origin}/@wijkraad_oost/questions`);
      await page.getByText("Answered").waitFor();
      await checkPage(page, "group-questions");
    } finally {
      await en.close();
      await nl.close();
    }
  });
});
