/** How the files pages show a file: its size in words, its download link (the file module's route, which asks the visibility rule). */
import { html } from "hono/html";
import type { FilePost } from "../../modules/file/tables.ts";
import type { Html } from "../layout.ts";
import type { ModuleTexts } from "./texts.ts";

export function downloadPath(postId: string): string {
  return `/api/plein/v1/posts/${postId}/file`;
}

export function fileSize(size: string | number | null): string {
  if (size === null) return "?";
  const n = Number(size);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A typeless remote link is a page to visit, not a file to download (as the module presents it). */
export function fileLink(m: ModuleTexts, postId: string, file: FilePost): Html {
  if (file.media_id === null && file.media_type === null && file.url) return html`<a href="${file.url}">${file.file_name}</a>`;
  return html`<a href="${downloadPath(postId)}" download aria-label="${m.download(file.file_name)}">${file.file_name}</a>`;
}
