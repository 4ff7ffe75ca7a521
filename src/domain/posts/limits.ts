/** Caps on what one post may carry, for local and remote posts alike. */
import { invalid } from "../errors.ts";

/** Caps that bound what one post can carry (ours and remote ones alike). */
export const LIMITS = {
  contentChars: 100_000,
  summaryChars: 2_000,
  nameChars: 1_000,
  mentions: 50,
  tags: 50,
  attachments: 16,
  urlChars: 2_048,
} as const;

export interface AttachmentInput {
  url: string;
  mediaType?: string | null;
  description?: string | null;
  width?: number | null;
  height?: number | null;
  blurhash?: string | null;
  /** our own upload it shows (src/domain/uploads.ts) */
  mediaId?: string | null;
  previewUrl?: string | null;
  previewWidth?: number | null;
  previewHeight?: number | null;
  focusX?: number | null;
  focusY?: number | null;
}

export function checkLengths(p: { contentHtml: string; summary?: string | null; name?: string | null; mentionIds?: string[]; tags?: string[]; attachments?: AttachmentInput[] }) {
  if (p.contentHtml.length > LIMITS.contentChars) throw invalid(`Text is longer than ${LIMITS.contentChars} characters`);
  if ((p.summary?.length ?? 0) > LIMITS.summaryChars) throw invalid(`Content warning is longer than ${LIMITS.summaryChars} characters`);
  if ((p.name?.length ?? 0) > LIMITS.nameChars) throw invalid(`Title is longer than ${LIMITS.nameChars} characters`);
  if ((p.mentionIds?.length ?? 0) > LIMITS.mentions) throw invalid(`At most ${LIMITS.mentions} mentions`);
  if ((p.tags?.length ?? 0) > LIMITS.tags) throw invalid(`At most ${LIMITS.tags} hashtags`);
  if ((p.attachments?.length ?? 0) > LIMITS.attachments) throw invalid(`At most ${LIMITS.attachments} attachments`);
}
