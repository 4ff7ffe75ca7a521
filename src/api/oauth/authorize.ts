import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Application } from "../../db/schema.ts";
import { DomainError } from "../../domain/errors.ts";
import {
  type Challenge, createAuthorizationCode, findApplication, OAuthError, OOB_REDIRECT, parseChallenge,
  requestedRedirectUri, requestedScopes,
} from "../../domain/oauth.ts";
import { checkPassword } from "../../domain/sessions.ts";
import type { ApiEnv } from "../mastodon/auth.ts";
import { type Params, readParams } from "../mastodon/params.ts";
import { clientAddress } from "../../http/client-address.ts";
import { csrfMatches, csrfToken, signedInActor, signIn } from "./browser-session.ts";
import { codePage, consentPage, errorPage, type Hidden, pageCsp, signInPage } from "./pages.ts";
import { SignInThrottle } from "./throttle.ts";
import { type Lang, pickLanguage, TEXTS } from "./texts.ts";

type PageContext = Context<ApiEnv>;

const MAX_STATE = 1000;

interface AuthorizationRequest {
  app: Application;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  challenge: Challenge | undefined;
}

type Checked =
  | { kind: "ok"; request: AuthorizationRequest }
  /** the client or redirect URI is wrong: tell the person, never redirect */
  | { kind: "page"; message: string }
  /** anything else: tell the app, at its redirect URI */
  | { kind: "redirect"; redirectUri: string; state: string | undefined; error: OAuthError };

function text(params: Params, name: string): string | undefined {
  const v = params[name];
  return typeof v === "string" ? v : undefined;
}

async function checkRequest(c: PageContext, params: Params): Promise<Checked> {
  const clientId = text(params, "client_id");
  const app = clientId ? await findApplication(c.get("deps").db, clientId) : undefined;
  if (!app) return { kind: "page", message: "Unknown client_id: the application is not registered here." };
  let redirectUri: string;
  try {
    redirectUri = requestedRedirectUri(app, text(params, "redirect_uri"));
  } catch (err) {
    if (err instanceof OAuthError) return { kind: "page", message: err.message };
    throw err;
  }
  const state = text(params, "state");
  try {
    if (state !== undefined && state.length > MAX_STATE) throw new OAuthError("invalid_request", "state is too long");
    if (text(params, "response_type") !== "code") {
      throw new OAuthError("unsupported_response_type", "response_type must be code");
    }
    const scopes = requestedScopes(app, text(params, "scope"));
    const challenge = parseChallenge(text(params, "code_challenge"), text(params, "code_challenge_method"));
    return { kind: "ok", request: { app, redirectUri, scopes, state, challenge } };
  } catch (err) {
    if (err instanceof OAuthError) return { kind: "redirect", redirectUri, state: state?.slice(0, MAX_STATE), error: err };
    throw err;
  }
}

