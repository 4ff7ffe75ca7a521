import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, ActorType } from "../db/schema.ts";
import { forbidden, invalid } from "./errors.ts";
import { isRowId } from "./ids.ts";
import { retireReplacedMedia } from "./remote-media.ts";

export interface RemoteActorInput {
  iri: string;
  type: ActorType;
  username: string;
  displayName: string;
  summaryHtml: string;
  url: string | null;
  avatarUrl: string | null;
  headerUrl: string | null;
  inbox: string | null;
  sharedInbox: string | null;
  outbox: string | null;
  followers: string | null;
  following: string | null;
  featured: string | null;
  manuallyApprovesFollowers: boolean;
  bot: boolean;
  fields: Array<{ name: string; value: string }>;
  followersCount: number | null;
  followingCount: number | null;
  postsCount: number | null;
}

const LIMITS = { username: 100, displayName: 500, summary: 20_000, fields: 20, fieldChars: 2_000 };

function clampCount(n: number): number {
  return Math.max(0, Math.min(Math.floor(n), 2 ** 31 - 1));
}

/** Stores what we learned about a remote actor; the handle's domain is the IRI's host. */
export async function upsertRemoteActor(db: Db, localHost: string, input: RemoteActorInput): Promise<Actor> {
  const iri = new URL(input.iri);
  if (iri.host === localHost) throw forbidden("A remote document may not claim a local actor");
  if (!input.username || input.username.length > LIMITS.username || /[\s@\p{Cc}]/u.test(input.username)) {
    throw invalid("Actor has no usable preferredUsername");
  }
  const fields = input.fields.slice(0, LIMITS.fields).map((f) => ({
    name: f.name.slice(0, LIMITS.fieldChars), value: f.value.slice(0, LIMITS.fieldChars),
  }));
  const values = {
    type: input.type,
    username: input.username,
    display_name: input.displayName.slice(0, LIMITS.displayName),
    summary_html: input.summaryHtml.slice(0, LIMITS.summary),
    url: input.url, avatar_url: input.avatarUrl, header_url: input.headerUrl,
    inbox_url: input.inbox, shared_inbox_url: input.sharedInbox, outbox_url: input.outbox,
    followers_url: input.followers, following_url: input.following, featured_url: input.featured,
    manually_approves_followers: input.manuallyApprovesFollowers, bot: input.bot,
    fields: JSON.stringify(fields),
    fetched_at: new Date(),
    updated_at: new Date(),
    gone_at: null,
  };
  // Counts the actor did not publish this time keep their stored value.
  const counts = {
    ...(input.followersCount === null ? {} : { followers_count: clampCount(input.followersCount) }),
    ...(input.followingCount === null ? {} : { following_count: clampCount(input.followingCount) }),
    ...(input.postsCount === null ? {} : { posts_count: clampCount(input.postsCount) }),
  };
  const before = await db.selectFrom("actors").select(["avatar_url", "header_url"]).where("iri", "=", iri.href).executeTakeFirst();
  const actor = await db.insertInto("actors")
    .values({ iri: iri.href, domain: iri.host, local: false, ...values, ...counts })
    .onConflict((oc) => oc.column("iri").doUpdateSet({ ...values, ...counts }))
    .returningAll().executeTakeFirstOrThrow();
  // A new picture has a new URL, fetched when first asked for; the old one's copy is let go.
  const replaced = [
    ...before?.avatar_url && before.avatar_url !== actor.avatar_url ? [{ kind: "avatar" as const, url: before.avatar_url }] : [],
    ...before?.header_url && before.header_url !== actor.header_url ? [{ kind: "header" as const, url: before.header_url }] : [],
  ];
  if (replaced.length) await retireReplacedMedia(db, replaced);
  return actor;
}

export function findActorByIri(db: Db, iri: string): Promise<Actor | undefined> {
  return db.selectFrom("actors").selectAll().where("iri", "=", iri).executeTakeFirst();
}

/** The actors among `iris` that are groups not gone, in the order of `iris` (one query). */
export async function findLiveGroupsByIris(db: Db, iris: readonly string[]): Promise<Actor[]> {
  const wanted = [...new Set(iris)];
  if (wanted.length === 0) return [];
  const rows = await db.selectFrom("actors").selectAll()
    // One statement text whatever the count (kept prepared: src/db/prepared-statements.ts).
    .where(sql<boolean>`actors.iri = any(${wanted}::text[])`).where("type", "=", "Group").where("gone_at", "is", null).execute();
  const byIri = new Map(rows.map((row) => [row.iri, row]));
  return wanted.flatMap((iri) => byIri.get(iri) ?? []);
}

export function findActorById(db: Db, id: string): Promise<Actor | undefined> {
  if (!isRowId(id)) return Promise.resolve(undefined);
  return db.selectFrom("actors").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findActorsByIds(db: Db, ids: readonly string[]): Promise<Actor[]> {
  const valid = [...new Set(ids)].filter(isRowId);
  return valid.length ? db.selectFrom("actors").selectAll().where("id", "in", valid).execute() : [];
}

export function findActorByHandle(db: Db, username: string, domain: string): Promise<Actor | undefined> {
  return db.selectFrom("actors").selectAll()
    .where((eb) => eb(eb.fn("lower", ["username"]), "=", username.toLowerCase()))
    .where((eb) => eb(eb.fn("lower", ["domain"]), "=", domain.toLowerCase()))
    .executeTakeFirst();
}

/** The actor answered 410 (or a Delete of itself): stop delivering, drop its follows and memberships. */
export async function markActorGone(db: Db, actorId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const res = await trx.updateTable("actors").set({ gone_at: new Date() }).where("id", "=", actorId).where("local", "=", false)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return;
    await trx.deleteFrom("follows").where((eb) => eb.or([eb("follower_id", "=", actorId), eb("followee_id", "=", actorId)])).execute();
    // A gone person leaves every group; a gone group loses its members here (their local rows).
    await trx.deleteFrom("memberships").where((eb) => eb.or([eb("member_id", "=", actorId), eb("group_id", "=", actorId)])).execute();
  });
}

/** Is an actor's data older than `maxAgeMs` (and so worth refetching)? */
export function isStale(actor: Actor, maxAgeMs = 24 * 3600 * 1000): boolean {
  return !actor.local && (!actor.fetched_at || Date.now() - actor.fetched_at.getTime() > maxAgeMs);
}
