/**
 * masto.js (the client library Elk and Phanpy use) as a real client of two
 * real instances: app registration, the authorization-code flow with PKCE,
 * then posting, timelines, favourites, boosts, replies, a remote follow found
 * by search, its post arriving through masto's streaming client,
 * notifications, and pagination by Link headers through masto's paginator.
 * The sign-in and consent pages are driven by plain fetch, as a browser would
 * post their forms (test/browser/ drives them in Chromium).
 */
import { createHash, randomBytes } from "node:crypto";
import sharp from "sharp";
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { formFields } from "./oauth-browser.ts";
import { expectMastoShape } from "../support/masto-shapes.ts";
import { closeInstances, settle, startInstances, type TestInstance, type TestUser, waitFor } from "../support/instances.ts";

const REDIRECT = "http://127.0.0.1:1/callback";
const SCOPES = "read write follow";

let a: TestInstance;
let b: TestInstance;
let bob: TestUser;
let carol: TestUser;
let masto: mastodon.rest.Client;
let me: mastodon.v1.CredentialAccount;
let accessToken: string;

beforeAll(async () => {
  [a, b] = await startInstances(2) as [TestInstance, TestInstance];
  await a.createUser("alice");
  carol = await a.createUser("carol");
  bob = await b.createUser("bob");
});

afterAll(async () => {
  await closeInstances(a && b ? [a, b] : undefined);
});

/** Cookies of one browser, for the sign-in and consent forms. */
class Cookies {
  readonly jar = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  async browse(url: string, form?: Record<string, string>): Promise<Response> {
    const res = await fetch(new URL(url, a.origin), {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "),
        "accept-language": "en",
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form) : undefined,
    });
    this.take(res);
    return res;
  }
}

/** What the person does in the browser: sign in as alice, authorise; returns the code sent to the redirect URI. */
async function authorizeInBrowser(authorizeUrl: string, state: string): Promise<string> {
  const cookies = new Cookies();
  const signInPage = await cookies.browse(authorizeUrl);
  expect(signInPage.status).toBe(200);
  const signedIn = await cookies.browse("/oauth/authorize", {
    ...formFields(await signInPage.text()), username: "alice", password: `password-alice-${a.number}`,
  });
  expect(signedIn.status).toBe(303);
  const consentPage = await cookies.browse(signedIn.headers.get("location")!);
  const decided = await cookies.browse("/oauth/authorize", { ...formFields(await consentPage.text()), decision: "authorize" });
  expect(decided.status).toBe(302);
  const back = new URL(decided.headers.get("location")!);
  expect(back.searchParams.get("state")).toBe(state);
  return back.searchParams.get("code")!;
}

/** The next event on `subscription` that `match` accepts. */
async function nextEvent(subscription: mastodon.streaming.Subscription, match: (e: mastodon.streaming.Event) => boolean): Promise<mastodon.streaming.Event> {
  for await (const event of subscription) if (match(event)) return event;
  throw new Error("the stream ended");
}

it("registers an app and gets a token through the authorization-code flow with PKCE", async () => {
  const anonymous = createRestAPIClient({ url: a.origin });
  const app = await anonymous.v1.apps.create({ clientName: "masto.js test", redirectUris: REDIRECT, scopes: SCOPES });
  expect(app.name).toBe("masto.js test");
  expect(app.clientId).toBeTruthy();
  expect(app.clientSecret).toBeTruthy();
  expectMastoShape("v1.Client", app);

  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    client_id: app.clientId!, redirect_uri: REDIRECT, response_type: "code", scope: SCOPES, state: "masto",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256",
  });
  const code = await authorizeInBrowser(`/oauth/authorize?${query}`, "masto");

  // masto's token params have no code_verifier; it sends every param it is given, snake_cased.
  const params: mastodon.oauth.CreateTokenWithAuthorizationCodeParams & { codeVerifier: string } = {
    grantType: "authorization_code", code, clientId: app.clientId!, clientSecret: app.clientSecret!,
    redirectUri: REDIRECT, scope: SCOPES, codeVerifier: verifier,
  };
  const token = await createOAuthAPIClient({ url: a.origin }).token.create(params);
  expect(token.tokenType).toBe("Bearer");
  expect(token.scope).toBe(SCOPES);
  expectMastoShape("v1.Token", token);
  accessToken = token.accessToken;
  masto = createRestAPIClient({ url: a.origin, accessToken });

  me = await masto.v1.accounts.verifyCredentials();
  expect(me.username).toBe("alice");
  expect(me.acct).toBe("alice");
  expectMastoShape("v1.CredentialAccount", me);
  // masto also declares `role` inside `source`; Mastodon sends it on the account only (as Plein does).
  expectMastoShape("v1.AccountSource", me.source, ["role"]);
});

it("posts, reads the home timeline, favourites, boosts and replies", async () => {
  const status = await masto.v1.statuses.create({ status: "Hallo vanuit masto.js", visibility: "public" });
  expect(status.account.id).toBe(me.id);
  expect(status.content).toContain("Hallo vanuit masto.js");
  expectMastoShape("v1.Status", status);
  expectMastoShape("v1.Account", status.account);

  const home = await masto.v1.timelines.home.list({ limit: 20 });
  expect(home.map((s) => s.id)).toContain(status.id);

  const favourited = await masto.v1.statuses.$select(status.id).favourite();
  expect(favourited.favourited).toBe(true);
  expect(favourited.favouritesCount).toBe(1);

  const boost = await masto.v1.statuses.$select(status.id).reblog();
  expect(boost.reblog?.id).toBe(status.id);
  expect(boost.reblog?.reblogged).toBe(true);

  const reply = await masto.v1.statuses.create({ status: "En een antwoord", inReplyToId: status.id });
  expect(reply.inReplyToId).toBe(status.id);
  expect(reply.inReplyToAccountId).toBe(me.id);
  const context = await masto.v1.statuses.$select(status.id).context.fetch();
  expect(context.descendants.map((s) => s.id)).toContain(reply.id);
  expectMastoShape("v1.Context", context);
});

