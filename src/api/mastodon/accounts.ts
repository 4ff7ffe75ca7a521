import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import type { AppContext } from "../../context.ts";
import type { Db } from "../../db/database.ts";
import type { Actor } from "../../db/schema.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import { block, unblock } from "../../domain/blocks.ts";
import { mute, unmute } from "../../domain/mutes.ts";
import { MAX_PINS, pinnedPosts } from "../../domain/pins.ts";
import { follow, unfollow } from "../../domain/follows.ts";
import { findGroup, type GroupView } from "../../domain/groups.ts";
import { canSeeMembers, join, leave, listMemberships } from "../../domain/membership.ts";
import { updateProfile } from "../../domain/profiles.ts";
import { canSeeNetwork, familiarFollowers, listFollowers, listFollowing, relationshipsOf, setAccountNote } from "../../domain/relationships.ts";
import { findActorByHandle, findActorById } from "../../domain/remote-actors.ts";
import { actorPosts, groupPosts } from "../../domain/timelines.ts";
import { handleDomain } from "../../domain/urls.ts";
import { type ApiContext, type ApiEnv, currentAccount, optionalAuth, requireAuth, viewerOf } from "./auth.ts";
import { renderAccount, renderAccountList, renderCredentialAccount } from "./entities/account.ts";
import { renderRelationship } from "./entities/relationship.ts";
import { allowProfileImageUploads, applyProfileImages } from "./profile-images.ts";
import { renderFilteredStatuses } from "./filtering.ts";
import { idList, limitParam, offsetParam, optionalBoolean, optionalInteger, optionalString, pageParams, type Params, pathId, queryParams, readParams, setLinkHeader, TAG } from "./params.ts";
import { searchAccounts } from "./search.ts";

/** Accounts the API shows: people and groups, not the instance actor. */
function isAccount(actor: Actor | undefined): actor is Actor {
  return actor !== undefined && !(actor.local && actor.type === "Application");
}

export async function findAccount(db: Db, id: string): Promise<Actor> {
  const actor = await findActorById(db, id);
  if (!isAccount(actor)) throw notFound();
  return actor;
}

async function relationshipJson(c: ApiContext, me: Actor, target: Actor) {
  const [rel] = await relationshipsOf(c.get("deps").db, me.id, [target.id]);
  return c.json(renderRelationship(rel!));
}

/** The group an account is, when it is one (local or remote). */
async function groupOf(db: Db, actor: Actor): Promise<GroupView | undefined> {
  return actor.type === "Group" ? findGroup(db, actor.id) : undefined;
}

/** Familiar followers: at most this many accounts asked about, and shown for each. */
const MAX_FAMILIAR_TARGETS = 40;
const MAX_FAMILIAR_PER_TARGET = 40;

/** `languages[]=nl&languages[]=en` (or JSON): ISO 639-1 codes, checked by the domain; empty: all languages. */
function languagesParam(params: Params): string[] | null | undefined {
  const v = params["languages"];
  if (v === undefined) return undefined;
  const values = Array.isArray(v) ? v : v === null || v === "" ? [] : [v];
  if (!values.every((x): x is string => typeof x === "string")) throw invalid("languages must be language codes");
  const codes = values.filter((x) => x !== "").map((x) => x.toLowerCase());
  return codes.length ? codes : null;
}

/** At most this many ids per relationships request; the rest are ignored. */
const MAX_RELATIONSHIPS = 80;

