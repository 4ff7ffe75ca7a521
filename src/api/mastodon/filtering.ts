/**
 * The viewer's filters applied to rendered statuses (src/domain/filters.ts
 * decides what matches): a post matched by a `hide` filter is left out, one
 * matched otherwise carries Mastodon's `filtered` results. The viewer's own
 * posts are never filtered (as Mastodon). Lists are paged on the rows before
 * filtering, so a page may come back shorter, never with a gap.
 */
import type { AppContext } from "../../context.ts";
import type { FilterContext, Post } from "../../db/schema.ts";
import { activeFilters, type Filter, matchFilters } from "../../domain/filters.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { renderFilterResult } from "./entities/filter.ts";
import type { MastodonNotification } from "./entities/notification.ts";
import { type MastodonStatus, renderStatuses } from "./entities/status.ts";

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " };

/** The plain text of a status's HTML: tags gone, line breaks and paragraphs as new lines, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    });
}

/** What a filter's keywords are matched against: the content warning, the text, the media descriptions. */
function statusText(s: MastodonStatus): string {
  return [s.spoiler_text, htmlToText(s.content), ...s.media_attachments.map((a) => a.description ?? "")].join("\n\n");
}

/** The filter results for one status (a boost: its original's), or "hide". */
function judge(filters: readonly Filter[], me: string, status: MastodonStatus): ReturnType<typeof renderFilterResult>[] | "hide" {
  const content = status.reblog ?? status;
  if (content.account.id === me) return [];
  const matches = matchFilters(filters, { id: content.id, text: statusText(content) });
  if (matches.some((m) => m.filter.action === "hide")) return "hide";
  return matches.map(renderFilterResult);
}

function mark(status: MastodonStatus, results: ReturnType<typeof renderFilterResult>[]): MastodonStatus {
  if (results.length === 0) return status;
  return status.reblog
    ? { ...status, filtered: results, reblog: { ...status.reblog, filtered: results } }
    : { ...status, filtered: results };
}

export async function applyFilters(deps: AppContext, viewer: Viewer, context: FilterContext, statuses: MastodonStatus[]): Promise<MastodonStatus[]> {
  if (viewer.kind !== "local" || statuses.length === 0) return statuses;
  return filtered(await activeFilters(deps.db, viewer.actorId, context), viewer.actorId, statuses);
}

function filtered(filters: Awaited<ReturnType<typeof activeFilters>>, viewerId: string, statuses: MastodonStatus[]): MastodonStatus[] {
  if (filters.length === 0) return statuses;
  const out: MastodonStatus[] = [];
  for (const s of statuses) {
    const results = judge(filters, viewerId, s);
    if (results !== "hide") out.push(mark(s, results));
  }
  return out;
}

/** renderStatuses, then the viewer's filters of `context` (read while the posts are rendered). */
export async function renderFilteredStatuses(deps: AppContext, viewer: Viewer, posts: Post[], context: FilterContext): Promise<MastodonStatus[]> {
  if (viewer.kind !== "local" || posts.length === 0) return renderStatuses(deps, viewer, posts);
  const [statuses, filters] = await Promise.all([
    renderStatuses(deps, viewer, posts),
    activeFilters(deps.db, viewer.actorId, context),
  ]);
  return filtered(filters, viewer.actorId, statuses);
}

/** The recipient's `notifications` filters on notifications about posts. */
export async function applyNotificationFilters(deps: AppContext, recipientId: string, notifications: MastodonNotification[]): Promise<MastodonNotification[]> {
  if (!notifications.some((n) => n.status)) return notifications;
  const filters = await activeFilters(deps.db, recipientId, "notifications");
  if (filters.length === 0) return notifications;
  const out: MastodonNotification[] = [];
  for (const n of notifications) {
    if (!n.status) {
      out.push(n);
      continue;
    }
    const results = judge(filters, recipientId, n.status);
    if (results !== "hide") out.push({ ...n, status: mark(n.status, results) });
  }
  return out;
}
