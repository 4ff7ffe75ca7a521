/** `/admin` (overview) and `/admin/settings`: the instance's name, short description, contact address and rules. */
import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import { type InstanceProfile, instanceProfile, PROFILE_LIMITS, updateInstanceProfile } from "../../domain/instance-profile.ts";
import { csrfField, formText } from "../forms.ts";
import { acting, described, formError } from "./common.ts";
import { type InstanceAdmin, instanceAdmin, instanceAdminForm, instanceAdminPage } from "./instance-frame.ts";

function settingsForm(i: InstanceAdmin, p: InstanceProfile, error?: string) {
  const { a } = i.s;
  const d = described(error);
  return instanceAdminPage(i.s, "settings", html`${formError(error)}
<form class="stack" method="post" action="/admin/settings">
${csrfField(i.s)}
<label for="name">${a.instanceName}</label>
<input type="text" id="name" name="name" value="${p.name}" maxlength="${PROFILE_LIMITS.name}"${d}>
<label for="short_description">${a.shortDescription}</label>
<textarea id="short_description" name="short_description" rows="3"${d}>${p.shortDescription}</textarea>
<label for="contact_email">${a.contactEmail}</label>
<input type="email" id="contact_email" name="contact_email" value="${p.contactEmail}" autocomplete="email"${d}>
<label for="rules">${a.rules}</label>
<textarea id="rules" name="rules" rows="6"${d}>${p.rules.join("\n")}</textarea>
<button type="submit">${a.save}</button>
</form>`);
}

export function mountInstanceSettings(app: Hono<AppEnv>): void {
  app.get("/admin", async (c) => {
    const i = await instanceAdmin(c);
    return i instanceof Response ? i : c.html(instanceAdminPage(i.s, "overview", html`<p>${i.s.a.overviewText}</p>`));
  });

  app.get("/admin/settings", async (c: Context<AppEnv>) => {
    const i = await instanceAdmin(c);
    return i instanceof Response ? i : c.html(settingsForm(i, await instanceProfile(c.get("deps").db)));
  });

  app.post("/admin/settings", async (c) => {
    const r = await instanceAdminForm(c);
    if (r instanceof Response) return r;
    const { i, form } = r;
    const typed: InstanceProfile = {
      name: formText(form, "name") ?? "",
      shortDescription: formText(form, "short_description") ?? "",
      contactEmail: formText(form, "contact_email") ?? "",
      rules: (formText(form, "rules") ?? "").split(/\r?\n/),
    };
    return acting(c, i.s, "/admin/settings", async () => {
      await updateInstanceProfile(c.get("deps").db, i.me, typed);
      return c.redirect("/admin/settings", 303);
    }, async (message) => c.html(settingsForm(i, typed, message), 422));
  });
}
