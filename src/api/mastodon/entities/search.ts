import type { MastodonAccount } from "./account.ts";
import type { MastodonStatus } from "./status.ts";

/** https://docs.joinmastodon.org/entities/Tag/ */
export interface MastodonSearchTag {
  name: string;
  url: string;
  history: Array<{ day: string; uses: string; accounts: string }>;
}

/** https://docs.joinmastodon.org/entities/Search/ */
export interface MastodonSearch {
  accounts: MastodonAccount[];
  statuses: MastodonStatus[];
  hashtags: MastodonSearchTag[];
}

