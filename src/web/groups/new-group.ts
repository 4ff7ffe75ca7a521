/**
 * Starting a group: GET /groups/new (signed in only) is the form, POST
 * /groups makes it through the domain's createGroup (as Plein's API does)
 * and goes to the new group's page; invalid input is the form again (422)
 * with what was typed kept.
 */
import type { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../context.ts";
import type { GroupVisibility, JoinMode } from "../../db/schema.ts";
import { USERNAME_PATTERN } from "../../domain/accounts.ts";
import { DomainError } from "../../domain/errors.ts";
import { createGroup, GROUP_LIMITS, GROUP_VISIBILITIES, JOIN_MODES } from "../../domain/groups.ts";
import { allModules, defaultModules, findModule } from "../../modules/registry.ts";
import { csrfField, expiredForm, type Form, formText, readForm, toSignIn } from "../forms.ts";
import { type Html, layout, pageState, type PageState } from "../layout.ts";
import { describedBy, formError, groupTexts } from "./group-page.ts";
import { domainMessage } from "./domain-texts.ts";

interface Draft {
  name: string;
  displayName: string;
  description: string;
  visibility: GroupVisibility;
  joinMode: JoinMode;
  modules: string[];
}

const EMPTY: Draft = { name: "", displayName: "", description: "", visibility: "public", joinMode: "open", modules: [] };

function checked(on: boolean): Html | string {
  return on ? html` checked` : "";
}

function newGroupForm(s: PageState, draft: Draft, error?: string): Html {
  const t = groupTexts(s);
  const d = describedBy(error);
  return layout(s, t.newGroup, html`${formError(error)}
<form class="stack" method="post" action="/groups">
${csrfField(s)}
<label for="name">${t.handle}</label>
<input type="text" id="name" name="name" value="${draft.name}" maxlength="30" pattern="[A-Za-z0-9_]+" autocapitalize="none" spellcheck="false" required${d}>
<label for="display_name">${t.displayName}</label>
<input type="text" id="display_name" name="display_name" value="${draft.displayName}" maxlength="${GROUP_LIMITS.displayName}"${d}>
<label for="description">${t.description}</label>
<textarea id="description" name="description" rows="4"${d}>${draft.description}</textarea>
<fieldset><legend>${t.visibility}</legend>
${GROUP_VISIBILITIES.map((v) => html`<div class="choice"><input type="radio" id="visibility-${v}" name="visibility" value="${v}"${checked(draft.visibility === v)}><label for="visibility-${v}">${t.visibilities[v]}</label></div>`)}
</fieldset>
<fieldset><legend>${t.joinMode}</legend>
${JOIN_MODES.map((m) => html`<div class="choice"><input type="radio" id="join-${m}" name="join_mode" value="${m}"${checked(draft.joinMode === m)}><label for="join-${m}">${t.joinModes[m]}</label></div>`)}
</fieldset>
<fieldset><legend>${t.modules}</legend>
${allModules().map((m) => html`<div class="choice"><input type="checkbox" id="module-${m.name}" name="modules" value="${m.name}"${checked(draft.modules.includes(m.name))}><label for="module-${m.name}">${m.label[s.lang]}</label></div>`)}
</fieldset>
<button type="submit">${t.create}</button>
</form>`);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T | undefined {
  if (value === undefined) return fallback;
  return (allowed as readonly string[]).includes(value) ? value as T : undefined;
}

/** The form as typed, and what is wrong with it in the reader's language (the domain checks again). */
function readDraft(s: PageState, form: Form): { draft: Draft; error?: string } {
  const t = groupTexts(s);
  const raw = form.modules;
  const modules = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((m): m is string => typeof m === "string");
  const visibility = oneOf(formText(form, "visibility"), GROUP_VISIBILITIES, "public");
  const joinMode = oneOf(formText(form, "join_mode"), JOIN_MODES, "open");
  const draft: Draft = {
    name: (formText(form, "name") ?? "").trim(),
    displayName: formText(form, "display_name") ?? "",
    description: formText(form, "description") ?? "",
    visibility: visibility ?? "public",
    joinMode: joinMode ?? "open",
    modules,
  };
  const error = draft.name === "" ? t.nameRequired
    : !USERNAME_PATTERN.test(draft.name.toLowerCase()) ? t.badHandle
    : [...draft.displayName.trim()].length > GROUP_LIMITS.displayName ? t.tooLong(t.displayName, GROUP_LIMITS.displayName)
    : [...draft.description].length > GROUP_LIMITS.description ? t.tooLong(t.description, GROUP_LIMITS.description)
    : modules.some((m) => !findModule(m)) ? t.unknownModule
    : !visibility || !joinMode ? t.invalidChoice
    : undefined;
  return { draft, ...(error ? { error } : {}) };
}

export function mountNewGroup(app: Hono<AppEnv>): void {
  app.get("/groups/new", async (c) => {
    const s = await pageState(c);
    if (!s.me) return toSignIn(c, s);
    return c.html(newGroupForm(s, { ...EMPTY, modules: defaultModules() }));
  });

  app.post("/groups", async (c) => {
    const form = await readForm(c);
    if (!form) return expiredForm(c);
    const s = await pageState(c);
    if (!s.me) return toSignIn(c, { ...s, here: "/groups/new" });
    const { draft, error } = readDraft(s, form);
    if (error) return c.html(newGroupForm(s, draft, error), 422);
    const { db, config } = c.get("deps");
    try {
      const group = await createGroup(db, config.origin, s.me, {
        name: draft.name, displayName: draft.displayName, description: draft.description,
        visibility: draft.visibility, joinMode: draft.joinMode, modules: draft.modules,
      });
      return c.redirect(`/@${encodeURIComponent(group.actor.username)}`, 303);
    } catch (err) {
      if (!(err instanceof DomainError) || (err.kind !== "invalid" && err.kind !== "conflict")) throw err;
      const message = err.kind === "conflict" ? groupTexts(s).taken(draft.name.toLowerCase()) : domainMessage(s, err);
      return c.html(newGroupForm(s, draft, message), 422);
    }
  });
}
