import type { MastodonStatus } from "./status.ts";

/** https://docs.joinmastodon.org/entities/Context/ */
export interface MastodonContext {
  ancestors: MastodonStatus[];
  descendants: MastodonStatus[];
}
