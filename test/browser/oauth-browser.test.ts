/**
 * The OAuth authorization-code flow in a real browser: Debian's Chromium,
 * driven by playwright-core, against a real HTTPS instance. The app's
 * redirect URI is a loopback HTTP server of the test's own, so the code
 * arrives the way it reaches a real app; Chromium also enforces the pages'
 * CSP (form-action on the redirect after consent), which fetch does not.
 */
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeInstances, startInstances, type TestInstance, TLS } from "../support/instances.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Skipping the browser tests: ${CHROMIUM} is missing (Debian: apt-get install chromium).`);

/**
 * Chromium on Linux trusts its own NSS store, not NODE_EXTRA_CA_CERTS. Instead
 * of ignoring every certificate error, it is told to accept exactly the test
 * server's key (the SHA-256 of its SubjectPublicKeyInfo).
 */
function testServerSpki(): string {
  const cert = new X509Certificate(readFileSync(TLS.cert));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/** The app's redirect URI: a loopback HTTP server that hands each request to /callback to the test. */
class Callback {
  readonly server: Server;
  private readonly waiting: ((url: URL) => void)[] = [];
  private readonly received: URL[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", this.uri);
      if (url.pathname !== "/callback") {
        res.writeHead(404).end(); // e.g. the browser's /favicon.ico
        return;
      }
      const waiter = this.waiting.shift();
      if (waiter) waiter(url);
      else this.received.push(url);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!DOCTYPE html><title>Back in the app</title><p>Done.</p>");
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }
  get uri(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
  }
  next(): Promise<URL> {
    const ready = this.received.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const TEXT = {
  en: { login: "User name or e-mail address", password: "Password", signIn: "Sign in", authorise: "Authorise", deny: "Deny" },
  nl: { login: "Gebruikersnaam of e-mailadres", password: "Wachtwoord", signIn: "Inloggen", authorise: "Toegang geven", deny: "Weigeren" },
} as const;
type Lang = keyof typeof TEXT;

describe.skipIf(!hasChromium)("the OAuth flow in Chromium", () => {
  let plein: TestInstance;
  let browser: Browser;
  const callback = new Callback();
  let app: { client_id: string; client_secret: string };

  beforeAll(async () => {
    [plein] = await startInstances(1) as [TestInstance];
    await plein.createUser("alice");
    await callback.listen();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        `--ignore-certificate-errors-spki-list=${testServerSpki()}`],
    });
    const registered = await fetch(`${plein.origin}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "Browser test app", redirect_uris: callback.uri, scopes: "read write" }),
    });
    expect(registered.status).toBe(200);
    app = await registered.json() as typeof app;
  });

  afterAll(async () => {
    await browser?.close();
    await callback.close();
    await closeInstances(plein ? [plein] : undefined);
  });

  /** A fresh browser profile (no cookies) in `lang`, at the authorize page for a new PKCE challenge. */
  async function openAuthorize(lang: Lang, state: string): Promise<{ context: BrowserContext; page: Page; verifier: string }> {
    const context = await browser.newContext({ locale: lang === "nl" ? "nl-NL" : "en-GB" });
    const page = await context.newPage();
    const verifier = randomBytes(32).toString("base64url");
    const query = new URLSearchParams({
      client_id: app.client_id, redirect_uri: callback.uri, response_type: "code", scope: "read write", state,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256",
    });
    const response = await page.goto(`${plein.origin}/oauth/authorize?${query}`);
    expect(response?.status()).toBe(200);
    return { context, page, verifier };
  }

  async function exchange(code: string, verifier: string): Promise<string> {
    const res = await fetch(`${plein.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code, redirect_uri: callback.uri, code_verifier: verifier,
        client_id: app.client_id, client_secret: app.client_secret,
      }),
    });
    expect(res.status).toBe(200);
    const token = await res.json() as { access_token: string; scope: string };
    expect(token.scope).toBe("read write");
    return token.access_token;
  }

  async function expectWorkingToken(token: string): Promise<void> {
    const me = await fetch(`${plein.origin}/api/v1/accounts/verify_credentials`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect((await me.json() as { username: string }).username).toBe("alice");
  }

  for (const lang of ["nl", "en"] as const) {
    it(`signs in and consents by label and button name (${lang}); the app gets a working token`, async () => {
      const t = TEXT[lang];
      const { context, page, verifier } = await openAuthorize(lang, `state-${lang}`);
      try {
        await page.getByLabel(t.login).fill("alice");
        await page.getByLabel(t.password).fill(`password-alice-${plein.number}`);
        await page.getByRole("button", { name: t.signIn }).click();
        await page.getByRole("button", { name: t.authorise, exact: true }).click();
        const back = await callback.next();
        expect(back.searchParams.get("state")).toBe(`state-${lang}`);
        expect(back.searchParams.get("error")).toBeNull();
        await page.waitForURL((url) => url.href.startsWith(callback.uri));
        await expectWorkingToken(await exchange(back.searchParams.get("code")!, verifier));
      } finally {
        await context.close();
      }
    });
  }

  it("works with the keyboard only: type, Tab, Enter", async () => {
    const { context, page, verifier } = await openAuthorize("en", "keyboard");
    try {
      // The login field has autofocus (applied at the next rendering, which may come after the load event).
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("username");
      await page.keyboard.type("alice");
      await page.keyboard.press("Tab");
      await page.keyboard.type(`password-alice-${plein.number}`);
      await page.keyboard.press("Enter");
      await page.getByRole("button", { name: TEXT.en.authorise, exact: true }).waitFor();
      // On the consent page the first Tab reaches Authorise.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(TEXT.en.authorise);
      await page.keyboard.press("Enter");
      const back = await callback.next();
      expect(back.searchParams.get("state")).toBe("keyboard");
      await expectWorkingToken(await exchange(back.searchParams.get("code")!, verifier));
    } finally {
      await context.close();
    }
  });

  it("Deny sends the person back to the app with error=access_denied and no code", async () => {
    const t = TEXT.nl;
    const { context, page } = await openAuthorize("nl", "deny");
    try {
      await page.getByLabel(t.login).fill("alice");
      await page.getByLabel(t.password).fill(`password-alice-${plein.number}`);
      await page.getByRole("button", { name: t.signIn }).click();
      await page.getByRole("button", { name: t.deny }).click();
      const back = await callback.next();
      expect(back.searchParams.get("error")).toBe("access_denied");
      expect(back.searchParams.get("state")).toBe("deny");
      expect(back.searchParams.get("code")).toBeNull();
    } finally {
      await context.close();
    }
  });
});
