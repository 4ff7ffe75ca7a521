import type { Post } from "../../../db/schema.ts";
import { type Poll, pollExpired } from "../../../domain/polls.ts";

/** https://docs.joinmastodon.org/entities/Poll/ (its id is its status's) */
export interface MastodonPoll {
  id: string;
  expires_at: string | null;
  expired: boolean;
  multiple: boolean;
  votes_count: number;
  voters_count: number | null;
  options: Array<{ title: string; votes_count: number | null }>;
  emojis: never[];
  /** for a signed-in viewer: has voted (the author counts as having voted, as in Mastodon) */
  voted?: boolean;
  own_votes?: number[];
}

/**
 * A poll as `viewer` (a local account id, or none) sees it. With
 * `hide_totals`, the options' counts are hidden from everyone but the
 * author until the poll ends.
 */
export function renderPoll(post: Pick<Post, "id" | "actor_id">, poll: Poll, viewer: { accountId?: string; ownVotes?: number[] }): MastodonPoll {
  const expired = pollExpired(poll);
  const isAuthor = viewer.accountId !== undefined && viewer.accountId === post.actor_id;
  const hidden = poll.hideTotals && !expired && !isAuthor;
  const votes = poll.options.reduce((sum, o) => sum + o.votes, 0);
  const ownVotes = viewer.ownVotes ?? [];
  return {
    id: post.id,
    expires_at: poll.endTime?.toISOString() ?? null,
    expired,
    multiple: poll.multiple,
    votes_count: votes,
    voters_count: poll.voters ?? (poll.multiple ? null : votes),
    options: poll.options.map((o) => ({ title: o.title, votes_count: hidden ? null : o.votes })),
    emojis: [],
    ...(viewer.accountId !== undefined ? { voted: isAuthor || ownVotes.length > 0, own_votes: ownVotes } : {}),
  };
}
