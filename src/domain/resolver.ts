import type { Actor, Post } from "../db/schema.ts";
import type { Viewer } from "./visibility.ts";

/** A remote file as its server answered: its bytes stream through, never past the size asked for. */
export interface RemoteMedia {
  /** the Content-Type the remote server declared (untrusted: serve by our own rules) */
  contentType: string | null;
  /** the Content-Length it declared, when it declared one */
  size: number | null;
  /** the bytes; the stream fails if they run past `maxBytes` */
  body: ReadableStream<Uint8Array>;
}

/** A remote file could not be fetched: refused address, too large, unreachable, an error status, too slow. */
export class RemoteMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteMediaError";
  }
}

/**
 * What the edges need from the network, implemented by federation/resolver.ts.
 * The domain and API call this interface; they never fetch anything themselves.
 */
export interface Resolver {
  /** `alice@host`, `@alice@host`, `acct:alice@host` or an actor URL; local names too. */
  resolveActor(query: string): Promise<Actor | undefined>;
  /** A post by its URL (fetched and stored if not known). */
  resolvePost(url: string): Promise<Post | undefined>;
  /**
   * Who signed an HTTP request (HTTP Signatures), for the visibility rule,
   * as the ActivityPub object dispatchers see it: anonymous when unsigned or
   * unverifiable. Give `postIri` when the request is about a post: when the
   * post is one of ours in a group on another server, that group is asked
   * whether the signer's server hosts a member.
   */
  requestViewer(request: Request, about?: { postIri?: string }): Promise<Viewer>;
  /**
   * Fetches a remote file (a member downloads another server's upload):
   * every hop's address checked (no private addresses unless
   * PLEIN_ALLOW_PRIVATE_ADDRESS), redirects capped, a deadline, at most
   * `maxBytes`; signed by this instance's actor on hops to `signedOrigin`
   * (the server whose closed content it is). Throws RemoteMediaError.
   */
  fetchMedia(url: string, options: { maxBytes: number; signedOrigin?: string }): Promise<RemoteMedia>;
}
