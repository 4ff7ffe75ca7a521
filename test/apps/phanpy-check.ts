/**
 * Plein checked by hand with Phanpy (a Mastodon web client on masto.js) in
 * Debian's Chromium. Not part of the CI suite: Phanpy is not a dependency of
 * Plein and nothing of it is committed. To run:
 *
 *   (get Phanpy's source into /tmp/phanpy; there: npm ci --ignore-scripts,
 *    node scripts/generate-icons.js, npm run build)
 *   NODE_EXTRA_CA_CERTS=test/tls/ca.pem node_modules/.bin/node test/apps/phanpy-check.ts [/tmp/phanpy/dist]
 *
 * It serves Phanpy's build on a loopback port, starts one HTTPS test instance,
 * signs in through Phanpy's OAuth popup (PKCE), waits for the home timeline
 * to show a post, posts a status from Phanpy's composer, and prints every
 * request to Plein that failed and every error on Phanpy's console. Exit code
 * 0 when the three steps worked; screenshots go to test/.tmp/phanpy-*.png.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { chromium, type Page } from "playwright-core";
import { closeInstances, startInstances, type TestInstance, TLS } from "../support/instances.ts";

const DIST = process.argv[2] ?? "/tmp/phanpy/dist";
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(import.meta.dirname, "..", ".tmp");
const STEP_TIMEOUT_MS = 30_000;

if (!existsSync(join(DIST, "index.html"))) {
  console.error(`No Phanpy build at ${DIST} (see the comment at the top of this file).`);
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
  ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
  ".ico": "image/x-icon", ".woff2": "font/woff2", ".map": "application/json", ".txt": "text/plain",
};

/** Phanpy's static build on 127.0.0.1 (a loopback origin is a secure context, as PKCE needs). */
async function servePhanpy() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(DIST, path);
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function testServerSpki(): string {
  const spki = new X509Certificate(readFileSync(TLS.cert)).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

const results: Array<{ step: string; ok: boolean; detail?: string }> = [];
async function step(name: string, page: Page, run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    results.push({ step: name, ok: true });
    return true;
  } catch (error) {
    results.push({ step: name, ok: false, detail: error instanceof Error ? error.message.split("\n")[0] : String(error) });
    return false;
  } finally {
    await page.screenshot({ path: join(SHOTS, `phanpy-${results.length}.png`) }).catch(() => undefined);
  }
}

const phanpy = await servePhanpy();
let plein: TestInstance | undefined;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", `--ignore-certificate-errors-spki-list=${testServerSpki()}`],
});
const failures: string[] = [];
const consoleErrors: string[] = [];
try {
  [plein] = await startInstances(1) as [TestInstance];
  const instance = plein;
  const alice = await instance.createUser("alice");
  const bob = await instance.createUser("bob");
  await bob.api.post(`/api/v1/accounts/${alice.actor.id}/follow`);
  await alice.api.post(`/api/v1/accounts/${bob.actor.id}/follow`);
  const seeded = await bob.api.post<{ id: string }>("/api/v1/statuses", { status: "Goedemorgen vanuit Plein, #koffie" });
  if (seeded.status !== 200) throw new Error(`seeding a post: ${seeded.status} ${seeded.text}`);

  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1200, height: 900 } });
  context.on("response", (res) => {
    if (res.url().startsWith(instance.origin) && res.status() >= 400) {
      failures.push(`${res.request().method()} ${res.url().slice(instance.origin.length)} → ${res.status()}`);
    }
  });
  context.on("requestfailed", (req) => {
    if (req.url().startsWith(instance.origin)) failures.push(`${req.method()} ${req.url().slice(instance.origin.length)} failed: ${req.failure()?.errorText}`);
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error" || process.env.PHANPY_CONSOLE) consoleErrors.push(`${msg.type()}: ${msg.text().slice(0, 300)}`);
  });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  const signedIn = await step("sign in through OAuth (Phanpy's popup, PKCE)", page, async () => {
    await page.goto(`${phanpy.origin}/#/login`);
    await page.locator("#instanceURL").fill(instance.host);
    const popupOpened = context.waitForEvent("page");
    await page.getByRole("button", { name: `Continue with ${instance.host}` }).click();
    const popup = await popupOpened;
    popup.setDefaultTimeout(STEP_TIMEOUT_MS);
    await popup.getByLabel("User name or e-mail address").fill("alice");
    await popup.getByLabel("Password").fill(`password-alice-${instance.number}`); // instances.ts createUser
    await popup.getByRole("button", { name: "Sign in" }).click();
    await popup.getByRole("button", { name: "Authorise" }).click();
    await page.waitForURL(/#\/($|\?)/, { timeout: STEP_TIMEOUT_MS }).catch(() => undefined);
  });

  if (signedIn) {
    await step("the home timeline shows a followed account's post", page, async () => {
      await page.getByText("Goedemorgen vanuit Plein").first().waitFor();
    });
    await step("post a status from Phanpy's composer", page, async () => {
      await page.locator("#compose-button").click();
      const text = page.getByPlaceholder("What are you doing?");
      await text.waitFor();
      await text.fill("Gepost met Phanpy");
      await page.locator("#compose-container form button[type=submit]").click();
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      for (;;) {
        const mine = await alice.api.get<Array<{ content: string }>>(`/api/v1/accounts/${alice.actor.id}/statuses`);
        if (mine.body.some((s) => s.content.includes("Gepost met Phanpy"))) break;
        if (Date.now() > deadline) throw new Error("the status never reached Plein");
        await page.waitForTimeout(250);
      }
    });
    await step("the new status shows on the home timeline after a reload", page, async () => {
      await page.goto(`${phanpy.origin}/#/`);
      await page.reload();
      await page.getByText("Gepost met Phanpy").first().waitFor();
    });
    await step("open the notifications page", page, async () => {
      await page.goto(`${phanpy.origin}/#/notifications`);
      await page.getByText("followed you").first().waitFor();
    });
  }
} finally {
  await browser.close();
  phanpy.server.close();
  await closeInstances(plein ? [plein] : undefined);
}

for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.step}${r.detail ? `: ${r.detail}` : ""}`);
console.log(`\nRequests to Plein that failed (${failures.length}):`);
for (const f of [...new Set(failures)]) console.log(`  ${f}`);
console.log(`\nErrors on Phanpy's console (${consoleErrors.length}):`);
for (const e of [...new Set(consoleErrors)].slice(0, 40)) console.log(`  ${e}`);
process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
