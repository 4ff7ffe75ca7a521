/**
 * The OAuth flow over real HTTPS, driven by plain fetch as an app and a
 * browser would: register, authorize page, sign in, consent, code, token,
 * verify_credentials. And the per-address sign-in limit, which needs a socket.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formFields } from "./oauth-browser.ts";
import { closeInstances, startInstances, type TestInstance } from "../support/instances.ts";

let plein: TestInstance;
const REDIRECT = "http://127.0.0.1:1/callback";

beforeAll(async () => {
  const started = await startInstances(1);
  plein = started[0]!;
  await plein.createUser("alice");
});

afterAll(async () => {
  await closeInstances(plein ? [plein] : undefined);
});

class Cookies {
  readonly jar = new Map<string, string>();
  header() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
}

async function browse(cookies: Cookies, url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(new URL(url, plein.origin), {
    method: form ? "POST" : "GET",
    redirect: "manual",
    headers: { cookie: cookies.header(), "accept-language": "en", ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}), ...headers },
    body: form ? new URLSearchParams(form) : undefined,
  });
  cookies.take(res);
  return res;
}

it("an app gets a working token through the authorization-code flow with PKCE", async () => {
  const registered = await fetch(`${plein.origin}/api/v1/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "fetch app", redirect_uris: REDIRECT, scopes: "read write" }),
  });
  expect(registered.status).toBe(200);
  const app = await registered.json() as { client_id: string; client_secret: string };
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const query = new URLSearchParams({
    client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "read write",
    state: "abc", code_challenge: challenge, code_challenge_method: "S256",
  });

  const cookies = new Cookies();
  const signInPage = await browse(cookies, `/oauth/authorize?${query}`);
  expect(signInPage.status).toBe(200);
  const signedIn = await browse(cookies, "/oauth/authorize", {
    ...formFields(await signInPage.text()), username: "alice", password: `password-alice-${plein.number}`,
  });
  expect(signedIn.status).toBe(303);
  const consentPage = await browse(cookies, signedIn.headers.get("location")!);
  expect(consentPage.status).toBe(200);
  const decided = await browse(cookies, "/oauth/authorize", { ...formFields(await consentPage.text()), decision: "authorize" });
  expect(decided.status).toBe(302);
  const back = new URL(decided.headers.get("location")!);
  expect(back.searchParams.get("state")).toBe("abc");

  const tokenRes = await fetch(`${plein.origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "authorization_code", code: back.searchParams.get("code"), redirect_uri: REDIRECT,
      code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret,
    }),
  });
  expect(tokenRes.status).toBe(200);
  const token = await tokenRes.json() as { access_token: string; scope: string };
  expect(token.scope).toBe("read write");
  const me = await fetch(`${plein.origin}/api/v1/accounts/verify_credentials`, { headers: { authorization: `Bearer ${token.access_token}` } });
  expect(me.status).toBe(200);
  expect((await me.json() as { username: string }).username).toBe("alice");
});

it("after 20 failed sign-ins from one address, that address gets a 429 for any account", async () => {
  const registered = await fetch(`${plein.origin}/api/v1/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "x", redirect_uris: REDIRECT }),
  });
  const app = await registered.json() as { client_id: string };
  const cookies = new Cookies();
  const page = await browse(cookies, `/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, response_type: "code" })}`);
  const fields = formFields(await page.text());
  for (let i = 0; i < 20; i++) {
    // A different (unknown) account each time: only the address limit applies.
    const res = await browse(cookies, "/oauth/authorize", { ...fields, username: `nobody${i}`, password: "x" });
    expect(res.status).toBe(401);
  }
  const blocked = await browse(cookies, "/oauth/authorize", { ...fields, username: "alice", password: `password-alice-${plein.number}` });
  expect(blocked.status).toBe(429);
  expect(await blocked.text()).toContain("Too many failed attempts");
  // Behind a proxy on loopback, each client (as the proxy names it, last in X-Forwarded-For) has its own count.
  const proxied = await browse(cookies, "/oauth/authorize", { ...fields, username: "alice", password: `password-alice-${plein.number}` },
    { "x-forwarded-for": "203.0.113.9, 198.51.100.7" });
  expect(proxied.status).toBe(303);
  for (let i = 0; i < 20; i++) {
    await browse(cookies, "/oauth/authorize", { ...fields, username: `other${i}`, password: "x" }, { "x-forwarded-for": `203.0.113.${i}, 198.51.100.8` });
  }
  const sameClient = await browse(cookies, "/oauth/authorize", { ...fields, username: "alice", password: `password-alice-${plein.number}` },
    { "x-forwarded-for": "198.51.100.8" });
  expect(sameClient.status).toBe(429);
});
