/**
 * Debian's Chromium through playwright-core for the site's browser tests:
 * launching it to trust exactly the test server's key, axe-core's WCAG 2.1
 * A/AA rules on a page (with the page's own CSP in force), screenshots in
 * test/.artifacts/ (kept as artifacts, not committed), keyboard helpers and
 * signing in through the site's form.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { type TestInstance, TLS } from "./instances.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Skipping the browser tests: ${CHROMIUM} is missing (Debian: apt-get install chromium).`);
export const ARTIFACTS = join(import.meta.dirname, "..", ".artifacts");

/** Chromium is told to accept exactly the test server's key (see oauth-browser.test.ts). */
function testServerSpki(): string {
  const cert = new X509Certificate(readFileSync(TLS.cert));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      `--ignore-certificate-errors-spki-list=${testServerSpki()}`],
  });
}

export interface Violation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/** axe-core's WCAG 2.1 A and AA rules on the page as it is; evaluated through the DevTools protocol, which the page's CSP does not govern. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: typeof axe }).axe.run;
    const result = await run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target as unknown[] })) }));
  });
}

/** A screenshot to test/.artifacts/web-NAME.png, then no axe violations. */
export async function checkPage(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`), fullPage: true });
  expect(await axeViolations(page), `axe on ${name}`).toEqual([]);
}

/** Tabs until the focused element matches, as a keyboard user would (at most `presses`). */
export async function tabTo(page: Page, selector: string, presses = 15): Promise<void> {
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Signs in through the site's form (test users' passwords are `password-NAME-N`, as instances.ts makes them). */
export async function signIn(page: Page, instance: TestInstance, username: string): Promise<void> {
  await page.goto(`${instance.origin}/auth/sign_in`);
  await page.fill("#username", username);
  await page.fill("#password", `password-${username}-${instance.number}`);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/auth/sign_in")), page.press("#password", "Enter")]);
}
