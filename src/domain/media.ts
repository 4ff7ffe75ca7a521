/** What is known of uploaded files (the `media` table); their bytes are in the media storage (src/media). */
import type { Db } from "../db/database.ts";
import type { Actor, Media } from "../db/schema.ts";
import { forbidden } from "./errors.ts";
import { isRowId } from "./ids.ts";

export interface NewMedia {
  storageKey: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** Records a file a local account uploaded (its bytes already kept under `storageKey`). */
export async function recordMedia(db: Db, owner: Actor, media: NewMedia): Promise<Media> {
  if (!owner.local) throw forbidden();
  return db.insertInto("media").values({
    owner_id: owner.id,
    storage_key: media.storageKey,
    file_name: media.fileName,
    content_type: media.contentType,
    size: media.size,
    sha256: media.sha256,
  }).returningAll().executeTakeFirstOrThrow();
}

export async function findMedia(db: Db, id: string): Promise<Media | undefined> {
  if (!isRowId(id)) return undefined;
  return db.selectFrom("media").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findMediaByIds(db: Db, ids: readonly string[]): Promise<Map<string, Media>> {
  const valid = ids.filter(isRowId);
  if (valid.length === 0) return new Map();
  const rows = await db.selectFrom("media").selectAll().where("id", "in", valid).execute();
  return new Map(rows.map((m) => [m.id, m]));
}
