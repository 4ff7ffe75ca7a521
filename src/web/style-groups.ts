/** The group pages' part of the stylesheet (src/web/style.ts). */
export const GROUP_CSS = `
nav.group-sections ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;border-bottom:1px solid var(--line)}
nav.group-sections a{display:inline-block;padding:.4rem 0}
nav.group-sections a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
form.inline{display:inline-block;margin:0 .5rem .5rem 0}
textarea{width:100%;padding:.5rem;font:inherit}
fieldset{margin-top:1rem;border:1px solid var(--line)}
legend{font-weight:600}
.choice{display:flex;gap:.5rem;align-items:baseline}
.choice label{margin-top:.25rem;font-weight:400}
ul.threads,ul.members{list-style:none;padding:0}
li.thread{border-top:1px solid var(--line);padding:.5rem 0}
li.thread h3{margin:.25rem 0}
li.thread p{margin:.25rem 0}
ul.members li{padding:.25rem 0}
.answer.accepted{border-left:4px solid #166534;padding-left:.75rem}
.accepted strong{color:#166534}
nav.breadcrumb ul{list-style:none;margin:0 0 .75rem;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
nav.breadcrumb li+li::before{content:"›";margin-right:.5rem}
ul.post-actions{list-style:none;padding:0;display:flex;gap:1rem}
.notice{border-left:4px solid #1d4ed8;padding:.5rem .75rem;background:#eff6ff}
`;
