/**
 * What this server knows of other servers' files it serves from its own
 * origin (avatars, headers, attachments of received posts): which files may
 * be fetched at all, and the cache's rows (table `remote_media`). The bytes
 * are in the media storage; fetching and storing is src/media/remote-cache.ts.
 */
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { RemoteMediaKind, RemoteMediaRow } from "../db/schema.ts";
import { findAttachment } from "./post-details.ts";
import { getVisiblePost } from "./posts/read.ts";
import { isRowId } from "./ids.ts";
import { readableByAnyone, type Viewer } from "./visibility.ts";

export const REMOTE_MEDIA_KINDS: readonly RemoteMediaKind[] = ["avatar", "header", "attachment"];

export function isRemoteMediaKind(value: string): value is RemoteMediaKind {
  return (REMOTE_MEDIA_KINDS as readonly string[]).includes(value);
}

/** A remote file this server may fetch: a URL it already knows, of this kind. */
export interface RemoteMediaSource {
  kind: RemoteMediaKind;
  url: string;
  /** the type the remote server declared for it (an attachment's mediaType), if any */
  declaredType: string | null;
}

/**
 * The remote file `kind` `id` stands for, as `viewer` may see it: a remote
 * actor's avatar or header, or an attachment of a remote post that anyone may
 * read and the visibility rule shows to `viewer`. Undefined for anything else
 * (a local actor, a post not everyone may read: those are served elsewhere),
 * so that only URLs this server already knows are ever fetched.
 */
export async function findRemoteMediaSource(db: Db, viewer: Viewer, kind: RemoteMediaKind, id: string): Promise<RemoteMediaSource | undefined> {
  if (kind === "attachment") {
    const attachment = await findAttachment(db, id);
    if (!attachment) return undefined;
    const post = await getVisiblePost(db, viewer, attachment.post_id);
    if (post.local || !readableByAnyone(post.visibility)) return undefined;
    return { kind, url: attachment.url, declaredType: attachment.media_type };
  }
  if (!isRowId(id)) return undefined;
  const actor = await db.selectFrom("actors").select(["local", "avatar_url", "header_url"]).where("id", "=", id).executeTakeFirst();
  if (!actor || actor.local) return undefined;
  const url = kind === "avatar" ? actor.avatar_url : actor.header_url;
  return url ? { kind, url, declaredType: null } : undefined;
}

/** Which cached copy: a URL of a kind, fetched unsigned or signed for an origin ("" unsigned). */
export interface RemoteMediaKey {
  kind: RemoteMediaKind;
  url: string;
  signedFor: string;
}

export function findCachedMedia(db: Db, key: RemoteMediaKey): Promise<RemoteMediaRow | undefined> {
  return db.selectFrom("remote_media").selectAll()
    .where("kind", "=", key.kind).where("url", "=", key.url).where("signed_for", "=", key.signedFor)
    .executeTakeFirst();
}

export interface FetchedMedia {
  storageKey: string;
  contentType: string;
  size: number;
  sha256: string;
}

/**
 * Records a fetched copy. Undefined when another process stored one first
 * (the caller drops its own copy and serves that one).
 */
export async function recordMediaFetched(db: Db, key: RemoteMediaKey, file: FetchedMedia): Promise<RemoteMediaRow | undefined> {
  const values = {
    storage_key: file.storageKey, content_type: file.contentType, size: file.size, sha256: file.sha256,
    fetched_at: new Date(), last_used_at: new Date(), failures: 0, failed_at: null, retry_at: null, failure: null,
  };
  return db.insertInto("remote_media")
    .values({ kind: key.kind, url: key.url, signed_for: key.signedFor, ...values })
    .onConflict((oc) => oc.constraint("remote_media_source").doUpdateSet(values).where("remote_media.storage_key", "is", null))
    .returningAll().executeTakeFirst();
}

/** The first retry waits this long; each further failure doubles it, up to a day. */
export const FAILURE_BACKOFF = { firstMs: 5 * 60 * 1000, maxMs: 24 * 3600 * 1000 } as const;

const FAILURE_CHARS = 500;

/** Remembers that fetching failed, and until when not to try again. */
export async function recordMediaFailure(db: Db, key: RemoteMediaKey, reason: string): Promise<RemoteMediaRow> {
  const failure = reason.slice(0, FAILURE_CHARS);
  const backoff = sql<Date>`now() + least(${FAILURE_BACKOFF.firstMs}::double precision * power(2, least(remote_media.failures, 20)), ${FAILURE_BACKOFF.maxMs}) * interval '1 millisecond'`;
  return db.insertInto("remote_media")
    .values({
      kind: key.kind, url: key.url, signed_for: key.signedFor, storage_key: null,
      failures: 1, failed_at: new Date(), failure,
      retry_at: sql<Date>`now() + ${FAILURE_BACKOFF.firstMs}::double precision * interval '1 millisecond'`,
    })
    .onConflict((oc) => oc.constraint("remote_media_source").doUpdateSet({
      failures: sql<number>`remote_media.failures + 1`,
      failed_at: new Date(),
      failure,
      retry_at: backoff,
    }))
    .returningAll().executeTakeFirstOrThrow();
}

/** How often a served copy's last use is written: not once per request. */
const TOUCH_EVERY = "1 hour";

/** Marks a copy as used now (at most once an hour). */
export async function touchCachedMedia(db: Db, id: string): Promise<void> {
  await db.updateTable("remote_media").set({ last_used_at: sql<Date>`now()` })
    .where("id", "=", id)
    .where("last_used_at", "<", sql<Date>`now() - interval ${sql.lit(TOUCH_EVERY)}`)
    .execute();
}

/** Forgets a copy whose bytes are gone from the storage (it is fetched again when next asked for). */
export async function forgetCachedMedia(db: Db, id: string): Promise<void> {
  await db.deleteFrom("remote_media").where("id", "=", id).execute();
}

/** Copies (and remembered failures) unused for `days`, oldest first, at most `limit`. */
export function unusedCachedMedia(db: Db, days: number, limit: number): Promise<Array<{ id: string; storage_key: string | null }>> {
  return db.selectFrom("remote_media").select(["id", "storage_key"])
    .where("last_used_at", "<", sql<Date>`now() - ${days}::double precision * interval '1 day'`)
    .orderBy("last_used_at").limit(limit)
    .execute();
}

/**
 * An actor's avatar or header changed: the copies of the URLs it no longer
 * uses count as unused from now on, so that housekeeping drops them next.
 */
export async function retireReplacedMedia(db: Db, replaced: Array<{ kind: RemoteMediaKind; url: string }>): Promise<void> {
  for (const { kind, url } of replaced) {
    await db.updateTable("remote_media").set({ last_used_at: new Date(0) }).where("kind", "=", kind).where("url", "=", url).execute();
  }
}
