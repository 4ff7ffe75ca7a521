import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { forbidden, invalid } from "./errors.ts";
import { enqueueDelivery } from "./jobs.ts";
import { formatPostText } from "./text.ts";
import { newActivityIriOf } from "./urls.ts";

/** Mastodon's defaults for profile sizes. */
export const PROFILE_LIMITS = { displayName: 30, note: 500, fields: 4, fieldName: 255, fieldValue: 255 } as const;

export interface ProfileChanges {
  displayName?: string;
  /** bio as plain text; links and hashtags become HTML */
  note?: string;
  locked?: boolean;
  /** hide followers and follows from everyone but the account itself */
  hideCollections?: boolean;
  bot?: boolean;
  fields?: Array<{ name: string; value: string }>;
}

/** Plain text of a bio or field → safe HTML (links and hashtags, no mentions resolved here). */
function bioHtml(origin: URL, text: string): string {
  return formatPostText(text, {
    mention: () => undefined,
    tagUrl: (tag) => new URL(`/tags/${encodeURIComponent(tag)}`, origin).href,
  }).html;
}

/**
 * A local account edits its profile. Followers' servers hear of it through an
 * Update of the actor, queued in the same transaction.
 */
export async function updateProfile(db: Db, origin: URL, actor: Actor, changes: ProfileChanges): Promise<Actor> {
  if (!actor.local || actor.type !== "Person") throw forbidden();
  const set: Partial<Pick<Actor, "display_name" | "summary_html" | "manually_approves_followers" | "hide_collections" | "bot">> & { fields?: string } = {};
  if (changes.displayName !== undefined) {
    const name = changes.displayName.trim();
    if ([...name].length > PROFILE_LIMITS.displayName) throw invalid(`Display name is longer than ${PROFILE_LIMITS.displayName} characters`);
    set.display_name = name;
  }
  if (changes.note !== undefined) {
    if ([...changes.note].length > PROFILE_LIMITS.note) throw invalid(`Bio is longer than ${PROFILE_LIMITS.note} characters`);
    set.summary_html = changes.note.trim() === "" ? "" : bioHtml(origin, changes.note);
  }
  if (changes.locked !== undefined) set.manually_approves_followers = changes.locked;
  if (changes.hideCollections !== undefined) set.hide_collections = changes.hideCollections;
  if (changes.bot !== undefined) set.bot = changes.bot;
  if (changes.fields !== undefined) {
    const fields = changes.fields.filter((f) => f.name.trim() !== "" || f.value.trim() !== "");
    if (fields.length > PROFILE_LIMITS.fields) throw invalid(`At most ${PROFILE_LIMITS.fields} profile fields`);
    for (const f of fields) {
      if ([...f.name].length > PROFILE_LIMITS.fieldName || [...f.value].length > PROFILE_LIMITS.fieldValue) {
        throw invalid(`Profile field names and values are at most ${PROFILE_LIMITS.fieldValue} characters`);
      }
    }
    set.fields = JSON.stringify(fields.map((f) => ({ name: f.name.trim(), value: bioHtml(origin, f.value.trim()) })));
  }
  if (Object.keys(set).length === 0) return actor;
  return db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable("actors").set({ ...set, updated_at: new Date() })
      .where("id", "=", actor.id).returningAll().executeTakeFirstOrThrow();
    await enqueueDelivery(trx, { type: "actor.update", actorId: actor.id, id: newActivityIriOf(actor, "update") }, actor.id);
    return updated;
  });
}
