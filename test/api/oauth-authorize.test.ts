import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonCredentialApplication } from "../../src/api/oauth/entities.ts";
import { Browser, formFields } from "./oauth-browser.ts";
import { type Api, startApi } from "./support.ts";

let api: Api;
let app: MastodonCredentialApplication;
const REDIRECT = "https://app.example/callback";
const OOB = "urn:ietf:wg:oauth:2.0:oob";

beforeAll(async () => {
  api = await startApi();
  await api.user("alice");
  await api.user("bob");
  await api.user("carol");
  const res = await api.request<MastodonCredentialApplication>("POST", "/api/v1/apps", {
    json: { client_name: `<script>alert("x")</script> & Co`, redirect_uris: [REDIRECT, OOB, "com.example.app:/cb"], scopes: "read write" },
  });
  app = res.body;
});

afterAll(async () => {
  await api?.close();
});

const url = (extra: Record<string, string> = {}) =>
  `/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "read", ...extra })}`;

async function signIn(browser: Browser, login = "alice", extra: Record<string, string> = {}) {
  const form = await browser.get(url(extra));
  const res = await browser.post("/oauth/authorize", { ...formFields(form.html), username: login, password: "correct horse battery" });
  expect(res.status, res.html).toBe(303);
  return browser.get(res.location!);
}

