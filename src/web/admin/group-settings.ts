/**
 * `/@group/admin` (overview) and `/@group/admin/settings`: the group's name,
 * description, visibility, joining, sections, who starts posts and
 * pre-moderation (`updateGroup`).
 */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { GroupPosting, GroupVisibility, JoinMode } from "../../db/schema.ts";
import { invalid } from "../../domain/errors.ts";
import { GROUP_VISIBILITIES, type GroupChanges, JOIN_MODES, POSTING, updateGroup } from "../../domain/groups.ts";
import { isAdmin } from "../../domain/membership.ts";
import { allModules, findModule } from "../../modules/registry.ts";
import { csrfField, type Form, formText } from "../forms.ts";
import { htmlToParagraphs } from "../posts.ts";
import { acting, described, formError } from "./common.ts";
import { GROUP_ADMIN_ROUTE, type GroupAdmin, groupAdmin, groupAdminForm, groupAdminPage } from "./group-frame.ts";

interface SettingsInput {
  displayName: string;
  description: string;
  visibility: string;
  joinMode: string;
  posting: string;
  moderatePosts: boolean;
  moderateComments: boolean;
  modules: string[];
}

function current(g: GroupAdmin): SettingsInput {
  const { actor, settings, modules } = g.group;
  return {
    displayName: actor.display_name,
    description: htmlToParagraphs(actor.summary_html).join("\n\n"),
    visibility: settings?.visibility ?? "public",
    joinMode: settings?.join_mode ?? "open",
    posting: settings?.posting ?? "members",
    moderatePosts: settings?.moderate_posts ?? false,
    moderateComments: settings?.moderate_comments ?? false,
    modules,
  };
}

function posted(form: Form): SettingsInput {
  const modules = form.modules === undefined ? [] : (Array.isArray(form.modules) ? form.modules : [form.modules]);
  return {
    displayName: formText(form, "display_name") ?? "",
    description: formText(form, "description") ?? "",
    visibility: formText(form, "visibility") ?? "",
    joinMode: formText(form, "join_mode") ?? "",
    posting: formText(form, "posting") ?? "members",
    moderatePosts: formText(form, "moderate_posts") === "true",
    moderateComments: formText(form, "moderate_comments") === "true",
    modules: modules.filter((m): m is string => typeof m === "string"),
  };
}

function changesOf(input: SettingsInput): GroupChanges {
  if (!GROUP_VISIBILITIES.includes(input.visibility as GroupVisibility)) throw invalid(`visibility must be one of ${GROUP_VISIBILITIES.join(", ")}`);
  if (!JOIN_MODES.includes(input.joinMode as JoinMode)) throw invalid(`join_mode must be one of ${JOIN_MODES.join(", ")}`);
  if (!POSTING.includes(input.posting as GroupPosting)) throw invalid(`posting must be one of ${POSTING.join(", ")}`);
  for (const m of input.modules) if (!findModule(m)) throw invalid(`"${m.slice(0, 40)}" is not a section of this server`);
  return {
    displayName: input.displayName,
    description: input.description,
    visibility: input.visibility as GroupVisibility,
    joinMode: input.joinMode as JoinMode,
    posting: input.posting as GroupPosting,
    moderatePosts: input.moderatePosts,
    moderateComments: input.moderateComments,
    modules: input.modules,
  };
}

function settingsForm(g: GroupAdmin, input: SettingsInput, error?: string) {
  const { a } = g.s;
  const d = described(error);
  const checked = (on: boolean) => (on ? html` checked` : "");
  return groupAdminPage(g, "settings", html`${formError(error)}
<form class="stack" method="post" action="${g.base}/settings">
${csrfField(g.s)}
<label for="display_name">${a.displayName}</label>
<input type="text" id="display_name" name="display_name" value="${input.displayName}" maxlength="100"${d}>
<label for="description">${a.description}</label>
<textarea id="description" name="description" rows="5"${d}>${input.description}</textarea>
<fieldset><legend>${a.visibility}</legend>
${GROUP_VISIBILITIES.map((v) => html`<div><input type="radio" id="visibility-${v}" name="visibility" value="${v}"${checked(input.visibility === v)}${d}> <label class="inline" for="visibility-${v}">${a.visibilities[v]}</label></div>`)}
</fieldset>
<fieldset><legend>${a.joinMode}</legend>
${JOIN_MODES.map((m) => html`<div><input type="radio" id="join-${m}" name="join_mode" value="${m}"${checked(input.joinMode === m)}${d}> <label class="inline" for="join-${m}">${a.joinModes[m]}</label></div>`)}
</fieldset>
<fieldset><legend>${a.modules}</legend>
${allModules().map((m) => html`<div><input type="checkbox" id="module-${m.name}" name="modules" value="${m.name}"${checked(input.modules.includes(m.name))}${d}> <label class="inline" for="module-${m.name}">${a.moduleNames[m.name] ?? m.name}</label></div>`)}
</fieldset>
<fieldset><legend>${a.posting}</legend>
${POSTING.map((p) => html`<div><input type="radio" id="posting-${p}" name="posting" value="${p}"${checked(input.posting === p)}${d}> <label class="inline" for="posting-${p}">${a.postings[p]}</label></div>`)}
</fieldset>
<fieldset><legend>${a.moderation}</legend>
<div><input type="checkbox" id="moderate_posts" name="moderate_posts" value="true"${checked(input.moderatePosts)}> <label class="inline" for="moderate_posts">${a.moderatePosts}</label></div>
<div><input type="checkbox" id="moderate_comments" name="moderate_comments" value="true"${checked(input.moderateComments)}> <label class="inline" for="moderate_comments">${a.moderateComments}</label></div>
</fieldset>
<button type="submit">${a.save}</button>
</form>`);
}

export function mountGroupSettings(app: Hono<AppEnv>): void {
  app.get(GROUP_ADMIN_ROUTE, async (c) => {
    const g = await groupAdmin(c, "overview");
    if (g instanceof Response) return g;
    return c.html(groupAdminPage(g, "overview", html`<p>${g.s.a.overviewText}</p>`));
  });

  app.get(`${GROUP_ADMIN_ROUTE}/settings`, async (c: Context<AppEnv>) => {
    const g = await groupAdmin(c, "settings");
    if (g instanceof Response) return g;
    return c.html(settingsForm(g, current(g)));
  });

  app.post(`${GROUP_ADMIN_ROUTE}/settings`, async (c) => {
    const r = await groupAdminForm(c, "settings");
    if (r instanceof Response) return r;
    const { g, form } = r;
    const { db, config } = c.get("deps");
    const input = posted(form);
    return acting(c, g.s, g.base, async () => {
      await updateGroup(db, config.origin, g.group, g.me, changesOf(input), isAdmin(g.membership));
      return c.redirect(`${g.base}/settings`, 303);
    }, async (message) => c.html(settingsForm(g, input, message), 422));
  });
}
