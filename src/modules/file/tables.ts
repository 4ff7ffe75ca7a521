/** The file module's own table: the file each file post carries (src/modules/file/migrations.ts). */
import type { ColumnType, Kysely, Selectable } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Db } from "../../db/database.ts";

type Int8 = ColumnType<string | null, number | string | null, number | string | null>;

// Type aliases, not interfaces: Kysely's withTables wants index-signature-compatible types.
export type FilePostsTable = {
  post_id: string;
  /** our upload (a local post); null for another server's file */
  media_id: string | null;
  /** another server's file (a remote post); null for our upload */
  url: string | null;
  /** cleaned of paths and control characters */
  file_name: string;
  /** the declared type, normalised; null when nobody declared one (a remote link, such as a Mobilizon resource) */
  media_type: string | null;
  /** bytes; known for our uploads only */
  size: Int8;
  /** hex; known for our uploads only */
  sha256: string | null;
};

export type FileTables = {
  file_posts: FilePostsTable;
};

export type FilePost = Selectable<FilePostsTable>;

/** The database with the module's tables, for its own queries. */
export function fileDb(db: Db): Kysely<Database & FileTables> {
  return db.withTables<FileTables>();
}
