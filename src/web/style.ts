import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { ADMIN_CSS } from "./style-admin.ts";
import { GROUP_CSS } from "./style-groups.ts";
import { MODULES_CSS } from "./style-modules.ts";
import { ACCOUNT_CSS } from "./style-accounts.ts";

/** The one stylesheet, served from this origin so the CSP needs no inline style. */
export const STYLESHEET_PATH = "/static/plein.css";

const CSS = `
:root{--fg:#1a1a1a;--bg:#fff;--muted:#4a4a4a;--accent:#1d4ed8;--line:#d4d4d4}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0;line-height:1.5}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999rem}
.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:1}
header.site,footer.site{border-bottom:1px solid var(--line);padding:.75rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
footer.site{border-top:1px solid var(--line);border-bottom:0}
header.site nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1rem;align-items:center}
header.site form{display:inline;margin:0}
main{max-width:44rem;margin:0 auto;padding:1rem}
label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem}
button{padding:.4rem .9rem;font-size:1rem;cursor:pointer}
form.stack button{margin-top:1.5rem}
.error{color:#991b1b;border-left:4px solid #991b1b;padding-left:.75rem}
.muted{color:var(--muted)}
article.post{border-top:1px solid var(--line);padding:.75rem 0}
ul.groups{padding-left:1.25rem}
${GROUP_CSS}
${ADMIN_CSS}
${MODULES_CSS}`;

export function mountStylesheet(app: Hono<AppEnv>): void {
  app.get(STYLESHEET_PATH, (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(CSS + ACCOUNT_CSS);
  });
}
