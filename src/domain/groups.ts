/**
 * Groups: a local group is a Group actor (sharing the user name space) with
 * settings and the content modules its admins switched on. Remote groups are
 * Group actors we learned of; their settings are their own server's business.
 */
import type { Db } from "../db/database.ts";
import type { Actor, GroupPosting, GroupSettings, GroupVisibility, JoinMode, Visibility } from "../db/schema.ts";
import { validateUsername } from "./accounts.ts";
import { conflict, forbidden, invalid, notFound } from "./errors.ts";
import { parseAllowedDomains } from "./group-domains.ts";
import { enqueueDelivery } from "./jobs.ts";
import { generateActorKeys, storeActorKeys } from "./keys.ts";
import { formatPostText } from "./text.ts";
import { handleDomain, localActorUrls, newActivityIriOf } from "./urls.ts";

export const GROUP_VISIBILITIES: readonly GroupVisibility[] = ["public", "closed", "secret"];
export const JOIN_MODES: readonly JoinMode[] = ["open", "approval", "invite"];
export const POSTING: readonly GroupPosting[] = ["members", "admins"];

export const GROUP_LIMITS = { displayName: 100, description: 5_000, modules: 32, moduleName: 40 } as const;

export interface NewGroup {
  name: string;
  displayName?: string;
  /** plain text; links and hashtags become HTML */
  description?: string;
  visibility?: GroupVisibility;
  joinMode?: JoinMode;
  posting?: GroupPosting;
  moderatePosts?: boolean;
  moderateComments?: boolean;
  /** members only from these domains (`example.nl`, `*.example.nl`); empty: from anywhere (src/domain/group-domains.ts) */
  allowedDomains?: readonly unknown[];
  /** content modules to switch on (the edges pass the registry's defaults) */
  modules: readonly string[];
}

export type GroupChanges = Partial<Omit<NewGroup, "name">>;

/** A group with its settings and modules, as every surface shows it. */
export interface GroupView {
  actor: Actor;
  /** null for a remote group */
  settings: GroupSettings | null;
  modules: string[];
}

function descriptionHtml(origin: URL, text: string): string {
  return text.trim() === "" ? "" : formatPostText(text, {
    mention: () => undefined,
    tagUrl: (tag) => new URL(`/tags/${encodeURIComponent(tag)}`, origin).href,
  }).html;
}

function checkModules(modules: readonly string[]): string[] {
  const unique = [...new Set(modules)].sort();
  if (unique.length > GROUP_LIMITS.modules) throw invalid(`At most ${GROUP_LIMITS.modules} modules`);
  for (const m of unique) {
    if (!/^[a-z][a-z0-9_-]*$/.test(m) || m.length > GROUP_LIMITS.moduleName) throw invalid(`"${m}" is not a module name`);
  }
  return unique;
}

function checkText(displayName: string | undefined, description: string | undefined): void {
  if (displayName !== undefined && [...displayName.trim()].length > GROUP_LIMITS.displayName) {
    throw invalid(`The group's name is longer than ${GROUP_LIMITS.displayName} characters`);
  }
  if (description !== undefined && [...description].length > GROUP_LIMITS.description) {
    throw invalid(`The description is longer than ${GROUP_LIMITS.description} characters`);
  }
}

/**
 * A local account starts a group: its Group actor (with keys), settings,
 * modules, and the founder as owner, in one transaction.
 */
export async function createGroup(db: Db, origin: URL, owner: Actor, input: NewGroup): Promise<GroupView> {
  if (!owner.local || owner.type !== "Person") throw forbidden("Only local people can start a group");
  const username = validateUsername(origin, input.name);
  checkText(input.displayName, input.description);
  const modules = checkModules(input.modules);
  const allowedDomains = input.allowedDomains === undefined ? undefined : parseAllowedDomains(input.allowedDomains);
  const visibility = input.visibility ?? "public";
  const joinMode = input.joinMode ?? "open";
  const keys = await generateActorKeys();
  const urls = localActorUrls(origin, username);
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom("actors").select("id")
      .where((eb) => eb(eb.fn("lower", ["username"]), "=", username))
      .where("domain", "=", handleDomain(origin)).executeTakeFirst();
    if (taken) throw conflict(`The name "${username}" is already taken`);
    const actor = await trx.insertInto("actors").values({
      iri: urls.iri,
      type: "Group",
      username,
      domain: handleDomain(origin),
      local: true,
      display_name: input.displayName?.trim() || username,
      summary_html: descriptionHtml(origin, input.description ?? ""),
      url: urls.profile,
      inbox_url: urls.inbox,
      shared_inbox_url: urls.sharedInbox,
      outbox_url: urls.outbox,
      followers_url: urls.followers,
      following_url: urls.following,
      featured_url: urls.featured,
      manually_approves_followers: joinMode !== "open",
    }).returningAll().executeTakeFirstOrThrow();
    await storeActorKeys(trx, actor.id, keys);
    const settings = await trx.insertInto("groups").values({
      actor_id: actor.id,
      visibility,
      join_mode: joinMode,
      ...(input.posting ? { posting: input.posting } : {}),
      ...(input.moderatePosts !== undefined ? { moderate_posts: input.moderatePosts } : {}),
      ...(input.moderateComments !== undefined ? { moderate_comments: input.moderateComments } : {}),
      ...(allowedDomains !== undefined ? { allowed_domains: allowedDomains } : {}),
    }).returningAll().executeTakeFirstOrThrow();
    if (modules.length) await trx.insertInto("group_modules").values(modules.map((module) => ({ group_id: actor.id, module }))).execute();
    await trx.insertInto("memberships").values({ group_id: actor.id, member_id: owner.id, role: "owner", state: "member" }).execute();
    return { actor, settings, modules };
  });
}

