/**
 * Plain text of a local post → HTML, the way Mastodon formats statuses:
 * HTML-escaped, paragraphs and line breaks kept, http(s) URLs linked,
 * `@user` and `@user@host` mentions linked when they resolve to an actor,
 * `#hashtags` linked to the tag page. Pure functions: the caller resolves the
 * mentions (found by `findMentions`) before calling `formatPostText`.
 *
 * One tokenizer serves formatting, mention discovery and length counting. Its
 * patterns run in linear time: every repetition is delimited by a character
 * its body cannot contain.
 */

/** Mastodon's default maximum, counted by `postTextLength`. */
export const MAX_POST_CHARS = 5_000;
/** Mastodon counts every link as this many characters. */
export const URL_WEIGHT = 23;
const MAX_TAG_CHARS = 100;

const URL_PART = String.raw`https?:\/\/[^\s<>"'\x60]+`;
const USER_PART = String.raw`[a-z0-9_]{1,64}(?:[.\-][a-z0-9_]+)*`;
const HOST_PART = String.raw`[a-z0-9\-]+(?:\.[a-z0-9\-]+)*(?::\d{1,5})?`;
const TAG_PART = String.raw`[\p{L}\p{M}\p{N}_]+`;
/** Groups: 1 URL; 2 mention user, 3 mention host; 4 hashtag. */
const TOKEN = new RegExp(
  String.raw`(${URL_PART})|(?<![\p{L}\p{N}_\/@.])@(${USER_PART})(?:@(${HOST_PART}))?(?![@\p{L}\p{N}_])|(?<![\p{L}\p{N}_&\/#])#(${TAG_PART})`,
  "giu",
);

export interface MentionRef {
  username: string;
  /** null for a bare `@user` (an account of this instance) */
  host: string | null;
}

export interface ResolvedMention {
  actorId: string;
  /** profile page the link points to */
  url: string;
  username: string;
}

export interface FormatOptions {
  /** The actor a mention as written stands for; undefined leaves it as plain text. */
  mention(ref: MentionRef): ResolvedMention | undefined;
  /** The page of a (lower-cased) tag. */
  tagUrl(tag: string): string;
}

export interface FormattedText {
  html: string;
  /** resolved mentions, distinct, in order of appearance */
  mentionIds: string[];
  /** hashtags, lower-cased, distinct, in order of appearance */
  tags: string[];
}

type Token =
  | { kind: "text"; text: string }
  | { kind: "url"; url: string }
  | { kind: "mention"; text: string; ref: MentionRef }
  | { kind: "tag"; text: string; tag: string };

/** `@alice@Host` and `@alice@host` are the same mention. */
export function mentionKey(ref: MentionRef): string {
  return ref.host === null ? ref.username.toLowerCase() : `${ref.username}@${ref.host}`.toLowerCase();
}

function validHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "");
  return name.split(".").every((label) => label.length > 0 && label.length <= 63 && !label.startsWith("-") && !label.endsWith("-"));
}

/** Trailing punctuation belongs to the sentence, not the link; a closing bracket only if unbalanced. */
function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    if (".,;:!?*".includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const open = last === ")" ? "(" : last === "]" ? "[" : last === "}" ? "{" : undefined;
    if (open !== undefined) {
      let opens = 0;
      let closes = 0;
      for (const ch of url) {
        if (ch === open) opens++;
        else if (ch === last) closes++;
      }
      if (closes > opens) {
        url = url.slice(0, -1);
        continue;
      }
    }
    return url;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let plain = "";
  let last = 0;
  const flush = () => {
    if (plain) tokens.push({ kind: "text", text: plain });
    plain = "";
  };
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    plain += text.slice(last, start);
    last = start + m[0].length;
    const [whole, url, user, host, tag] = m;
    if (url !== undefined) {
      const trimmed = trimUrl(url);
      if (isHttpUrl(trimmed)) {
        flush();
        tokens.push({ kind: "url", url: trimmed });
        plain += url.slice(trimmed.length);
      } else {
        plain += whole;
      }
    } else if (user !== undefined) {
      if (host !== undefined && !validHost(host)) {
        plain += whole;
      } else {
        flush();
        tokens.push({ kind: "mention", text: whole, ref: { username: user, host: host ?? null } });
      }
    } else if (tag !== undefined) {
      if (tag.length <= MAX_TAG_CHARS && /\p{L}/u.test(tag)) {
        flush();
        tokens.push({ kind: "tag", text: whole, tag: tag.toLowerCase() });
      } else {
        plain += whole;
      }
    }
  }
  plain += text.slice(last);
  flush();
  return tokens;
}

/** Line endings normalised to \n. */
function normalise(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** Every distinct mention in `text`, in order of appearance. */
export function findMentions(text: string): MentionRef[] {
  const seen = new Map<string, MentionRef>();
  for (const t of tokenize(normalise(text))) {
    if (t.kind === "mention" && !seen.has(mentionKey(t.ref))) seen.set(mentionKey(t.ref), t.ref);
  }
  return [...seen.values()];
}

/** Every distinct hashtag in `text`, lower-cased, in order of appearance. */
export function findHashtags(text: string): string[] {
  const tags = new Set<string>();
  for (const t of tokenize(normalise(text))) if (t.kind === "tag") tags.add(t.tag);
  return [...tags];
}

/**
 * Length as Mastodon counts it: code points, each link as 23, and a remote
 * mention as its `@user` part only.
 */
export function postTextLength(text: string): number {
  let n = 0;
  for (const t of tokenize(normalise(text))) {
    if (t.kind === "url") n += URL_WEIGHT;
    else if (t.kind === "mention") n += [...`@${t.ref.username}`].length;
    else n += [...t.text].length;
  }
  return n;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function escapeText(text: string): string {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

function renderToken(t: Token, options: FormatOptions, mentionIds: string[], tags: string[]): string {
  switch (t.kind) {
    case "text":
      return escapeText(t.text);
    case "url":
      return `<a href="${escapeHtml(t.url)}" target="_blank" rel="nofollow noopener noreferrer">${escapeHtml(t.url)}</a>`;
    case "mention": {
      const found = options.mention(t.ref);
      if (!found) return escapeText(t.text);
      if (!mentionIds.includes(found.actorId)) mentionIds.push(found.actorId);
      return `<span class="h-card" translate="no"><a href="${escapeHtml(found.url)}" class="u-url mention">@<span>${escapeHtml(found.username)}</span></a></span>`;
    }
    case "tag":
      if (!tags.includes(t.tag)) tags.push(t.tag);
      return `<a href="${escapeHtml(options.tagUrl(t.tag))}" class="mention hashtag" rel="tag">#<span>${escapeHtml(t.text.slice(1))}</span></a>`;
  }
}

/** Formats a post's plain text; blank lines separate paragraphs, single newlines become <br>. */
export function formatPostText(text: string, options: FormatOptions): FormattedText {
  const mentionIds: string[] = [];
  const tags: string[] = [];
  const paragraphs = normalise(text).trim().split(/\n[ \t]*\n/).map((p) => p.replace(/^\n+|\n+$/g, "")).filter((p) => p !== "");
  const html = paragraphs.map((p) =>
    `<p>${tokenize(p).map((t) => renderToken(t, options, mentionIds, tags)).join("")}</p>`
  ).join("");
  return { html, mentionIds, tags };
}