/** /api/v1/accounts: profiles, their posts and follows, follow and unfollow. */
export function mountAccounts(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  r.get("/verify_credentials", requireAuth("read:accounts", "profile"), async (c) => {
    return c.json(await renderCredentialAccount(c.get("deps"), currentAccount(c)));
  });

  allowProfileImageUploads();
  r.patch("/update_credentials", requireAuth("write:accounts"), async (c) => {
    const deps = c.get("deps");
    const params = await readParams(c);
    const withImages = await applyProfileImages(c, params, currentAccount(c));
    if (withImages instanceof Response) return withImages;
    const updated = await updateProfile(deps.db, deps.config.origin, withImages, {
      ...definedEntry("displayName", optionalString(params, "display_name")),
      ...definedEntry("note", optionalString(params, "note")),
      ...definedEntry("locked", optionalBoolean(params, "locked")),
      ...definedEntry("hideCollections", optionalBoolean(params, "hide_collections")),
      ...definedEntry("bot", optionalBoolean(params, "bot")),
      ...definedEntry("fields", profileFields(params)),
    });
    return c.json(await renderCredentialAccount(deps, updated));
  });

  r.get("/lookup", optionalAuth("read:accounts"), async (c) => {
    const deps = c.get("deps");
    const acct = optionalString(queryParams(c), "acct")?.trim().replace(/^@/, "").replace(/^acct:/i, "");
    if (!acct) throw invalid("acct is required");
    const at = acct.indexOf("@");
    const username = at < 0 ? acct : acct.slice(0, at);
    const domain = at < 0 ? handleDomain(deps.config.origin) : acct.slice(at + 1);
    if (!username || !domain || domain.includes("@") || acct.length > 512) throw notFound();
    const actor = await findActorByHandle(deps.db, username, domain);
    if (!isAccount(actor)) throw notFound();
    return c.json(await renderAccount(deps, actor, viewerOf(c)));
  });

  r.get("/relationships", requireAuth("read:follows"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const ids = idList(queryParams(c), "id", MAX_RELATIONSHIPS);
    const rels = await relationshipsOf(deps.db, me.id, ids);
    // Only accounts that exist get an answer, like Mastodon.
    return c.json(rels.map(renderRelationship));
  });

  r.get("/familiar_followers", requireAuth("read:follows"), async (c) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const viewer = viewerOf(c);
    const targets = (await Promise.all(idList(queryParams(c), "id", MAX_FAMILIAR_TARGETS).map((id) => findActorById(deps.db, id))))
      .filter(isAccount);
    const familiar = await familiarFollowers(deps.db, me.id, targets.map((t) => t.id), MAX_FAMILIAR_PER_TARGET);
    return c.json(await Promise.all(targets.map(async (target) => ({
      id: target.id,
      // A hidden network stays hidden: nobody learns who follows it, not even from a familiar face.
      accounts: await canSeeNetwork(deps.db, viewer, target) ? await renderAccountList(deps, familiar.get(target.id) ?? [], viewer) : [],
    }))));
  });

  r.get("/search", requireAuth("read:accounts"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const params = queryParams(c);
    const q = optionalString(params, "q")?.trim();
    if (!q) throw invalid("q is required");
    const found = await searchAccounts(deps, viewer, {
      q, limit: limitParam(params, 40, 80), offset: offsetParam(params, 1_000),
      resolve: optionalBoolean(params, "resolve") ?? false,
      following: optionalBoolean(params, "following") ?? false,
    });
    return c.json(await renderAccountList(deps, found, viewer));
  });

  r.get("/:id", optionalAuth("read:accounts"), async (c) => {
    const deps = c.get("deps");
    return c.json(await renderAccount(deps, await findAccount(deps.db, pathId(c)), viewerOf(c)));
  });

  r.get("/:id/statuses", optionalAuth("read:statuses"), async (c) => {
    const deps = c.get("deps");
    const viewer = viewerOf(c);
    const actor = await findAccount(deps.db, pathId(c));
    const params = queryParams(c);
    const page = pageParams(params);
    const excludeReplies = optionalBoolean(params, "exclude_replies") ?? false;
    const excludeReblogs = optionalBoolean(params, "exclude_reblogs") ?? false;
    const onlyMedia = optionalBoolean(params, "only_media") ?? false;
    const tagged = optionalString(params, "tagged")?.replace(/^#/, "").toLowerCase();
    // A name that can be no hashtag is carried by no post (as Mastodon: an empty list).
    if (tagged !== undefined && tagged !== "" && !TAG.test(tagged)) return c.json([]);
    const onlyTag = tagged === "" ? undefined : tagged;
    // A group's statuses are what is posted in it.
    const posts = optionalBoolean(params, "pinned")
      ? await pinnedPosts(deps.db, viewer, actor.id, { ...page, limit: Math.min(page.limit, MAX_PINS) }, onlyTag)
      : actor.type === "Group"
      ? await groupPosts(deps.db, viewer, actor.id, page, { excludeReplies, tagged: onlyTag })
      : await actorPosts(deps.db, viewer, actor.id, page, { excludeReplies, excludeReblogs, tagged: onlyTag });
    setLinkHeader(c, posts.map((p) => p.id));
    const statuses = await renderFilteredStatuses(deps, viewer, posts, "account");
    return c.json(onlyMedia ? statuses.filter((s) => (s.reblog ?? s).media_attachments.length > 0) : statuses);
  });

  // Plein has no featured hashtags: an empty list for an account that exists.
  r.get("/:id/featured_tags", optionalAuth("read:accounts"), async (c) => {
    await findAccount(c.get("deps").db, pathId(c));
    return c.json([]);
  });

  // A hidden network is an empty list (Mastodon's answer), not an error.
  for (const [path, list] of [["followers", listFollowers], ["following", listFollowing]] as const) {
    r.get(`/:id/${path}`, optionalAuth("read:accounts"), async (c) => {
      const deps = c.get("deps");
      const viewer = viewerOf(c);
      const actor = await findAccount(deps.db, pathId(c));
      const page = pageParams(queryParams(c));
      const group = await groupOf(deps.db, actor);
      if (group) {
        // A group's followers are its current members, shown to whoever may see them; it follows nobody.
        if (path === "following" || !(await canSeeMembers(deps.db, viewer, group))) return c.json([]);
        const members = await listMemberships(deps.db, group.actor.id, "member", page);
        setLinkHeader(c, members.map((m) => m.cursor));
        return c.json(await renderAccountList(deps, members.map((m) => m.actor), viewer));
      }
      if (!(await canSeeNetwork(deps.db, viewer, actor))) return c.json([]);
      const entries = await list(deps.db, actor.id, page);
      setLinkHeader(c, entries.map((e) => e.cursor));
      return c.json(await renderAccountList(deps, entries.map((e) => e.actor), viewer));
    });
  }

  // Following a group is joining it (a request, for a group whose admins approve members); unfollowing is leaving.
  // Following again changes the options given (reblogs, notify, languages), as Mastodon.
  r.post("/:id/follow", requireAuth("write:follows"), relationshipAction(async (deps, me, target, params) => {
    const reblogs = optionalBoolean(params, "reblogs");
    const notify = optionalBoolean(params, "notify");
    const languages = languagesParam(params);
    const group = await groupOf(deps.db, target);
    if (group) await join(deps.db, deps.config.origin, group, me);
    else {
      await follow(deps.db, deps.config.origin, me, target, {
        ...(reblogs !== undefined ? { reblogs } : {}), ...(notify !== undefined ? { notify } : {}), ...(languages !== undefined ? { languages } : {}),
      });
    }
  }));
  r.post("/:id/note", requireAuth("write:accounts"), relationshipAction(async (deps, me, target, params) => {
    await setAccountNote(deps.db, me, target, optionalString(params, "comment") ?? "");
  }));
  r.post("/:id/unfollow", requireAuth("write:follows"), relationshipAction(async (deps, me, target) => {
    const group = await groupOf(deps.db, target);
    if (group) await leave(deps.db, group, me);
    else await unfollow(deps.db, me, target);
  }));
  r.post("/:id/block", requireAuth("write:blocks"),
    relationshipAction((deps, me, target) => block(deps.db, deps.config.origin, me, target)));
  r.post("/:id/unblock", requireAuth("write:blocks"), relationshipAction((deps, me, target) => unblock(deps.db, me, target)));
  r.post("/:id/mute", requireAuth("write:mutes"), relationshipAction((deps, me, target, params) => mute(deps.db, me, target, {
    notifications: optionalBoolean(params, "notifications") ?? true,
    durationSeconds: optionalInteger(params, "duration") ?? 0,
  })));
  r.post("/:id/unmute", requireAuth("write:mutes"), relationshipAction((deps, me, target) => unmute(deps.db, me, target)));

  app.route("/api/v1/accounts", r);
}