/** A group (local or remote) with its settings and modules; undefined when `id` is no group. */
export async function findGroup(db: Db, id: string): Promise<GroupView | undefined> {
  // The three at once, not the settings after the actor: every group page starts here, and a
  // round trip costs more than the two reads that find nothing for a remote group or another id.
  const [actor, settings, modules] = await Promise.all([
    db.selectFrom("actors").selectAll().where("id", "=", id).where("type", "=", "Group").executeTakeFirst(),
    db.selectFrom("groups").selectAll().where("actor_id", "=", id).executeTakeFirst(),
    db.selectFrom("group_modules").select("module").where("group_id", "=", id).orderBy("module").execute(),
  ]);
  if (!actor) return undefined;
  if (!actor.local) return { actor, settings: null, modules: [] };
  return { actor, settings: settings ?? null, modules: modules.map((m) => m.module) };
}

export async function viewOf(db: Db, actor: Actor): Promise<GroupView> {
  if (!actor.local) return { actor, settings: null, modules: [] };
  const [settings, modules] = await Promise.all([
    db.selectFrom("groups").selectAll().where("actor_id", "=", actor.id).executeTakeFirst(),
    db.selectFrom("group_modules").select("module").where("group_id", "=", actor.id).orderBy("module").execute(),
  ]);
  return { actor, settings: settings ?? null, modules: modules.map((m) => m.module) };
}

/** Is `module` switched on in this group? Remote groups decide for themselves: always. */
export function moduleEnabled(group: GroupView, module: string): boolean {
  return group.settings === null || group.modules.includes(module);
}

/**
 * The scope of what is posted in a group: a public group's content is
 * public, everything else is for its members. A group on another server
 * keeps its settings to itself: what is posted there is for its members.
 */
export function groupScope(group: GroupView): Visibility {
  return group.settings?.visibility === "public" ? "public" : "group";
}

/** The group's admins change its profile or settings; members' servers hear of a profile change. */
export async function updateGroup(db: Db, origin: URL, group: GroupView, by: Actor, changes: GroupChanges, isAdmin: boolean): Promise<GroupView> {
  if (!group.actor.local || !group.settings) throw notFound();
  if (!isAdmin) throw forbidden("Only the group's admins can change it");
  checkText(changes.displayName, changes.description);
  const modules = changes.modules === undefined ? undefined : checkModules(changes.modules);
  const allowedDomains = changes.allowedDomains === undefined ? undefined : parseAllowedDomains(changes.allowedDomains);
  return db.transaction().execute(async (trx) => {
    const profile: { display_name?: string; summary_html?: string; manually_approves_followers?: boolean } = {};
    if (changes.displayName !== undefined) profile.display_name = changes.displayName.trim() || group.actor.username;
    if (changes.description !== undefined) profile.summary_html = descriptionHtml(origin, changes.description);
    if (changes.joinMode !== undefined) profile.manually_approves_followers = changes.joinMode !== "open";
    let actor = group.actor;
    if (Object.keys(profile).length) {
      actor = await trx.updateTable("actors").set({ ...profile, updated_at: new Date() })
        .where("id", "=", group.actor.id).returningAll().executeTakeFirstOrThrow();
      await enqueueDelivery(trx, { type: "actor.update", actorId: actor.id, id: newActivityIriOf(actor, "update") }, actor.id);
    }
    const settingChanges = {
      ...(changes.visibility !== undefined ? { visibility: changes.visibility } : {}),
      ...(changes.joinMode !== undefined ? { join_mode: changes.joinMode } : {}),
      ...(changes.posting !== undefined ? { posting: changes.posting } : {}),
      ...(changes.moderatePosts !== undefined ? { moderate_posts: changes.moderatePosts } : {}),
      ...(changes.moderateComments !== undefined ? { moderate_comments: changes.moderateComments } : {}),
      // Members already in from a domain the list no longer names stay until an admin removes them.
      ...(allowedDomains !== undefined ? { allowed_domains: allowedDomains } : {}),
    };
    // An UPDATE without columns is a syntax error: a change of modules or profile only leaves the settings be.
    const settings = Object.keys(settingChanges).length === 0
      ? group.settings
      : await trx.updateTable("groups").set(settingChanges).where("actor_id", "=", group.actor.id).returningAll().executeTakeFirstOrThrow();
    if (modules !== undefined) {
      await trx.deleteFrom("group_modules").where("group_id", "=", group.actor.id).execute();
      if (modules.length) await trx.insertInto("group_modules").values(modules.map((module) => ({ group_id: group.actor.id, module }))).execute();
    }
    return { actor, settings, modules: modules ?? group.modules };
  });
}
