import { createHash } from "node:crypto";
import { MAX_PINS } from "../../../domain/pins.ts";
import type { InstanceProfile } from "../../../domain/instance-profile.ts";
import type { DomainRule } from "../../../domain/policy.ts";
import type { RegistrationSummary } from "../../../domain/registrations.ts";
import { POLL_LIMITS } from "../../../domain/polls.ts";
import type { InstanceStats } from "../../../domain/stats.ts";
import { MAX_POST_CHARS, URL_WEIGHT } from "../../../domain/text.ts";
import { PLEIN_VERSION } from "../../../version.ts";
import { MAX_STATUS_MEDIA } from "../../../domain/uploads.ts";
import { IMAGE_LIMITS, IMAGE_TYPES } from "../../../media/images.ts";

/** The Mastodon API version we answer to, and ours. */
export const COMPATIBLE_VERSION = `4.3.0 (compatible; Plein ${PLEIN_VERSION})`;

const statusesConfig = { max_characters: MAX_POST_CHARS, max_media_attachments: MAX_STATUS_MEDIA, characters_reserved_per_url: URL_WEIGHT };
/** What uploads are taken (src/media/images.ts): images only, no video. */
function mediaConfig(maxFileBytes: number) {
  return {
    supported_mime_types: Object.values(IMAGE_TYPES),
    image_size_limit: maxFileBytes,
    image_matrix_limit: IMAGE_LIMITS.maxInputPixels,
    video_size_limit: 0,
    video_frame_rate_limit: 0,
    video_matrix_limit: 0,
  };
}
const pollsConfig = {
  max_options: POLL_LIMITS.maxOptions,
  max_characters_per_option: POLL_LIMITS.maxCharactersPerOption,
  min_expiration: POLL_LIMITS.minExpirationSeconds,
  max_expiration: POLL_LIMITS.maxExpirationSeconds,
};

/** https://docs.joinmastodon.org/entities/Rule/: the admins' rules, numbered in their order. */
export function renderRules(profile: InstanceProfile) {
  return profile.rules.map((text, i) => ({ id: String(i + 1), text, hint: "" }));
}

/** https://docs.joinmastodon.org/entities/V1_Instance/ (minimal, valid) */
export function renderInstanceV1(origin: URL, stats: InstanceStats, maxFileBytes: number, profile: InstanceProfile, registrations: RegistrationSummary) {
  return {
    uri: origin.host,
    title: profile.name || origin.hostname,
    short_description: profile.shortDescription,
    description: profile.shortDescription,
    email: profile.contactEmail,
    version: COMPATIBLE_VERSION,
    urls: { streaming_api: `${origin.protocol === "https:" ? "wss" : "ws"}://${origin.host}` },
    stats: { user_count: stats.users, status_count: stats.posts, domain_count: stats.domains },
    thumbnail: null,
    languages: [] as string[],
    registrations: registrations.enabled,
    approval_required: registrations.approvalRequired,
    invites_enabled: registrations.invitesEnabled,
    configuration: {
      accounts: { max_featured_tags: 0 },
      statuses: statusesConfig,
      media_attachments: mediaConfig(maxFileBytes),
      polls: pollsConfig,
    },
    contact_account: null,
    rules: renderRules(profile),
  };
}

/** https://docs.joinmastodon.org/entities/Instance/ (minimal, valid) */
export function renderInstanceV2(origin: URL, stats: InstanceStats, maxFileBytes: number, profile: InstanceProfile, registrations: RegistrationSummary) {
  return {
    domain: origin.host,
    title: profile.name || origin.hostname,
    version: COMPATIBLE_VERSION,
    source_url: origin.href,
    description: profile.shortDescription,
    usage: { users: { active_month: stats.users } },
    thumbnail: { url: new URL("/favicon.ico", origin).href },
    /** sizes of the instance's icon (Mastodon 4.3): none configured */
    icon: [] as never[],
    languages: [] as string[],
    configuration: {
      urls: { streaming: `${origin.protocol === "https:" ? "wss" : "ws"}://${origin.host}` },
      accounts: { max_featured_tags: 0, max_pinned_statuses: MAX_PINS },
      statuses: statusesConfig,
      media_attachments: mediaConfig(maxFileBytes),
      polls: pollsConfig,
      translation: { enabled: false },
    },
    registrations: {
      enabled: registrations.enabled,
      approval_required: registrations.approvalRequired,
      message: registrations.message,
      /** where people register (Mastodon 4.2+) */
      url: registrations.enabled || registrations.invitesEnabled ? new URL("/auth/sign_up", origin).href : null,
    },
    contact: { email: profile.contactEmail, account: null },
    rules: renderRules(profile),
    /** Mastodon 4.3.0's API version, which COMPATIBLE_VERSION names */
    api_versions: { mastodon: 2 },
  };
}

/** https://docs.joinmastodon.org/entities/DomainBlock/: a blocked server is "suspend", a silenced one "silence". */
export function renderDomainBlock(rule: DomainRule) {
  return {
    domain: rule.domain,
    digest: createHash("sha256").update(rule.domain).digest("hex"),
    severity: rule.action === "block" ? "suspend" as const : "silence" as const,
    comment: rule.comment === "" ? null : rule.comment,
  };
}
