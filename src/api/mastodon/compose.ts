import { getLogger } from "@logtape/logtape";
import type { AppContext } from "../../context.ts";
import type { Actor, Visibility } from "../../db/schema.ts";
import { findLocalActor } from "../../domain/accounts.ts";
import { invalid } from "../../domain/errors.ts";
import { LIMITS } from "../../domain/posts/limits.ts";
import { checkMediaIds } from "../../domain/uploads.ts";
import type { NewPoll } from "../../domain/polls.ts";
import {
  findMentions,
  type FormattedText,
  formatPostText,
  MAX_POST_CHARS,
  type MentionRef,
  mentionKey,
  postTextLength,
  type ResolvedMention,
} from "../../domain/text.ts";
import { SCOPES, scopeComposedAs, VISIBILITIES } from "../../domain/scopes.ts";
import { handleDomain } from "../../domain/urls.ts";
import { tagUrl } from "./entities/status.ts";
import { oneOf, optionalBoolean, optionalId, optionalInteger, optionalString, type Params } from "./params.ts";

const logger = getLogger(["plein", "api", "compose"]);

/** The scope names a client may compose with (src/domain/scopes.ts). */
const COMPOSABLE = VISIBILITIES.flatMap((v) => SCOPES[v].composedAs ?? []);
const LANGUAGE = /^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8}){0,3}$/;
/** Raw input cap before any parsing (links count 23 each, so raw text may exceed 5000). */
const MAX_RAW_CHARS = 50_000;
const RESOLVE_CONCURRENCY = 4;

export interface StatusText {
  text: string;
  spoilerText: string;
  sensitive: boolean | undefined;
  language: string | null | undefined;
  /** `media_ids`: the uploads to attach, in order; undefined when not sent (an edit then keeps its media) */
  mediaIds: string[] | undefined;
}

export interface NewStatusParams extends StatusText {
  visibility: Visibility;
  inReplyToId: string | undefined;
  /** the poll it asks (checked by the domain: src/domain/polls.ts) */
  poll: NewPoll | undefined;
}

/** Text fields shared by POST and PUT: status, spoiler_text, sensitive, language. */
export function parseStatusText(params: Params): StatusText {
  const text = optionalString(params, "status") ?? "";
  const spoilerText = optionalString(params, "spoiler_text") ?? "";
  if (text.length > MAX_RAW_CHARS || spoilerText.length > MAX_RAW_CHARS
    || postTextLength(text) + [...spoilerText].length > MAX_POST_CHARS) {
    throw invalid(`Validation failed: Text character limit of ${MAX_POST_CHARS} exceeded`);
  }
  const mediaIds = mediaIdsParam(params);
  // A status may be its media alone.
  if (text.trim() === "" && !mediaIds?.length) throw invalid("Validation failed: Text can't be blank");
  if (mediaIds?.length && pollParams(params) !== undefined) throw invalid("Validation failed: A status cannot have both a poll and media attachments");
  const language = optionalString(params, "language");
  if (language && !LANGUAGE.test(language)) throw invalid("language must be an ISO 639 language code");
  return {
    text,
    spoilerText,
    sensitive: optionalBoolean(params, "sensitive"),
    language: language === undefined ? undefined : language === "" ? null : language.toLowerCase(),
    mediaIds,
  };
}

/** `media_ids[]` (or one `media_ids`), as ids in order; more than Mastodon's four is a 422. */
function mediaIdsParam(params: Params): string[] | undefined {
  const value = params.media_ids;
  if (value === undefined || value === null) return undefined;
  const values = Array.isArray(value) ? value : [value];
  const ids = values.flatMap((v) => {
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return [String(v)];
    if (typeof v === "string") return v === "" ? [] : [v];
    throw invalid("media_ids must be a list of ids");
  });
  return checkMediaIds(ids);
}

/**
 * The poll fields, from JSON (`poll: { options: [...], expires_in }`) or a
 * form (`poll[options][]=...&poll[expires_in]=...`); undefined when the
 * status asks no poll.
 */