it("follows a remote account found by search and receives its post through masto's streaming client", async () => {
  const found = await masto.v2.search.list({ q: `@${bob.handle}`, resolve: true, type: "accounts" });
  const remote = found.accounts.find((account) => account.acct === bob.handle);
  expect(remote, JSON.stringify(found.accounts.map((x) => x.acct))).toBeDefined();
  expectMastoShape("v2.Search", found);
  expectMastoShape("v1.Account", remote);

  const relationship = await masto.v1.accounts.$select(remote!.id).follow();
  expect(relationship.id).toBe(remote!.id);
  expectMastoShape("v1.Relationship", relationship);
  await settle([a, b]);
  await waitFor(async () => (await masto.v1.accounts.relationships.fetch({ id: [remote!.id] }))[0]?.following === true,
    { message: "the follow to be accepted" });

  const instance = await masto.v2.instance.fetch();
  expectMastoShape("v2.Instance", instance);
  const streaming = createStreamingAPIClient({ streamingApiUrl: instance.configuration.urls.streaming, accessToken, retry: false });
  try {
    const subscription = streaming.user.subscribe();
    await streaming.prepare();
    const posted = await bob.api.post<{ content: string }>("/api/v1/statuses", { status: "Nieuws van bob", visibility: "public" });
    expect(posted.status).toBe(200);
    const event = await nextEvent(subscription, (e) => e.event === "update" && e.payload.account.acct === bob.handle);
    expect(event.event).toBe("update");
    if (event.event === "update") {
      expect(event.payload.content).toContain("Nieuws van bob");
      expectMastoShape("v1.Status", event.payload);
    }
    subscription.unsubscribe();
  } finally {
    streaming.close();
  }
});

it("reads notifications", async () => {
  const status = await masto.v1.statuses.create({ status: "Wie vindt dit leuk?" });
  const liked = await carol.api.post(`/api/v1/statuses/${status.id}/favourite`);
  expect(liked.status).toBe(200);
  const mention = await bob.api.post("/api/v1/statuses", { status: `@alice@${a.host} hallo`, visibility: "public" });
  expect(mention.status).toBe(200);
  await settle([a, b]);

  const notifications = await masto.v1.notifications.list({ limit: 30 });
  const favourite = notifications.find((n) => n.type === "favourite" && n.status?.id === status.id);
  expect(favourite?.account.acct).toBe("carol");
  const mentioned = notifications.find((n) => n.type === "mention" && n.account.acct === bob.handle);
  expect(mentioned?.status?.content).toContain("hallo");
  const one = await masto.v1.notifications.$select(favourite!.id).fetch();
  expect(one.id).toBe(favourite!.id);
  expectMastoShape("v1.BaseNotification", favourite);
  expectMastoShape("v1.BaseNotification", mentioned);
});

it("pages through an account's statuses by Link headers with masto's paginator", async () => {
  const own = await masto.v1.accounts.$select(me.id).statuses.list({ limit: 100 });
  const posted: string[] = [];
  for (let i = 0; i < 5; i++) posted.push((await masto.v1.statuses.create({ status: `Bericht ${i}` })).id);

  const pages: string[][] = [];
  for await (const page of masto.v1.accounts.$select(me.id).statuses.list({ limit: 2 })) {
    pages.push(page.map((s) => s.id));
    if (pages.length > 20) break;
  }
  // As on Mastodon, a page that is not empty links to the next one, so the paginator may end on an empty page.
  if (pages.at(-1)?.length === 0) pages.pop();
  const total = own.length + posted.length;
  expect(pages.map((p) => p.length)).toEqual([...Array<number>(Math.floor(total / 2)).fill(2), ...(total % 2 ? [1] : [])]);
  const seen = pages.flat();
  expect(new Set(seen).size).toBe(total);
  expect(seen.slice(0, 5)).toEqual([...posted].reverse());

  // And backwards from the oldest: prev links.
  const oldest = seen.at(-1)!;
  const newer = await masto.v1.accounts.$select(me.id).statuses.list({ limit: 2, minId: oldest });
  expect(newer.length).toBe(2);
  expect(newer.map((s) => s.id)).not.toContain(oldest);
});

it("uploads an image with masto's media client, describes it, and posts a status of it alone", async () => {
  const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: "#204060" } }).png().toBuffer();
  const media = await masto.v2.media.create({ file: new Blob([new Uint8Array(png)], { type: "image/png" }), description: "Plattegrond", focus: "0.2,-0.4" });
  expectMastoShape("v1.MediaAttachment", media);
  expect(media).toMatchObject({ type: "image", description: "Plattegrond", meta: { original: { width: 320, height: 200 }, focus: { x: 0.2, y: -0.4 } } });
  const described = await masto.v1.media.$select(media.id).update({ description: "De plattegrond" });
  expect(described.description).toBe("De plattegrond");
  const status = await masto.v1.statuses.create({ status: "", mediaIds: [media.id], visibility: "public" });
  expectMastoShape("v1.Status", status);
  expect(status.mediaAttachments.map((m) => [m.id, m.description, m.blurhash])).toEqual([[media.id, "De plattegrond", media.blurhash]]);
  expectMastoShape("v1.MediaAttachment", status.mediaAttachments[0]);
});
