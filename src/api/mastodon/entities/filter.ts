import type { Filter, FilterKeyword, FilterMatch, FilterStatus } from "../../../domain/filters.ts";

/** https://docs.joinmastodon.org/entities/FilterKeyword/ */
export function renderFilterKeyword(k: FilterKeyword) {
  return { id: k.id, keyword: k.keyword, whole_word: k.wholeWord };
}

/** https://docs.joinmastodon.org/entities/FilterStatus/ */
export function renderFilterStatus(s: FilterStatus) {
  return { id: s.id, status_id: s.postId };
}

/** https://docs.joinmastodon.org/entities/Filter/ */
export function renderFilter(f: Filter) {
  return {
    id: f.id,
    title: f.title,
    context: f.context,
    expires_at: f.expiresAt ? f.expiresAt.toISOString() : null,
    filter_action: f.action,
    keywords: f.keywords.map(renderFilterKeyword),
    statuses: f.statuses.map(renderFilterStatus),
  };
}

export type MastodonFilter = ReturnType<typeof renderFilter>;

/** https://docs.joinmastodon.org/entities/FilterResult/ */
export interface MastodonFilterResult {
  filter: MastodonFilter;
  keyword_matches: string[] | null;
  status_matches: string[] | null;
}

export function renderFilterResult(m: FilterMatch): MastodonFilterResult {
  return { filter: renderFilter(m.filter), keyword_matches: m.keywordMatches, status_matches: m.statusMatches };
}

/**
 * https://docs.joinmastodon.org/entities/V1_Filter/: Mastodon 4 shows each
 * keyword of a v2 filter as one v1 filter (`irreversible` for `hide`).
 */
export function renderV1Filters(f: Filter) {
  return f.keywords.map((k) => ({
    id: k.id,
    phrase: k.keyword,
    context: f.context,
    whole_word: k.wholeWord,
    expires_at: f.expiresAt ? f.expiresAt.toISOString() : null,
    irreversible: f.action === "hide",
  }));
}
