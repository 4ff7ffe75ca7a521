/** The account pages' few rules (registration, settings, sessions, notifications, search). */
export const ACCOUNT_CSS = `
.hint{margin:.25rem 0 0;color:var(--muted);font-size:.95rem}
input[type=email],input[type=search],input[type=number],textarea{width:100%;padding:.5rem;font-size:1rem;font-family:inherit}
fieldset{border:1px solid var(--line);margin-top:1rem;padding:.5rem 1rem}
legend{font-weight:600}
.choice{display:flex;gap:.5rem;align-items:baseline}
.choice label{font-weight:400;margin-top:.25rem}
ul.rows{list-style:none;padding:0}
ul.rows>li{border-top:1px solid var(--line);padding:.6rem 0}
ul.rows form{display:inline;margin-left:.5rem}
ul.rows code{word-break:break-all}
li.unread{border-left:4px solid var(--accent);padding-left:.6rem}
.badge{font-size:.85rem;text-transform:uppercase}
blockquote{margin:.25rem 0 0 1rem}
form.search button{margin-top:.5rem}
`;
