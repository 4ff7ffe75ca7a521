/** The events, wiki and files pages' part of the stylesheet. */
export const MODULES_CSS = `
ul.events{list-style:none;padding-left:0}
ul.events li{padding:.25rem 0}
ul.wiki-tree ul.wiki-tree{padding-left:1.25rem}
nav.pager ul,nav.module-details ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
section.module-details dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
section.module-details dd{margin:0}
fieldset{border:1px solid var(--line);margin-top:1rem}
label.choice{display:block;font-weight:400;margin-top:.25rem}
textarea,select,input[type=datetime-local],input[type=file]{width:100%;padding:.5rem;font-size:1rem}
table.files{border-collapse:collapse;width:100%}
table.files th,table.files td{text-align:left;padding:.35rem;border-bottom:1px solid var(--line);vertical-align:top}
table.files caption{text-align:left;font-weight:600}
`;