function pollParams(params: Params): Params | undefined {
  const nested = params.poll;
  if (nested !== undefined && nested !== null && nested !== "") {
    if (typeof nested !== "object" || Array.isArray(nested)) throw invalid("poll must be an object");
    return nested as Params;
  }
  const flat: Params = Object.create(null) as Params;
  let any = false;
  for (const [key, value] of Object.entries(params)) {
    const m = /^poll\[([a-z_]+)\]$/.exec(key);
    if (m) {
      flat[m[1]!] = value;
      any = true;
    }
  }
  return any ? flat : undefined;
}

/** A status's poll: options (text), expires_in (seconds), multiple, hide_totals. */
export function parsePoll(params: Params): NewPoll | undefined {
  const poll = pollParams(params);
  if (poll === undefined) return undefined;
  const options = poll.options;
  if (!Array.isArray(options) || !options.every((o): o is string => typeof o === "string")) {
    throw invalid("poll[options] must be a list of texts");
  }
  const expiresIn = optionalInteger(poll, "expires_in");
  if (expiresIn === undefined) throw invalid("poll[expires_in] is required");
  return {
    options,
    expiresInSeconds: expiresIn,
    multiple: optionalBoolean(poll, "multiple") ?? false,
    hideTotals: optionalBoolean(poll, "hide_totals") ?? false,
  };
}

export function parseNewStatus(params: Params): NewStatusParams {
  const base = parseStatusText(params);
  const poll = parsePoll(params);
  if (params.scheduled_at !== undefined && params.scheduled_at !== null && params.scheduled_at !== "") {
    throw invalid("Scheduled posts are not supported yet");
  }
  const name = oneOf(params, "visibility", COMPOSABLE) ?? "public";
  return { ...base, visibility: scopeComposedAs(name)!, inReplyToId: optionalId(params, "in_reply_to_id"), poll };
}

/** The actor a mention stands for: local names from our table, others through the resolver. */
async function resolveMention(deps: AppContext, ref: MentionRef): Promise<Actor | undefined> {
  const local = handleDomain(deps.config.origin).toLowerCase();
  try {
    if (ref.host === null || ref.host.toLowerCase() === local) {
      const actor = await findLocalActor(deps.db, deps.config.origin, ref.username);
      return actor && actor.type !== "Application" ? actor : undefined;
    }
    const actor = await deps.resolver.resolveActor(`${ref.username}@${ref.host}`);
    return actor && !actor.gone_at ? actor : undefined;
  } catch (error) {
    // An unresolvable mention stays plain text; the post is still made.
    logger.debug("Mention {handle} not resolved: {error}", { handle: mentionKey(ref), error });
    return undefined;
  }
}

export interface ComposedText extends FormattedText {
  /** the groups (local or remote Group actors) the text mentions, distinct, in order of appearance */
  groupIds: string[];
}

/** Resolves the mentions in `text` (at most LIMITS.mentions) and formats it. */
export async function composeText(deps: AppContext, text: string): Promise<ComposedText> {
  const refs = findMentions(text).slice(0, LIMITS.mentions);
  const resolved = new Map<string, ResolvedMention>();
  const groups = new Set<string>();
  for (let i = 0; i < refs.length; i += RESOLVE_CONCURRENCY) {
    const batch = refs.slice(i, i + RESOLVE_CONCURRENCY);
    const actors = await Promise.all(batch.map((ref) => resolveMention(deps, ref)));
    batch.forEach((ref, j) => {
      const actor = actors[j];
      if (actor) resolved.set(mentionKey(ref), { actorId: actor.id, url: actor.url ?? actor.iri, username: actor.username });
      if (actor?.type === "Group") groups.add(actor.id);
    });
  }
  const formatted = formatPostText(text, {
    mention: (ref) => resolved.get(mentionKey(ref)),
    tagUrl: (tag) => tagUrl(deps.config.origin, tag),
  });
  return {
    ...formatted,
    tags: formatted.tags.slice(0, LIMITS.tags),
    groupIds: formatted.mentionIds.filter((id) => groups.has(id)),
  };
}

/**
 * The group a new status is posted in: the one group its text mentions (a
 * Mastodon client's way to post in a group; the group's scope then applies
 * whatever visibility the client chose), or none. A status is made in one
 * group at most.
 */
export function groupOfStatus(composed: ComposedText): string | null {
  if (composed.groupIds.length > 1) {
    throw invalid("A status is posted in one group at most: mention only the group to post in");
  }
  return composed.groupIds[0] ?? null;
}
