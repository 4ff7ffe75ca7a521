import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MastodonCredentialApplication, MastodonToken } from "../../src/api/oauth/entities.ts";
import { createAuthorizationCode, findApplication } from "../../src/domain/oauth.ts";
import { Browser, formFields } from "./oauth-browser.ts";
import { type Api, startApi, type User } from "./support.ts";

let api: Api;
let alice: User;
const REDIRECT = "https://app.example/callback";

interface OAuthErrorBody {
  error: string;
  error_description: string;
}

beforeAll(async () => {
  api = await startApi();
  alice = await api.user("alice");
});

afterAll(async () => {
  await api?.close();
});

async function register(fields: Record<string, unknown> = {}): Promise<MastodonCredentialApplication> {
  const res = await api.request<MastodonCredentialApplication>("POST", "/api/v1/apps", {
    json: { client_name: "Test app", redirect_uris: REDIRECT, scopes: "read write follow push", ...fields },
  });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(app: MastodonCredentialApplication, extra: Record<string, string> = {}): string {
  return `/oauth/authorize?${new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "read write", ...extra })}`;
}

/** Runs the browser part: authorize page, sign-in form, consent; returns the redirect the app receives. */
async function consent(browser: Browser, url: string, login = "alice", decision = "authorize"): Promise<URL> {
  const first = await browser.get(url);
  expect(first.status, first.html).toBe(200);
  let page = first;
  if (first.html.includes('name="password"')) {
    const signedIn = await browser.post("/oauth/authorize", { ...formFields(first.html), username: login, password: "correct horse battery" });
    expect(signedIn.status, signedIn.html).toBe(303);
    page = await browser.get(signedIn.location!);
  }
  expect(page.status).toBe(200);
  expect(page.html).toContain('value="authorize"');
  const done = await browser.post("/oauth/authorize", { ...formFields(page.html), decision });
  expect(done.status, done.html).toBe(302);
  return new URL(done.location!);
}

async function token(form: Record<string, string>) {
  return api.request<MastodonToken & OAuthErrorBody>("POST", "/oauth/token", { form });
}

describe("POST /api/v1/apps", () => {
  it("registers an app from JSON and answers Mastodon's Application entity with its credentials", async () => {
    const res = await api.request<MastodonCredentialApplication>("POST", "/api/v1/apps", {
      json: { client_name: "Elk", redirect_uris: `${REDIRECT}\nhttps://other.example/cb`, scopes: "read write:statuses", website: "https://elk.zone" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "Elk", website: "https://elk.zone", scopes: ["read", "write:statuses"],
      redirect_uri: `${REDIRECT}\nhttps://other.example/cb`, redirect_uris: [REDIRECT, "https://other.example/cb"],
      client_secret_expires_at: 0,
    });
    expect(res.body.id).toMatch(/^\d+$/);
    expect(res.body.client_id.length).toBeGreaterThanOrEqual(32);
    expect(res.body.client_secret.length).toBeGreaterThanOrEqual(32);
    expect(res.body).not.toHaveProperty("vapid_key");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    // Only a digest of the secret is stored.
    const row = await api.running.deps.db.selectFrom("applications").selectAll().where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(res.body.client_secret);
  });

  it("takes a form body with redirect_uris[] and defaults the scope to read", async () => {
    const res = await api.request<MastodonCredentialApplication>("POST", "/api/v1/apps", {
      form: { client_name: "Tusky", "redirect_uris[]": ["oauth2redirect://com.keylesspalace.tusky/", "urn:ietf:wg:oauth:2.0:oob"] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.redirect_uris).toEqual(["oauth2redirect://com.keylesspalace.tusky/", "urn:ietf:wg:oauth:2.0:oob"]);
    expect(res.body.scopes).toEqual(["read"]);
  });

  it("refuses malformed registrations with 422 and an error", async () => {
    const bad: Array<Record<string, unknown>> = [
      { redirect_uris: REDIRECT },
      { client_name: "x" },
      { client_name: "", redirect_uris: REDIRECT },
      { client_name: "x", redirect_uris: "javascript:alert(1)" },
      { client_name: "x", redirect_uris: "data:text/html,hi" },
      { client_name: "x", redirect_uris: "/relative" },
      { client_name: "x", redirect_uris: "https://app.example/cb#frag" },
      { client_name: "x", redirect_uris: REDIRECT, scopes: "read sudo" },
      { client_name: "x", redirect_uris: REDIRECT, scopes: "read:everything" },
      { client_name: "x", redirect_uris: REDIRECT, website: "javascript:alert(1)" },
      { client_name: "x".repeat(201), redirect_uris: REDIRECT },
      { client_name: { a: 1 }, redirect_uris: REDIRECT },
      { client_name: "x", redirect_uris: [1, 2] },
      { client_name: "x\u0000y", redirect_uris: REDIRECT },
    ];
    for (const json of bad) {
      const res = await api.request("POST", "/api/v1/apps", { json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    expect((await api.request("POST", "/api/v1/apps", { body: "{nope", contentType: "application/json" })).status).toBe(400);
    const huge = await api.request("POST", "/api/v1/apps", { json: { client_name: "x", redirect_uris: "y".repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
  });

  it("accepts Mastodon's granular and admin scopes", async () => {
    const app = await register({ scopes: "read:statuses write:media admin:read:accounts profile push follow" });
    expect(app.scopes).toEqual(["read:statuses", "write:media", "admin:read:accounts", "profile", "push", "follow"]);
  });
});

describe("client_credentials and GET /api/v1/apps/verify_credentials", () => {
  it("gives the app its own token, which verifies the app but is no account", async () => {
    const app = await register();
    const res = await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, scope: "read" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", scope: "read" });
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const verified = await api.request("GET", "/api/v1/apps/verify_credentials", { token: res.body.access_token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ id: app.id, name: "Test app", website: null, scopes: app.scopes, redirect_uri: REDIRECT, redirect_uris: [REDIRECT] });
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token })).status).toBe(401);
  });

  it("Basic client authentication works too; a wrong secret is 401 invalid_client", async () => {
    const app = await register();
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const ok = await api.request<MastodonToken>("POST", "/oauth/token", { form: { grant_type: "client_credentials" }, headers: { authorization: `Basic ${basic}` } });
    expect(ok.status, ok.text).toBe(200);
    const wrong = await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("invalid_client");
    const noSecret = await token({ grant_type: "client_credentials", client_id: app.client_id });
    expect(noSecret.body.error).toBe("invalid_client");
    const unknown = await token({ grant_type: "client_credentials", client_id: "nobody", client_secret: "x" });
    expect(unknown.status).toBe(401);
  });

  it("refuses a scope the app did not register", async () => {
    const app = await register({ scopes: "read" });
    const res = await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, scope: "read write" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_scope");
  });

  it("a token without an app, or none, does not verify", async () => {
    expect((await api.request("GET", "/api/v1/apps/verify_credentials", { token: alice.token })).status).toBe(401);
    expect((await api.request("GET", "/api/v1/apps/verify_credentials")).status).toBe(401);
  });
});

describe("POST /oauth/token: malformed requests", () => {
  it("answers OAuth errors, never a 500", async () => {
    const app = await register();
    const auth = { client_id: app.client_id, client_secret: app.client_secret };
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ ...auth }, 400, "invalid_request"],
      [{ ...auth, grant_type: "password", username: "alice", password: "x" }, 400, "unsupported_grant_type"],
      [{ ...auth, grant_type: "authorization_code" }, 400, "invalid_request"],
      [{ ...auth, grant_type: "authorization_code", code: "nope", redirect_uri: REDIRECT }, 400, "invalid_grant"],
      [{ ...auth, grant_type: "authorization_code", code: "x".repeat(5000), redirect_uri: REDIRECT }, 400, "invalid_grant"],
      [{ ...auth, grant_type: "refresh_token" }, 400, "invalid_request"],
      [{ ...auth, grant_type: "refresh_token", refresh_token: "nope" }, 400, "invalid_grant"],
      [{ ...auth, grant_type: "client_credentials", scope: "read\u0000" }, 400, "invalid_request"],
      [{ grant_type: "client_credentials" }, 401, "invalid_client"],
    ];
    for (const [form, status, error] of cases) {
      const res = await token(form);
      expect(res.status, JSON.stringify(form)).toBe(status);
      expect(res.body.error, JSON.stringify(form)).toBe(error);
      expect(typeof res.body.error_description).toBe("string");
    }
    const malformed = await api.request<OAuthErrorBody>("POST", "/oauth/token", { body: "{", contentType: "application/json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe("invalid_request");
    const array = await api.request<OAuthErrorBody>("POST", "/oauth/token", { json: { grant_type: ["a", "b"] } });
    expect(array.body.error).toBe("invalid_request");
    const xml = await api.request<OAuthErrorBody>("POST", "/oauth/token", { body: "<a/>", contentType: "text/xml" });
    expect(xml.body.error).toBe("invalid_request");
    const badBasic = await api.request<OAuthErrorBody>("POST", "/oauth/token", {
      form: { grant_type: "client_credentials" }, headers: { authorization: `Basic ${Buffer.from("%zz:%").toString("base64")}` },
    });
    expect(badBasic.status).toBe(401);
    const huge = await api.request("POST", "/oauth/token", { form: { grant_type: "x".repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
  });
});

describe("the authorization-code flow", () => {
  it("PKCE S256: authorize page, sign in, consent, code, token, and the token works", async () => {
    const app = await register();
    const { verifier, challenge } = pkce();
    const browser = new Browser(api);
    const back = await consent(browser, authorizeUrl(app, { state: "xyz&1", code_challenge: challenge, code_challenge_method: "S256" }));
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("xyz&1");
    const code = back.searchParams.get("code")!;
    expect(code.length).toBeGreaterThanOrEqual(32);

    const res = await token({
      grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier,
      client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.scope).toBe("read write");
    expect(res.body.token_type).toBe("Bearer");
    expect(typeof res.body.created_at).toBe("number");
    const me = await api.request<{ id: string; username: string }>("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe("alice");
    const verified = await api.request<{ name: string }>("GET", "/api/v1/apps/verify_credentials", { token: res.body.access_token });
    expect(verified.body.name).toBe("Test app");

    // The code works once.
    const again = await token({
      grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier,
      client_id: app.client_id, client_secret: app.client_secret,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    // ...and its second use revokes the token the first one gave (RFC 6749 section 4.1.2).
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token })).status).toBe(401);
    // Codes are stored as digests only.
    const rows = await api.running.deps.db.selectFrom("oauth_codes").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it("two exchanges of one code at once: exactly one gets a token", async () => {
    const app = await register();
    const back = await consent(new Browser(api), authorizeUrl(app));
    const form = { grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret };
    const answers = await Promise.all([token(form), token(form), token(form)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
  });

  it("a public client may redeem a PKCE code without its secret; plain PKCE works", async () => {
    const app = await register();
    const verifier = randomBytes(40).toString("base64url");
    const back = await consent(new Browser(api), authorizeUrl(app, { code_challenge: verifier }));
    const res = await token({ grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.client_id });
    expect(res.status, res.text).toBe(200);
  });

  it("without PKCE, the client must authenticate", async () => {
    const app = await register();
    const back = await consent(new Browser(api), authorizeUrl(app));
    const code = back.searchParams.get("code")!;
    const noSecret = await token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: app.client_id });
    expect(noSecret.status).toBe(401);
    expect(noSecret.body.error).toBe("invalid_client");
    const ok = await token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret });
    expect(ok.status, ok.text).toBe(200);
  });

  it("a wrong verifier, redirect_uri or client spends the code and is invalid_grant", async () => {
    const app = await register();
    const other = await register();
    const { verifier, challenge } = pkce();
    const auth = { client_id: app.client_id, client_secret: app.client_secret };
    const codeFor = async () =>
      (await consent(new Browser(api), authorizeUrl(app, { code_challenge: challenge, code_challenge_method: "S256" }))).searchParams.get("code")!;

    const c1 = await codeFor();
    const wrongVerifier = await token({ ...auth, grant_type: "authorization_code", code: c1, redirect_uri: REDIRECT, code_verifier: pkce().verifier });
    expect(wrongVerifier.body.error).toBe("invalid_grant");
    expect((await token({ ...auth, grant_type: "authorization_code", code: c1, redirect_uri: REDIRECT, code_verifier: verifier })).body.error).toBe("invalid_grant");

    const c2 = await codeFor();
    const noVerifier = await token({ ...auth, grant_type: "authorization_code", code: c2, redirect_uri: REDIRECT });
    expect(noVerifier.body.error).toBe("invalid_grant");

    const c3 = await codeFor();
    const wrongRedirect = await token({ ...auth, grant_type: "authorization_code", code: c3, redirect_uri: "https://app.example/callback2", code_verifier: verifier });
    expect(wrongRedirect.body.error).toBe("invalid_grant");

    const c4 = await codeFor();
    const otherClient = await token({ client_id: other.client_id, client_secret: other.client_secret, grant_type: "authorization_code", code: c4, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(otherClient.body.error).toBe("invalid_grant");
  });

  it("a code expires after ten minutes", async () => {
    const app = await register();
    const db = api.running.deps.db;
    const row = (await findApplication(db, app.client_id))!;
    const code = await createAuthorizationCode(db, { app: row, actor: alice.actor, redirectUri: REDIRECT, scopes: ["read"], challenge: undefined },
      new Date(Date.now() - 10 * 60 * 1000 - 1000));
    const res = await token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_grant");
    const fresh = await createAuthorizationCode(db, { app: row, actor: alice.actor, redirectUri: REDIRECT, scopes: ["read"], challenge: undefined },
      new Date(Date.now() - 9 * 60 * 1000));
    expect((await token({ grant_type: "authorization_code", code: fresh, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret })).status).toBe(200);
  });

  it("refresh tokens work once and carry the scopes; revoke makes the token 401", async () => {
    const app = await register();
    const back = await consent(new Browser(api), authorizeUrl(app));
    const auth = { client_id: app.client_id, client_secret: app.client_secret };
    const first = await token({ ...auth, grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT });
    expect(first.body.refresh_token).toBeDefined();
    const refreshed = await token({ ...auth, grant_type: "refresh_token", refresh_token: first.body.refresh_token! });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.scope).toBe("read write");
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: first.body.access_token })).status).toBe(401);
    expect((await token({ ...auth, grant_type: "refresh_token", refresh_token: first.body.refresh_token! })).body.error).toBe("invalid_grant");
    const widened = await token({ ...auth, grant_type: "refresh_token", refresh_token: refreshed.body.refresh_token!, scope: "read write follow" });
    expect(widened.body.error).toBe("invalid_scope");

    const t = refreshed.body.access_token;
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: t })).status).toBe(200);
    // Another client cannot revoke it; unknown tokens are 200 too (RFC 7009).
    const other = await register();
    expect((await api.request("POST", "/oauth/revoke", { form: { client_id: other.client_id, client_secret: other.client_secret, token: t } })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: t })).status).toBe(200);
    expect((await api.request("POST", "/oauth/revoke", { form: { ...auth, token: "unknown-token" } })).status).toBe(200);
    const wrongSecret = await api.request<OAuthErrorBody>("POST", "/oauth/revoke", { form: { client_id: app.client_id, client_secret: "x", token: t } });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe("invalid_client");
    const revoked = await api.request("POST", "/oauth/revoke", { form: { ...auth, token: t } });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({});
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: t })).status).toBe(401);
    expect((await token({ ...auth, grant_type: "refresh_token", refresh_token: refreshed.body.refresh_token! })).body.error).toBe("invalid_grant");
  });
});

