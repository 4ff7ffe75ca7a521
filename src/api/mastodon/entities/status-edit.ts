import type { AppContext } from "../../../context.ts";
import type { Post } from "../../../db/schema.ts";
import { notFound } from "../../../domain/errors.ts";
import type { PostVersion } from "../../../domain/posts/history.ts";
import { escapeHtml } from "../../../domain/text.ts";
import type { Viewer } from "../../../domain/visibility.ts";
import type { MastodonAccount } from "./account.ts";
import { type MastodonMediaAttachment, renderStatus } from "./status.ts";

/** https://docs.joinmastodon.org/entities/StatusEdit/ */
export interface MastodonStatusEdit {
  content: string;
  spoiler_text: string;
  sensitive: boolean;
  created_at: string;
  account: MastodonAccount;
  media_attachments: MastodonMediaAttachment[];
  emojis: never[];
}

/** https://docs.joinmastodon.org/entities/StatusSource/ */
export interface MastodonStatusSource {
  id: string;
  text: string;
  spoiler_text: string;
}

/**
 * The versions of a post, oldest first. Earlier versions keep their text;
 * attachments are shown as they are now (Plein keeps no earlier ones).
 */
export async function renderStatusEdits(deps: AppContext, viewer: Viewer, post: Post, versions: PostVersion[]): Promise<MastodonStatusEdit[]> {
  const current = await renderStatus(deps, viewer, post);
  if (!current) throw notFound();
  return versions.map((v) => ({
    content: (v.name && post.type !== "Note" ? `<p><strong>${escapeHtml(v.name)}</strong></p>` : "") + v.contentHtml,
    spoiler_text: v.summary ?? "",
    sensitive: v.sensitive,
    created_at: v.createdAt.toISOString(),
    account: current.account,
    media_attachments: current.media_attachments,
    emojis: [],
  }));
}

export function renderStatusSource(post: Post): MastodonStatusSource {
  return { id: post.id, text: post.content_source ?? "", spoiler_text: post.summary ?? "" };
}