/** A POST on another account that changes how the two relate, answered with the new Relationship. */
function relationshipAction(action: (deps: AppContext, me: Actor, target: Actor, params: Params) => Promise<unknown>) {
  return async (c: ApiContext) => {
    const deps = c.get("deps");
    const me = currentAccount(c);
    const target = await findAccount(deps.db, pathId(c));
    await action(deps, me, target, await readParams(c));
    return relationshipJson(c, me, target);
  };
}

function definedEntry<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * `fields_attributes` as Mastodon takes it: a JSON array or index-keyed object of
 * `{ name, value }`, or form keys `fields_attributes[0][name]`.
 */
function profileFields(params: Params): Array<{ name: string; value: string }> | undefined {
  const entries = new Map<string, { name?: unknown; value?: unknown }>();
  const raw = params["fields_attributes"];
  if (raw !== undefined) {
    if (typeof raw !== "object" || raw === null) throw invalid("fields_attributes must be a list of { name, value }");
    for (const [index, field] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof field !== "object" || field === null) throw invalid("fields_attributes must be a list of { name, value }");
      entries.set(index, field as { name?: unknown; value?: unknown });
    }
  }
  for (const [key, value] of Object.entries(params)) {
    const m = /^fields_attributes\[(\d{1,2})\]\[(name|value)\]$/.exec(key);
    if (!m) continue;
    const entry = entries.get(m[1]!) ?? {};
    entry[m[2] as "name" | "value"] = value;
    entries.set(m[1]!, entry);
  }
  if (entries.size === 0) return undefined;
  return [...entries.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, f]) => {
    const name = f.name ?? "", value = f.value ?? "";
    if (typeof name !== "string" || typeof value !== "string") throw invalid("Profile field names and values must be text");
    return { name, value };
  });
}
