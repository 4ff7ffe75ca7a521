/**
 * The sections of a group's pages and the navigation between them. A section
 * of a content module shows only when the group has the module switched on;
 * the admin section only to the group's admins and moderators. Every section
 * lives at `/@group/<path>` (`groupSectionHref`); the about page is `/@group`.
 */
import { html } from "hono/html";
import type { Membership } from "../db/schema.ts";
import { type GroupView, moduleEnabled } from "../domain/groups.ts";
import { isModerator } from "../domain/membership.ts";
import type { Html, PageState } from "./layout.ts";
import { actorHref } from "./render.ts";
import { type Lang, localized } from "./texts.ts";

export type GroupSection = "about" | "members" | "discussions" | "blog" | "events" | "files" | "wiki" | "questions" | "admin";

const SECTIONS: Array<{ section: GroupSection; path: string; module?: string }> = [
  { section: "about", path: "" },
  { section: "members", path: "members" },
  { section: "discussions", path: "discussions", module: "discussion" },
  { section: "blog", path: "blog", module: "blog" },
  { section: "events", path: "events", module: "event" },
  { section: "files", path: "files", module: "file" },
  { section: "wiki", path: "wiki", module: "wiki" },
  { section: "questions", path: "questions", module: "question" },
  { section: "admin", path: "admin" },
];

const NAMES: Record<Lang, Record<GroupSection, string> & { sections: string }> = {
  nl: {
    sections: "Onderdelen van de groep", about: "Over", members: "Leden", discussions: "Discussies", blog: "Blog",
    events: "Agenda", files: "Bestanden", wiki: "Wiki", questions: "Vragen", admin: "Beheer",
  },
  en: {
    sections: "Group sections", about: "About", members: "Members", discussions: "Discussions", blog: "Blog",
    events: "Events", files: "Files", wiki: "Wiki", questions: "Questions", admin: "Manage",
  },
};

export function groupSectionName(lang: Lang, section: GroupSection): string {
  return localized(lang, NAMES)[section];
}

export function groupSectionHref(group: GroupView, section: GroupSection): string {
  const path = SECTIONS.find((x) => x.section === section)?.path ?? "";
  return path ? `${actorHref(group.actor)}/${path}` : actorHref(group.actor);
}

/** Is this section there for this viewer (module on; admin for moderators and admins)? */
export function groupSectionShown(group: GroupView, section: GroupSection, membership: Membership | undefined): boolean {
  const entry = SECTIONS.find((x) => x.section === section);
  if (!entry) return false;
  if (section === "admin") return isModerator(membership);
  return entry.module === undefined || moduleEnabled(group, entry.module);
}

/** The navigation between a group's sections, the current one marked with aria-current. */
export function groupNav(s: PageState, group: GroupView, current: GroupSection, membership: Membership | undefined): Html {
  const names = localized(s.lang, NAMES);
  const shown = SECTIONS.filter((x) => groupSectionShown(group, x.section, membership));
  return html`<nav class="group-sections" aria-label="${names.sections}"><ul>
${shown.map((x) => html`<li><a href="${groupSectionHref(group, x.section)}"${x.section === current ? html` aria-current="page"` : ""}>${names[x.section]}</a></li>`)}
</ul></nav>`;
}
