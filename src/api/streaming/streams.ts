/**
 * Mastodon's stream names (https://docs.joinmastodon.org/methods/streaming/):
 * which ones Plein serves, what each needs (a token, a scope, a tag) and how
 * it is named in a WebSocket message's `stream` array.
 */
import { isRowId } from "../../domain/ids.ts";

export const STREAM_NAMES = ["user", "user:notification", "public", "public:local", "public:remote", "hashtag", "hashtag:local", "list"] as const;

export type StreamName = typeof STREAM_NAMES[number];

export interface StreamRequest {
  name: StreamName;
  /** hashtag streams: the tag, lower-cased, without `#` */
  tag?: string;
  /** the list stream: the list's id (only its owner may stream it: `access.ts`) */
  list?: string;
}

export interface StreamRefusal {
  error: string;
  /** the HTTP status Mastodon gives it */
  status: 400 | 401 | 403 | 404;
}

const TAG = /^[\p{L}\p{N}_]{1,100}$/u;

function isStreamName(name: string): name is StreamName {
  return (STREAM_NAMES as readonly string[]).includes(name);
}

/** Does the stream need a signed-in account? */
export function needsAccount(name: StreamName): boolean {
  return name === "user" || name === "user:notification" || name === "list";
}

/** The scopes of which a token must grant one (Mastodon's streaming server's checks). */
export function scopesFor(name: StreamName): [string, ...string[]] {
  return name === "user:notification" ? ["read", "read:notifications"] : ["read", "read:statuses"];
}

/** A stream named by a client (`stream`, with `tag` for hashtags, `list` for a list). */
export function parseStream(name: unknown, params: { tag?: unknown; list?: unknown }): StreamRequest | StreamRefusal {
  if (typeof name !== "string" || name === "") return { error: "Missing stream type", status: 400 };
  if (!isStreamName(name)) return { error: "Unknown stream type", status: 400 };
  if (name === "list") {
    const list = typeof params.list === "number" ? String(params.list) : params.list;
    if (!isRowId(list)) return { error: "Missing or invalid list", status: 400 };
    return { name, list };
  }
  if (name === "hashtag" || name === "hashtag:local") {
    const tag = typeof params.tag === "string" ? params.tag.replace(/^#/, "") : "";
    if (!TAG.test(tag)) return { error: "Missing or invalid tag", status: 400 };
    return { name, tag: tag.toLowerCase() };
  }
  return { name };
}

/** One key per stream, for subscribing and unsubscribing. */
export function streamKey(s: StreamRequest): string {
  return streamLabel(s).join(":");
}

/** The `stream` array of a WebSocket message: `["user"]`, `["hashtag", "tag"]`, `["list", "12"]`. */
export function streamLabel(s: StreamRequest): string[] {
  const detail = s.tag ?? s.list;
  return detail === undefined ? [s.name] : [s.name, detail];
}

export function isRefusal(value: StreamRequest | StreamRefusal): value is StreamRefusal {
  return "error" in value;
}
