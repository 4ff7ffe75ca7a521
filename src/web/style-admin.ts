/** The admin pages' part of the stylesheet (src/web/admin). */
export const ADMIN_CSS = `
nav.admin-nav ul{list-style:none;padding:0;margin:1rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;border-bottom:1px solid var(--line);padding-bottom:.5rem}
nav.admin-nav a[aria-current=page]{font-weight:700;color:var(--fg)}
form.inline{display:inline-block;margin:.25rem .5rem .25rem 0}
label.inline{display:inline;margin:0;font-weight:400}
fieldset{margin-top:1rem;border:1px solid var(--line);padding:.5rem 1rem}
legend{font-weight:600}
textarea,input[type=email]{width:100%;padding:.5rem;font-size:1rem;font-family:inherit}
select{padding:.4rem;font-size:1rem}
ul.admin-list,ol.admin-list{padding-left:0;list-style:none}
ul.admin-list>li,ol.admin-list>li{border-top:1px solid var(--line);padding:.5rem 0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:.35rem .5rem;vertical-align:top}
blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid var(--line)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
