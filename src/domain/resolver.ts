import type { Actor, Post } from "../db/schema.ts";

/**
 * What the edges need from the network, implemented by federation/remote.ts.
 * The domain and API call this interface; they never fetch anything themselves.
 */
export interface Resolver {
  /** `alice@host`, `@alice@host`, `acct:alice@host` or an actor URL; local names too. */
  resolveActor(query: string): Promise<Actor | undefined>;
  /** A post by its URL (fetched and stored if not known). */
  resolvePost(url: string): Promise<Post | undefined>;
}