function withQuery(uri: string, values: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(values)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

/** Where a form on the consent page may lead (CSP form-action): the redirect URI's origin, or its scheme. */
function formTarget(redirectUri: string): string | undefined {
  if (redirectUri === OOB_REDIRECT) return undefined;
  const url = new URL(redirectUri);
  if (url.protocol === "http:" || url.protocol === "https:") {
    return /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/.test(url.origin) ? url.origin : undefined;
  }
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}

function html(c: PageContext, body: string, status: 200 | 400 | 401 | 403 | 415 | 429 = 200, formTo?: string): Response {
  c.header("Content-Security-Policy", pageCsp(formTo));
  c.header("Cache-Control", "no-store");
  return c.html(body, status);
}

function hidden(request: AuthorizationRequest, lang: Lang, csrf: string): Hidden {
  const h: Hidden = {
    client_id: request.app.client_id,
    redirect_uri: request.redirectUri,
    response_type: "code",
    scope: request.scopes.join(" "),
    lang,
  };
  if (request.state !== undefined) h.state = request.state;
  if (request.challenge) {
    h.code_challenge = request.challenge.challenge;
    h.code_challenge_method = request.challenge.method;
  }
  h.csrf_token = csrf;
  return h;
}

function langOf(c: PageContext, params: Params): Lang {
  return pickLanguage(text(params, "lang"), c.req.header("accept-language"));
}

/** Query (GET) or query and form (POST); a malformed one is an error page, not JSON. */
async function pageParams(c: PageContext): Promise<Params | Response> {
  try {
    return await readParams(c);
  } catch (err) {
    if (err instanceof DomainError || err instanceof HTTPException) {
      return html(c, errorPage(langOf(c, {}), err.message), err instanceof HTTPException && err.status === 415 ? 415 : 400);
    }
    throw err;
  }
}

/** GET and POST /oauth/authorize: sign in if needed, then consent. */
export function authorizeRoutes(): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  const throttle = new SignInThrottle();

  const answer = async (c: PageContext, params: Params, isPost: boolean): Promise<Response> => {
    const lang = langOf(c, params);
    const t = TEXTS[lang];
    if (isPost && !csrfMatches(c, text(params, "csrf_token"))) return html(c, errorPage(lang, t.expiredForm), 403);
    const checked = await checkRequest(c, params);
    if (checked.kind === "page") return html(c, errorPage(lang, checked.message), 400);
    if (checked.kind === "redirect") {
      const { redirectUri, state, error } = checked;
      if (redirectUri === OOB_REDIRECT) return html(c, errorPage(lang, `${error.code}: ${error.message}`), 400);
      return c.redirect(withQuery(redirectUri, { error: error.code, error_description: error.message, state }), 302);
    }
    const request = checked.request;
    const fields = hidden(request, lang, csrfToken(c));
    const login = text(params, "username");
    const password = text(params, "password");

    if (isPost && login !== undefined && password !== undefined) {
      const account = login.trim().toLowerCase().slice(0, 320);
      const address = clientAddress(c);
      const wait = throttle.retryAfter(account, address);
      if (wait > 0) {
        c.header("Retry-After", String(wait));
        return html(c, signInPage(lang, request.app.name, fields, t.tooMany, login), 429);
      }
      const { db, config } = c.get("deps");
      const actor = await checkPassword(db, config.origin, login, password);
      if (!actor) {
        throttle.fail(account, address);
        return html(c, signInPage(lang, request.app.name, fields, t.wrongPassword, login), 401);
      }
      throttle.succeed(account);
      await signIn(c, actor);
      // Post/redirect/get: the consent page is the authorization request again, now signed in.
      const { csrf_token: _csrf, ...query } = fields;
      return c.redirect(`/oauth/authorize?${new URLSearchParams(query).toString()}`, 303);
    }

    const actor = text(params, "force_login") === "true" && !isPost ? undefined : await signedInActor(c);
    if (!actor) return html(c, signInPage(lang, request.app.name, fields), isPost ? 401 : 200);
    const handle = `@${actor.username}@${actor.domain}`;
    const decision = isPost ? text(params, "decision") : undefined;
    if (decision === undefined) {
      return html(c, consentPage(lang, request.app.name, handle, request.scopes, fields), 200, formTarget(request.redirectUri));
    }
    if (decision !== "authorize" && decision !== "deny") return html(c, errorPage(lang, "decision must be authorize or deny"), 400);
    if (decision === "authorize") {
      const code = await createAuthorizationCode(c.get("deps").db, { ...request, actor });
      if (request.redirectUri === OOB_REDIRECT) return html(c, codePage(lang, code));
      return c.redirect(withQuery(request.redirectUri, { code, state: request.state }), 302);
    }
    const denied = { error: "access_denied", error_description: "The person denied the request", state: request.state };
    if (request.redirectUri === OOB_REDIRECT) return html(c, errorPage(lang, denied.error_description), 403);
    return c.redirect(withQuery(request.redirectUri, denied), 302);
  };

  r.get("/authorize", async (c) => {
    const params = await pageParams(c);
    return params instanceof Response ? params : answer(c, params, false);
  });
  r.post("/authorize", async (c) => {
    const params = await pageParams(c);
    return params instanceof Response ? params : answer(c, params, true);
  });
  return r;
}