describe("scopes of tokens issued through OAuth", () => {
  it("carry exactly the granted scopes, enforced per endpoint", async () => {
    const app = await register({ scopes: "read write" });
    const back = await consent(new Browser(api), authorizeUrl(app, { scope: "read:accounts write:statuses" }));
    const res = await token({ grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret });
    expect(res.body.scope).toBe("read:accounts write:statuses");
    const t = res.body.access_token;
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: t })).status).toBe(200);
    expect((await api.request("POST", "/api/v1/statuses", { token: t, json: { status: "via OAuth" } })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/timelines/home", { token: t })).status).toBe(403);
  });

  it("profile allows verify_credentials only", async () => {
    const app = await register({ scopes: "profile" });
    const back = await consent(new Browser(api), authorizeUrl(app, { scope: "profile" }));
    const res = await token({ grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret });
    expect((await api.request("GET", "/api/v1/accounts/verify_credentials", { token: res.body.access_token })).status).toBe(200);
    expect((await api.request("GET", "/api/v1/timelines/home", { token: res.body.access_token })).status).toBe(403);
  });
});

describe("browser clients (CORS)", () => {
  it("the token endpoint answers a preflight from any origin; the authorize page does not", async () => {
    const headers = { origin: "https://elk.zone", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" };
    const preflight = await api.running.app.request("https://plein.test/oauth/token", { method: "OPTIONS", headers });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    const page = await api.running.app.request("https://plein.test/oauth/authorize", { headers: { origin: "https://elk.zone" } });
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the authorization server metadata", () => {
  it("publishes the endpoints as Mastodon 4.3 does", async () => {
    const res = await api.request<Record<string, unknown>>("GET", "/.well-known/oauth-authorization-server");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: "https://plein.test/",
      authorization_endpoint: "https://plein.test/oauth/authorize",
      token_endpoint: "https://plein.test/oauth/token",
      revocation_endpoint: "https://plein.test/oauth/revoke",
      app_registration_endpoint: "https://plein.test/api/v1/apps",
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
    });
    expect(res.body.grant_types_supported).toEqual(expect.arrayContaining(["authorization_code", "client_credentials", "refresh_token"]));
    expect(res.body.scopes_supported).toEqual(expect.arrayContaining(["read", "write", "follow", "push", "profile", "read:statuses", "admin:write:accounts"]));
  });
});
