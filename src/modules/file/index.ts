/**
 * Files (Pleio's file plugin): a member shares a file in a group, with a
 * title and a description; everyone who may see the post may download it.
 * - storage: the bytes in the media storage (src/media), a `media` row, and
 *   this module's `file_posts` row per post (tables.ts, migrations.ts);
 * - Plein API: upload and download routes (routes.ts), `fields.file` on the content;
 * - ActivityStreams: a `Document` with `url` (a Link to the file, with its
 *   mediaType) and `mediaType` (activitypub.ts).
 */
import type { ContentModule, ModuleAttachment } from "../module.ts";
import { invalid } from "../../domain/errors.ts";
import { optionalString } from "../../api/mastodon/params.ts";
import { downloadUrl, readFile, renderFile } from "./activitypub.ts";
import { type FileData, filesOfPosts, saveFile } from "./files.ts";
import { fileMigrations } from "./migrations.ts";
import { fileOpenApi, fileSchemas } from "./openapi.ts";
import { mountFileRoutes } from "./routes.ts";

/** `fields.file` of a file post in the Plein API. */
export interface FileFields {
  name: string;
  /** the declared type (null: a remote link nobody typed) */
  media_type: string | null;
  /** bytes, known for files uploaded here */
  size: number | null;
  sha256: string | null;
  /** the file's own address: here for ours, on its server for another's */
  url: string | null;
  /** where this server serves it to whoever may see the post; null for a remote link that is not a file */
  download_url: string | null;
}

export const fileModule: ContentModule<FileData | null> = {
  name: "file",
  label: { en: "Files", nl: "Bestanden" },
  objectType: "Document",
  defaultOn: true,
  migrations: fileMigrations,
  parse(params, mode) {
    if (mode === "create") {
      throw invalid("A file is shared with POST /api/plein/v1/groups/{id}/files (multipart/form-data with file, title, description)");
    }
    const title = optionalString(params, "title");
    return { post: title !== undefined ? { name: title.trim() || null } : {}, data: null };
  },
  save: (trx, post, data) => saveFile(trx, post, data),
  async present(db, posts, _viewer, origin) {
    const files = await filesOfPosts(db, posts.map((p) => p.id));
    return new Map(posts.map((p): [string, { file: FileFields | null }] => {
      const file = files.get(p.id);
      if (!file) return [p.id, { file: null }];
      const ours = file.media_id !== null;
      // A remote link without a declared type (a Mobilizon resource) is a page to visit, not a file to fetch.
      const downloadable = ours || file.media_type !== null;
      return [p.id, {
        file: {
          name: file.file_name,
          media_type: file.media_type,
          size: file.size === null ? null : Number(file.size),
          sha256: file.sha256,
          url: ours ? downloadUrl(origin, p.id).href : file.url,
          download_url: downloadable ? downloadUrl(origin, p.id).href : null,
        },
      }];
    }));
  },
  async attachments(db, posts, origin) {
    const files = await filesOfPosts(db, posts.map((p) => p.id));
    const out = new Map<string, ModuleAttachment[]>();
    for (const p of posts) {
      const file = files.get(p.id);
      // Only a file this server serves or fetches: a typeless remote link is a page, not a file.
      if (!file || (file.media_id === null && file.media_type === null)) continue;
      out.set(p.id, [{ id: p.id, url: downloadUrl(origin, p.id).href, mediaType: file.media_type, description: file.file_name }]);
    }
    return out;
  },
  routes: mountFileRoutes,
  openapi: fileOpenApi,
  schemas: fileSchemas,
  activityPub: {
    render: renderFile,
    read: readFile,
  },
};
