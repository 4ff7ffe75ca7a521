import { createHash } from "node:crypto";
import { escapeHtml } from "../../domain/text.ts";
import { describeScope, type Lang, TEXTS } from "./texts.ts";

const STYLE = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
  + "label{display:block;margin-top:1rem;font-weight:600}input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
  + "button{margin:1.5rem .5rem 0 0;padding:.5rem 1rem;font-size:1rem}:focus{outline:3px solid #1d4ed8;outline-offset:2px}"
  + ".error{color:#991b1b;border-left:4px solid #991b1b;padding-left:.75rem}code{font-size:1.25rem;word-break:break-all}";
const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** The page's own CSP: its one stylesheet, forms posted here (and the redirect that follows, to `formTarget`). */
export function pageCsp(formTarget?: string): string {
  const formAction = formTarget ? `'self' ${formTarget}` : "'self'";
  return `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/** The authorization request, carried through the forms unchanged. */
export type Hidden = Record<string, string>;

function page(lang: Lang, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function hiddenFields(hidden: Hidden): string {
  return Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("\n");
}

export function signInPage(lang: Lang, appName: string, hidden: Hidden, error?: string, login = ""): string {
  const t = TEXTS[lang];
  const described = error ? ' aria-describedby="form-error"' : "";
  return page(lang, t.signInTitle, `
<p>${escapeHtml(t.signInIntro(appName))}</p>
${error ? `<p id="form-error" class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/oauth/authorize">
${hiddenFields(hidden)}
<label for="username">${escapeHtml(t.login)}</label>
<input type="text" id="username" name="username" value="${escapeHtml(login)}" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus${described}>
<label for="password">${escapeHtml(t.password)}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${described}>
<button type="submit">${escapeHtml(t.signIn)}</button>
</form>`);
}

export function consentPage(lang: Lang, appName: string, userHandle: string, scopes: string[], hidden: Hidden): string {
  const t = TEXTS[lang];
  const items = scopes.map((s) => `<li>${escapeHtml(describeScope(s, lang))} <small>(<code>${escapeHtml(s)}</code>)</small></li>`).join("\n");
  return page(lang, t.consentTitle, `
<p>${escapeHtml(t.signedInAs(userHandle))}</p>
<p id="consent-intro">${escapeHtml(t.consentIntro(appName, userHandle))}</p>
<ul aria-labelledby="consent-intro">
${items}
</ul>
<form method="post" action="/oauth/authorize">
${hiddenFields(hidden)}
<button type="submit" name="decision" value="authorize">${escapeHtml(t.authorise)}</button>
<button type="submit" name="decision" value="deny">${escapeHtml(t.deny)}</button>
</form>`);
}

export function codePage(lang: Lang, code: string): string {
  const t = TEXTS[lang];
  return page(lang, t.oobTitle, `
<p><label for="code">${escapeHtml(t.oobIntro)}</label></p>
<p><input type="text" id="code" readonly value="${escapeHtml(code)}" size="50"></p>
<p><code>${escapeHtml(code)}</code></p>`);
}

export function errorPage(lang: Lang, message: string): string {
  const t = TEXTS[lang];
  return page(lang, t.errorTitle, `<p class="error" role="alert">${escapeHtml(message)}</p>`);
}
