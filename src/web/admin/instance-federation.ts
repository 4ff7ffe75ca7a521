/**
 * `/admin/federation`: the federation mode (open, blocklist, allowlist),
 * whether the policy is published, and the domain rules, through the same
 * domain functions as the Plein federation API (src/domain/policy.ts; a
 * block may purge what this server holds from the domain: policy-purge.ts).
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import {
  currentPolicy, type DomainAction, DOMAIN_ACTIONS, FEDERATION_MODES, type FederationMode, parseDomainPattern, patternText,
  removeDomainRule, updateFederationSettings,
} from "../../domain/policy.ts";
import { setDomainRuleAndPurge } from "../../domain/policy-purge.ts";
import { csrfField, formText } from "../forms.ts";
import { acting, described, formError } from "./common.ts";
import { type InstanceAdmin, instanceAdmin, instanceAdminForm, instanceAdminPage } from "./instance-frame.ts";

interface RuleTyped {
  domain: string;
  action: string;
  comment: string;
  purge: boolean;
}

async function federationPage(c: Context<AppEnv>, i: InstanceAdmin, error?: string, typed: RuleTyped = { domain: "", action: "block", comment: "", purge: false }) {
  const policy = await currentPolicy(c.get("deps").db);
  const { s } = i;
  const { a } = s;
  const d = described(error);
  return instanceAdminPage(s, "federation", html`
<form class="stack" method="post" action="/admin/federation">
${csrfField(s)}
<fieldset><legend>${a.mode}</legend>
${FEDERATION_MODES.map((m) => html`<div><input type="radio" id="mode-${m}" name="mode" value="${m}"${policy.mode === m ? html` checked` : ""}> <label class="inline" for="mode-${m}">${a.modes[m]}</label></div>`)}
</fieldset>
<div><input type="checkbox" id="published" name="published" value="true"${policy.published ? html` checked` : ""}> <label class="inline" for="published">${a.published}</label></div>
<button type="submit">${a.save}</button>
</form>
<h2>${a.domainRules}</h2>
${policy.rules.length === 0 ? html`<p>${a.noRules}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${a.domainCol}</th><th scope="col">${a.action}</th><th scope="col">${a.comment}</th><th scope="col"><span class="visually-hidden">${a.remove}</span></th></tr></thead>
<tbody>${policy.rules.map((rule) => html`<tr><td>${patternText(rule)}</td><td>${a.actions[rule.action]}</td><td>${rule.comment}</td>
<td><form class="inline" method="post" action="/admin/federation/rules/remove">${csrfField(s)}<input type="hidden" name="domain" value="${patternText(rule)}"><button type="submit" aria-label="${a.removeRule(patternText(rule))}">${a.remove}</button></form></td></tr>`)}</tbody>
</table></div>`}
${formError(error)}
<form class="stack" method="post" action="/admin/federation/rules">
${csrfField(s)}
<label for="domain">${a.domain}</label>
<input type="text" id="domain" name="domain" value="${typed.domain}" required autocapitalize="none" spellcheck="false"${d}>
<label for="action">${a.action}</label>
<select id="action" name="action"${d}>${DOMAIN_ACTIONS.map((x) => html`<option value="${x}"${typed.action === x ? html` selected` : ""}>${a.actions[x]}</option>`)}</select>
<label for="comment">${a.comment}</label>
<input type="text" id="comment" name="comment" value="${typed.comment}" maxlength="1000"${d}>
<div><input type="checkbox" id="purge" name="purge" value="true"${typed.purge ? html` checked` : ""}${d}> <label class="inline" for="purge">${a.purge}</label></div>
<button type="submit">${a.addRule}</button>
</form>`);
}

export function mountInstanceFederation(app: Hono<AppEnv>): void {
  app.get("/admin/federation", async (c) => {
    const i = await instanceAdmin(c);
    return i instanceof Response ? i : c.html(await federationPage(c, i));
  });

  app.post("/admin/federation", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i, form } = r;
    return acting(c, i.s, "/admin/federation", async () => {
      const mode = FEDERATION_MODES.find((m) => m === formText(form, "mode"));
      if (!mode) throw invalid(`mode must be one of ${FEDERATION_MODES.join(", ")}`);
      await updateFederationSettings(c.get("deps").db, { mode: mode as FederationMode, published: formText(form, "published") === "true" });
      return c.redirect("/admin/federation", 303);
    }, async (message) => c.html(await federationPage(c, i, message), 422));
  });

  app.post("/admin/federation/rules", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i, form } = r;
    const typed: RuleTyped = {
      domain: formText(form, "domain") ?? "", action: formText(form, "action") ?? "", comment: formText(form, "comment") ?? "",
      purge: formText(form, "purge") === "true",
    };
    const { db, config } = c.get("deps");
    return acting(c, i.s, "/admin/federation", async () => {
      const pattern = parseDomainPattern(typed.domain.trim());
      const action = DOMAIN_ACTIONS.find((x) => x === typed.action);
      if (!action) throw invalid(`action must be one of ${DOMAIN_ACTIONS.join(", ")}`);
      await setDomainRuleAndPurge(db, config.origin.hostname, pattern, { action: action as DomainAction, comment: typed.comment, purge: typed.purge });
      return c.redirect("/admin/federation", 303);
    }, async (message) => c.html(await federationPage(c, i, message, typed), 422));
  });

  app.post("/admin/federation/rules/remove", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i, form } = r;
    return acting(c, i.s, "/admin/federation", async () => {
      const pattern = parseDomainPattern(formText(form, "domain") ?? "");
      if (!(await removeDomainRule(c.get("deps").db, pattern))) throw notFound(`There is no rule for ${patternText(pattern)}`);
      return c.redirect("/admin/federation", 303);
    }, async (message) => c.html(await federationPage(c, i, message), 422));
  });
}
