/**
 * The frame of every web page: language, skip link, site header (home,
 * sign-in or sign-out, language switch), the main landmark, the footer.
 * Built with Hono's `html` tagged template, which escapes every
 * interpolated string (Node's type stripping cannot run JSX syntax, and the
 * template keeps escaping automatic without a build step); only values made
 * by `html` itself are inserted unescaped.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { html } from "hono/html";
import type { AppEnv } from "../context.ts";
import type { Actor } from "../db/schema.ts";
import { accountTexts } from "./account/texts.ts";
import { siteActor, siteCsrfToken } from "./session.ts";
import { STYLESHEET_PATH } from "./style.ts";
import { isInstanceAdmin } from "../domain/admins.ts";
import { type Lang, localized, WEB_TEXTS, type WebTexts, webLanguage } from "./texts.ts";

const ADMIN_LINK: Record<Lang, string> = { nl: "Serverbeheer", en: "Server admin" };

export type Html = ReturnType<typeof html>;

/** What a page handler knows about the request: language, texts, viewer, form token. */
export interface PageState {
  lang: Lang;
  t: WebTexts;
  me: Actor | undefined;
  csrf: string;
  /** the path and query of this page, to come back to after switching language or signing in */
  here: string;
  /** the viewer is one of the instance's admins (the header links to /admin) */
  admin: boolean;
}

export const LANG_COOKIE = "lang";

export async function pageState(c: Context<AppEnv>): Promise<PageState> {
  const lang = webLanguage(getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
  const url = new URL(c.req.url);
  const me = await siteActor(c);
  const admin = me ? await isInstanceAdmin(c.get("deps").db, me) : false;
  return { lang, t: WEB_TEXTS[lang], me, csrf: siteCsrfToken(c), here: url.pathname + url.search, admin };
}

export interface Alternate {
  type: string;
  href: string;
  title?: string;
}

export function layout(s: PageState, title: string, body: Html, alternates: Alternate[] = []): Html {
  const { t } = s;
  const other: Lang = s.lang === "nl" ? "en" : "nl";
  const a = accountTexts(s.lang);
  const account = s.me
    ? html`<li><a href="/notifications">${a.notifications}</a></li>
<li><a href="/settings">${a.settings}</a></li>
<li><span class="muted">${t.signedInAs(`@${s.me.username}`)}</span></li>
<li><form method="post" action="/auth/sign_out"><input type="hidden" name="csrf_token" value="${s.csrf}"><button type="submit">${t.signOut}</button></form></li>`
    : html`<li><a href="/auth/sign_in">${t.signIn}</a></li>`;
  return html`<!DOCTYPE html>
<html lang="${s.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Plein</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${alternates.map((a) => html`<link rel="alternate" type="${a.type}" href="${a.href}"${a.title ? html` title="${a.title}"` : ""}>\n`)}
</head>
<body>
<a class="skip" href="#main">${t.skip}</a>
<header class="site">
<a href="/">Plein</a>
<nav aria-label="${t.main}">
<ul>
<li><a href="/">${t.home}</a></li>
<li><a href="/search">${a.search}</a></li>
${s.admin ? html`<li><a href="/admin">${localized(s.lang, ADMIN_LINK)}</a></li>` : ""}
${account}
<li><form method="post" action="/settings/language"><input type="hidden" name="csrf_token" value="${s.csrf}"><input type="hidden" name="lang" value="${other}"><input type="hidden" name="back" value="${s.here}"><button type="submit" lang="${other}">${t.switchTo}</button></form></li>
</ul>
</nav>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}