describe("the sign-in page", () => {
  it("has labelled fields, escapes the app's name, and speaks English or Dutch by Accept-Language", async () => {
    const en = await new Browser(api, "en-GB,en;q=0.9").get(url());
    expect(en.status).toBe(200);
    expect(en.headers.get("content-type")).toMatch(/text\/html/);
    expect(en.html).toContain('<html lang="en">');
    expect(en.html).toContain('<label for="username">User name or e-mail address</label>');
    expect(en.html).toContain('<label for="password">Password</label>');
    expect(en.html).toMatch(/<input type="text" id="username" name="username"[^>]*autocomplete="username"/);
    expect(en.html).toMatch(/<input type="password" id="password" name="password"[^>]*autocomplete="current-password"/);
    expect(en.html).not.toContain("<script>");
    expect(en.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co");
    expect(en.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const nl = await new Browser(api, "fr;q=1, nl;q=0.8, en;q=0.5").get(url());
    expect(nl.html).toContain('<html lang="nl">');
    expect(nl.html).toContain("Gebruikersnaam of e-mailadres");
    expect((await new Browser(api, "nl").get(url({ lang: "en" }))).html).toContain('<html lang="en">');
  });

  it("sets HttpOnly, SameSite=Lax, Secure cookies scoped to /oauth", async () => {
    const browser = new Browser(api);
    await signIn(browser);
    expect(browser.setCookieHeaders.length).toBeGreaterThanOrEqual(2);
    for (const line of browser.setCookieHeaders) {
      expect(line).toMatch(/HttpOnly/);
      expect(line).toMatch(/SameSite=Lax/);
      expect(line).toMatch(/Secure/);
      expect(line).toMatch(/Path=\/oauth/);
    }
    const sessions = await api.running.deps.db.selectFrom("web_sessions").selectAll().execute();
    expect(JSON.stringify(sessions)).not.toContain(browser.cookies.get("plein_session"));
  });

  it("signs in by e-mail address too", async () => {
    const consent = await signIn(new Browser(api), "Bob@Mail.Example");
    expect(consent.html).toContain("@bob@plein.test");
  });

  it("a wrong password shows the form again with an alert; repeated failures get a 429", async () => {
    const browser = new Browser(api);
    const form = await browser.get(url());
    for (let i = 0; i < 5; i++) {
      const res = await browser.post("/oauth/authorize", { ...formFields(form.html), username: "carol", password: "wrong" });
      expect(res.status).toBe(401);
      expect(res.html).toContain('role="alert"');
      expect(res.html).toContain('aria-describedby="form-error"');
      expect(browser.cookies.has("plein_session")).toBe(false);
    }
    const blocked = await browser.post("/oauth/authorize", { ...formFields(form.html), username: "CAROL", password: "correct horse battery" });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(browser.cookies.has("plein_session")).toBe(false);
    // Another account from elsewhere is not held up.
    await signIn(new Browser(api), "bob");
  });

  it("refuses a form without the browser's CSRF token", async () => {
    const browser = new Browser(api);
    const form = await browser.get(url());
    const fields = { ...formFields(form.html), username: "bob", password: "correct horse battery" };
    const forged = await browser.post("/oauth/authorize", { ...fields, csrf_token: "a".repeat(43) });
    expect(forged.status).toBe(403);
    const stranger = new Browser(api);
    expect((await stranger.post("/oauth/authorize", fields)).status).toBe(403);
    expect(stranger.cookies.has("plein_session")).toBe(false);
    // Consent needs it too.
    const signedIn = new Browser(api);
    const consent = await signIn(signedIn, "bob");
    const { csrf_token: _dropped, ...noToken } = formFields(consent.html);
    expect((await signedIn.post("/oauth/authorize", { ...noToken, decision: "authorize" })).status).toBe(403);
  });
});

describe("the consent page", () => {
  it("names the app and the scopes in plain words, with Authorise and Deny buttons", async () => {
    const browser = new Browser(api);
    const consent = await signIn(browser, "alice", { scope: "read write" });
    expect(consent.html).toContain("read your data");
    expect(consent.html).toContain("post and change data on your behalf");
    expect(consent.html).toContain('<button type="submit" name="decision" value="authorize">Authorise</button>');
    expect(consent.html).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
    expect(consent.headers.get("content-security-policy")).toContain("form-action 'self' https://app.example");
  });

  it("deny sends access_denied with the state", async () => {
    const browser = new Browser(api);
    const consent = await signIn(browser, "alice", { state: "s1" });
    const res = await browser.post("/oauth/authorize", { ...formFields(consent.html), decision: "deny" });
    expect(res.status).toBe(302);
    const back = new URL(res.location!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("s1");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("a custom-scheme redirect URI gets the code", async () => {
    const browser = new Browser(api);
    const consent = await signIn(browser, "alice", { redirect_uri: "com.example.app:/cb" });
    expect(consent.headers.get("content-security-policy")).toContain("form-action 'self' com.example.app:");
    const res = await browser.post("/oauth/authorize", { ...formFields(consent.html), decision: "authorize" });
    expect(res.location).toMatch(/^com\.example\.app:\/cb\?code=/);
  });

  it("the out-of-band redirect shows the code on a page, which the app exchanges", async () => {
    const browser = new Browser(api, "nl");
    const consent = await signIn(browser, "alice", { redirect_uri: OOB });
    const res = await browser.post("/oauth/authorize", { ...formFields(consent.html), decision: "authorize" });
    expect(res.status).toBe(200);
    expect(res.html).toContain("Autorisatiecode");
    const shown = /<input type="text" id="code" readonly value="([^"]+)"/.exec(res.html)![1]!;
    expect(res.html).toContain(`<code>${shown}</code>`);
    const token = await api.request<{ access_token: string }>("POST", "/oauth/token", {
      form: { grant_type: "authorization_code", code: shown, redirect_uri: OOB, client_id: app.client_id, client_secret: app.client_secret },
    });
    expect(token.status, token.text).toBe(200);
  });

  it("a decision without a session shows the sign-in form", async () => {
    const browser = new Browser(api);
    const form = await browser.get(url());
    const res = await browser.post("/oauth/authorize", { ...formFields(form.html), decision: "authorize" });
    expect(res.status).toBe(401);
    expect(res.html).toContain('name="password"');
  });
});

describe("bad authorization requests", () => {
  it("an unknown client or a redirect URI that was not registered is an error page, never a redirect", async () => {
    const browser = new Browser(api);
    for (const path of [
      url({ client_id: "nobody" }),
      url({ redirect_uri: "https://evil.example/callback" }),
      url({ redirect_uri: `${REDIRECT}/` }),
      url({ redirect_uri: `${REDIRECT}?x=1` }),
      `/oauth/authorize?response_type=code`,
      `/oauth/authorize?client_id=${app.client_id}`,
    ]) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(400);
      expect(res.location, path).toBeNull();
      expect(res.html).toContain('role="alert"');
    }
  });

  it("other errors go back to the app in OAuth shape", async () => {
    const browser = new Browser(api);
    const cases: Array<[Record<string, string>, string]> = [
      [{ scope: "read write follow" }, "invalid_scope"],
      [{ scope: "admin:read" }, "invalid_scope"],
      [{ scope: "sudo" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ code_challenge: "short" }, "invalid_request"],
      [{ code_challenge: "a".repeat(43), code_challenge_method: "S512" }, "invalid_request"],
      [{ state: "s".repeat(1001) }, "invalid_request"],
    ];
    for (const [extra, error] of cases) {
      const res = await browser.get(url({ state: "st", ...extra }));
      expect(res.status, JSON.stringify(extra)).toBe(302);
      const back = new URL(res.location!);
      expect(back.origin + back.pathname).toBe(REDIRECT);
      expect(back.searchParams.get("error"), JSON.stringify(extra)).toBe(error);
    }
  });

  it("NUL bytes and bodies of other types are 4xx pages", async () => {
    const browser = new Browser(api);
    expect((await browser.get(`${url()}&state=%00`)).status).toBe(400);
    const form = await browser.get(url());
    expect((await browser.post("/oauth/authorize", { ...formFields(form.html), username: "a\u0000", password: "x" })).status).toBe(400);
    const xml = await browser.request("POST", "/oauth/authorize", undefined, { "content-type": "text/xml" });
    expect(xml.status).toBeGreaterThanOrEqual(400);
  });
});
