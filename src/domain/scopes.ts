import type { Visibility } from "../db/schema.ts";

/**
 * What each scope means, written once. Translation (ActivityPub addressing in
 * and out), delivery (the audience), the visibility rule (who may read) and
 * the Mastodon API (its names) read this table; none keeps its own list.
 */
export interface Scope {
  /** Does a post of this scope ever leave the instance? */
  federates: boolean;
  /** May someone who sees it boost it (Announce it to their own followers)? */
  boostable: boolean;
  /**
   * Its ActivityPub addressing: `public` (as:Public in to), `unlisted` (in
   * cc), `followers` (the author's followers collection), `direct` (the
   * mentioned only), `group` (the group and its members collection, never
   * as:Public), `none` (never rendered for delivery).
   */
  addressing: "public" | "unlisted" | "followers" | "direct" | "group" | "none";
  /** Whose servers receive it. */
  audience: "followers-and-mentioned" | "mentioned" | "group-members" | "nobody";
  /** Who may read it besides its author. */
  readers: "anyone" | "followers-and-mentioned" | "mentioned" | "local-accounts" | "group-members";
  /** The visibility Mastodon clients are shown. */
  mastodon: "public" | "unlisted" | "private" | "direct";
  /** The name a Mastodon client composes it with, when it may choose it. */
  composedAs: "public" | "unlisted" | "private" | "direct" | null;
}

export const SCOPES = {
  public: {
    federates: true, boostable: true, addressing: "public", audience: "followers-and-mentioned",
    readers: "anyone", mastodon: "public", composedAs: "public",
  },
  unlisted: {
    federates: true, boostable: true, addressing: "unlisted", audience: "followers-and-mentioned",
    readers: "anyone", mastodon: "unlisted", composedAs: "unlisted",
  },
  followers: {
    federates: true, boostable: false, addressing: "followers", audience: "followers-and-mentioned",
    readers: "followers-and-mentioned", mastodon: "private", composedAs: "private",
  },
  direct: {
    federates: true, boostable: false, addressing: "direct", audience: "mentioned",
    readers: "mentioned", mastodon: "direct", composedAs: "direct",
  },
  /** Pleio's "logged in": signed-in people of this instance, never federated. */
  instance: {
    federates: false, boostable: false, addressing: "none", audience: "nobody",
    readers: "local-accounts", mastodon: "private", composedAs: null,
  },
  /** Current members of one group (a closed or secret group's content). */
  group: {
    federates: true, boostable: false, addressing: "group", audience: "group-members",
    readers: "group-members", mastodon: "private", composedAs: null,
  },
} as const satisfies Record<Visibility, Scope>;

export const VISIBILITIES = Object.keys(SCOPES) as Visibility[];

/** The scopes whose readers are `readers`. */
export function scopesRead(readers: Scope["readers"]): Visibility[] {
  return VISIBILITIES.filter((v) => SCOPES[v].readers === readers);
}

/** The scope a Mastodon client means by `name` when composing, if it may choose one by that name. */
export function scopeComposedAs(name: string): Visibility | undefined {
  return VISIBILITIES.find((v) => SCOPES[v].composedAs === name);
}

/** The scope with this ActivityPub addressing. */
export function scopeAddressedAs(addressing: Scope["addressing"]): Visibility {
  const found = VISIBILITIES.find((v) => SCOPES[v].addressing === addressing);
  if (!found) throw new TypeError(`No scope is addressed as ${addressing}`);
  return found;
}
