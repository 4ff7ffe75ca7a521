import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** Timestamps are read as Date and may be written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
type JsonValue = unknown;
type Json = ColumnType<JsonValue, string, string>;
/** Columns with a database default: optional on insert. */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type GeneratedJson = ColumnType<JsonValue, string | undefined, string>;

/** Fedify KvStore entries. `key` is the JSON encoding of the KvKey array. */
export interface KvEntriesTable {
  key: string;
  value: Json;
  expires_at: Timestamp | null;
}

/** Fedify MessageQueue messages (and our own background jobs). */
export interface QueueMessagesTable {
  id: Generated<string>;
  queue: string;
  payload: Json;
  ordering_key: string | null;
  available_at: Timestamp;
  locked_until: Timestamp | null;
  locked_by: string | null;
  attempts: Generated<number>;
  created_at: GeneratedTimestamp;
}

/** Key pairs of local actors (instance, users, groups), stored as JWK. */
export interface ActorKeysTable {
  actor_id: string;
  algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519";
  private_jwk: Json;
  public_jwk: Json;
  created_at: GeneratedTimestamp;
}

export type ActorType = "Person" | "Group" | "Application" | "Service" | "Organization";

/** Every actor we know, local or remote. Local ones have `local = true`. */
export interface ActorsTable {
  id: Generated<string>;
  iri: string;
  type: ActorType;
  username: string;
  /** host[:port] of the actor's origin; the handle is username@domain */
  domain: string;
  local: boolean;
  display_name: Generated<string>;
  summary_html: Generated<string>;
  avatar_url: string | null;
  header_url: string | null;
  url: string | null;
  inbox_url: string | null;
  shared_inbox_url: string | null;
  outbox_url: string | null;
  followers_url: string | null;
  following_url: string | null;
  featured_url: string | null;
  manually_approves_followers: Generated<boolean>;
  /** hides its followers and follows from others; null: never chosen (see src/domain/relationships.ts) */
  hide_collections: boolean | null;
  bot: Generated<boolean>;
  fields: GeneratedJson;
  followers_count: Generated<number>;
  following_count: Generated<number>;
  posts_count: Generated<number>;
  fetched_at: Timestamp | null;
  gone_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Credentials of local users; one row per local Person actor. */
export interface UsersTable {
  actor_id: string;
  email: string;
  password_hash: string;
  admin: Generated<boolean>;
  created_at: GeneratedTimestamp;
  /** set by an instance admin: no sign-in, no session, no token works */
  suspended_at: Generated<Date | null>;
  /** registered while the instance asked for approval, not yet approved: cannot sign in */
  approval_pending: Generated<boolean>;
}

/** Bearer tokens for the Mastodon client API; only a SHA-256 digest is stored. */
export interface AccessTokensTable {
  id: Generated<string>;
  token_digest: string;
  /** null for an app's own token (OAuth client_credentials) */
  actor_id: string | null;
  scopes: string;
  application_id: string | null;
  refresh_token_digest: string | null;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** An OAuth client (a Mastodon app), registered through POST /api/v1/apps. */
export interface ApplicationsTable {
  id: Generated<string>;
  name: string;
  website: string | null;
  redirect_uris: string[];
  /** space-separated, as registered */
  scopes: string;
  client_id: string;
  client_secret_digest: string;
  created_at: GeneratedTimestamp;
}

/** An authorization code, single-use and short-lived; kept as a digest. */
export interface OauthCodesTable {
  code_digest: string;
  application_id: string;
  actor_id: string;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: "S256" | "plain" | null;
  expires_at: Timestamp;
  /** set when spent; a second use revokes the token the first one gave */
  used_at: Timestamp | null;
  access_token_id: string | null;
}

/** A browser's sign-in on the OAuth pages; the cookie's digest. */
export interface WebSessionsTable {
  session_digest: string;
  actor_id: string;
  expires_at: Timestamp;
  /** what the sessions list ends it by (the digest stays out of pages) */
  id: Generated<string>;
  created_at: GeneratedTimestamp;
  /** updated at most every few minutes */
  last_used_at: Timestamp | null;
}

export type FollowState = "pending" | "accepted";

export interface FollowsTable {
  id: Generated<string>;
  follower_id: string;
  followee_id: string;
  state: FollowState;
  /** id of the Follow activity (ours or theirs) */
  activity_iri: string;
  /** the follower sees the followee's boosts in its home timeline */
  show_reblogs: Generated<boolean>;
  /** the follower is notified of the followee's new posts */
  notify: Generated<boolean>;
  /** only posts in these languages (ISO 639-1), or all */
  languages: string[] | null;
  created_at: GeneratedTimestamp;
}

export type Visibility = "public" | "unlisted" | "followers" | "direct" | "instance" | "group";
export type ObjectType = "Note" | "Article" | "Page" | "Event" | "Document" | "Question";

export interface PostsTable {
  id: Generated<string>;
  iri: string;
  url: string | null;
  actor_id: string;
  local: boolean;
  type: ObjectType;
  visibility: Visibility;
  /** a boost: this row is the Announce; the boosted post is reblog_of_id */
  reblog_of_id: string | null;
  in_reply_to_id: string | null;
  in_reply_to_iri: string | null;
  name: string | null;
  summary: string | null;
  sensitive: Generated<boolean>;
  content_html: Generated<string>;
  /** source text of a local post, for editing */
  content_source: string | null;
  language: string | null;
  /** type-specific fields (event times and location, question answer, ...) */
  extra: GeneratedJson;
  replies_count: Generated<number>;
  likes_count: Generated<number>;
  reblogs_count: Generated<number>;
  published_at: Timestamp;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  /** the group (a local or remote Group actor) the post was made in */
  group_id: string | null;
  /** pre-moderation: a pending post is seen by its author and the group's moderators only */
  moderation: Generated<ModerationState>;
  /** the content module it belongs to (src/modules), null for a plain status or comment */
  module: string | null;
  /** the thread of direct posts it belongs to (migration 0020): null for posts stored before, read as coalesce(conversation_id, id) */
  conversation_id: Generated<string | null>;
}

export type ModerationState = "approved" | "pending";

export type GroupVisibility = "public" | "closed" | "secret";
export type JoinMode = "open" | "approval" | "invite";
export type GroupPosting = "members" | "admins";

/** Settings of a local group (its actor is an `actors` row of type Group). */
export interface GroupsTable {
  actor_id: string;
  visibility: GroupVisibility;
  join_mode: JoinMode;
  posting: Generated<GroupPosting>;
  moderate_posts: Generated<boolean>;
  moderate_comments: Generated<boolean>;
  /** members only from these domains (`example.nl`, `*.example.nl`); empty: from anywhere */
  allowed_domains: Generated<string[]>;
  created_at: GeneratedTimestamp;
}

/** The content modules a local group has switched on. */
export interface GroupModulesTable {
  group_id: string;
  module: string;
}

export type MembershipRole = "owner" | "admin" | "moderator" | "member";
export type MembershipState = "pending" | "invited" | "member" | "banned";
export type NotifyLevel = "all" | "mentions" | "none";

/** Who belongs to which group (either may be local or remote). Only state "member" counts. */
export interface MembershipsTable {
  id: Generated<string>;
  group_id: string;
  member_id: string;
  role: Generated<MembershipRole>;
  state: MembershipState;
  activity_iri: string | null;
  title: string | null;
  organisation: string | null;
  notify: Generated<NotifyLevel>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** For a remote group: does a server (origin) host a current member, as the group last said? */
export interface GroupServersTable {
  group_id: string;
  origin: string;
  hosts_member: boolean;
  checked_at: GeneratedTimestamp;
}

export interface NotificationsTable {
  id: Generated<string>;
  recipient_id: string;
  type: string;
  actor_id: string | null;
  post_id: string | null;
  group_id: string | null;
  created_at: GeneratedTimestamp;
}

export interface PostMentionsTable {
  post_id: string;
  actor_id: string;
}

export interface PostTagsTable {
  post_id: string;
  tag: string;
}

export interface PostAttachmentsTable {
  id: Generated<string>;
  post_id: string;
  position: number;
  url: string;
  media_type: string | null;
  description: string | null;
  width: number | null;
  height: number | null;
  blurhash: string | null;
  /** our own upload this attachment shows (a local status's); null for another server's file */
  media_id: string | null;
  preview_url: string | null;
  preview_width: number | null;
  preview_height: number | null;
  /** focal point, -1..1 each */
  focus_x: number | null;
  focus_y: number | null;
}

export interface LikesTable {
  id: Generated<string>;
  actor_id: string;
  post_id: string;
  activity_iri: string;
  created_at: GeneratedTimestamp;
}

export interface BlocksTable {
  id: Generated<string>;
  actor_id: string;
  target_id: string;
  activity_iri: string | null;
  created_at: GeneratedTimestamp;
}

export type ReportCategory = "spam" | "legal" | "violation" | "other";

/** A domain a local account blocks for itself (Mastodon's user domain block). */
export interface UserDomainBlocksTable {
  id: Generated<string>;
  actor_id: string;
  /** lower case, punycode, as actors.domain */
  domain: string;
  created_at: GeneratedTimestamp;
}

/** A post an account saved for later (Mastodon's bookmarks: private to the account). */
export interface BookmarksTable {
  id: Generated<string>;
  actor_id: string;
  post_id: string;
  created_at: GeneratedTimestamp;
}

/** An account muted by a local one: its posts leave the muter's timelines, and its notifications too when `notifications`. */
export interface MutesTable {
  id: Generated<string>;
  actor_id: string;
  target_id: string;
  notifications: Generated<boolean>;
  /** the mute ends by itself then (null: never) */
  expires_at: Timestamp | null;
  created_at: GeneratedTimestamp;
}

/** A post its author pinned to their profile (and the actor's featured collection). */
export interface PinsTable {
  id: Generated<string>;
  actor_id: string;
  post_id: string;
  created_at: GeneratedTimestamp;
}

/** An earlier version of an edited post; `created_at` is when that version was made. */
export interface PostEditsTable {
  id: Generated<string>;
  post_id: string;
  name: string | null;
  summary: string | null;
  sensitive: Generated<boolean>;
  content_html: string;
  content_source: string | null;
  language: string | null;
  created_at: Timestamp;
}

export type MarkerTimeline = "home" | "notifications";

/** Where an account stopped reading a timeline (Mastodon's markers). */
export interface MarkersTable {
  actor_id: string;
  timeline: MarkerTimeline;
  last_read_id: string;
  version: Generated<number>;
  updated_at: GeneratedTimestamp;
}

/** One voter's choice of one option of a poll (a post of type Question). */
export interface PollVotesTable {
  id: Generated<string>;
  post_id: string;
  voter_id: string;
  choice: number;
  iri: string;
  created_at: GeneratedTimestamp;
}

/** A local poll whose new tallies wait to be sent (one pending Update per poll). */
export interface PollRefreshesTable {
  post_id: string;
  due_at: Date;
}

/** The groups a report's posts were made in (migration 0024). */
export interface ReportGroupsTable {
  group_id: string;
  report_id: string;
}

export interface ReportsTable {
  id: Generated<string>;
  reporter_id: string;
  target_id: string | null;
  post_ids: GeneratedJson;
  comment: Generated<string>;
  activity_iri: string | null;
  /** Mastodon's: spam, legal, violation, other */
  category: Generated<ReportCategory>;
  /** a Flag went to the reported content's server */
  forwarded: Generated<boolean>;
  created_at: GeneratedTimestamp;
  /** when an instance admin marked it dealt with (null: open) */
  resolved_at: Generated<Date | null>;
  resolved_by_id: Generated<string | null>;
}

/** The instance's own description (one row): what the Mastodon instance entities show. */
export interface InstanceProfileTable {
  id: Generated<boolean>;
  name: Generated<string>;
  short_description: Generated<string>;
  contact_email: Generated<string>;
  /** the rules, as an array of strings */
  rules: GeneratedJson;
  updated_at: GeneratedTimestamp;
}

/** An uploaded file: what is known of it; its bytes are in the media storage (src/media) under `storage_key`. */
export interface MediaTable {
  id: Generated<string>;
  /** the local account that uploaded it */
  owner_id: string;
  storage_key: string;
  /** the name it was uploaded with, cleaned of paths and control characters */
  file_name: string;
  /** the type the uploader declared, normalised (never what it is served as: see src/media/serving.ts) */
  content_type: string;
  /** int8: read as a string */
  size: ColumnType<string, number | string, number | string>;
  /** hex */
  sha256: string;
  created_at: GeneratedTimestamp;
  /** what the upload is for: a group's file, a status's attachment, a profile's avatar or header */
  purpose: ColumnType<MediaPurpose, MediaPurpose | undefined, MediaPurpose>;
  description: string | null;
  /** focal point, -1..1 each */
  focus_x: number | null;
  focus_y: number | null;
  blurhash: string | null;
  width: number | null;
  height: number | null;
  /** the small version's bytes (images) */
  preview_storage_key: string | null;
  preview_width: number | null;
  preview_height: number | null;
}

export type RemoteMediaKind = "avatar" | "header" | "attachment";

/** Another server's file cached by this one (src/media/remote-cache.ts); its bytes are in the media storage under `storage_key`. */
export interface RemoteMediaTable {
  id: Generated<string>;
  kind: RemoteMediaKind;
  url: string;
  /** the origin whose hops the fetch was signed for; "" when unsigned */
  signed_for: Generated<string>;
  /** null until fetched (or after a failure) */
  storage_key: string | null;
  /** the type it is served as */
  content_type: string | null;
  /** int8: read as a string */
  size: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  sha256: string | null;
  fetched_at: Date | null;
  last_used_at: GeneratedTimestamp;
  failures: Generated<number>;
  failed_at: Date | null;
  /** no fetch before this time after a failure */
  retry_at: Date | null;
  failure: string | null;
  created_at: GeneratedTimestamp;
}

/** Keys this server made for itself (src/domain/server-secrets.ts). */
export interface ServerSecretsTable {
  name: string;
  /** base64url */
  secret: string;
  created_at: GeneratedTimestamp;
}
export type MediaPurpose = "file" | "attachment" | "avatar" | "header";

/** Inbound activity ids already processed (idempotent inbox). */
export interface ProcessedActivitiesTable {
  activity_iri: string;
  processed_at: GeneratedTimestamp;
}

export type FederationMode = "open" | "blocklist" | "allowlist";
export type DomainAction = "allow" | "silence" | "block";

export type RegistrationMode = "closed" | "open" | "approval" | "invite" | "domains";

/** How people join this instance (one row; src/domain/registrations.ts). */
export interface RegistrationSettingsTable {
  id: Generated<boolean>;
  mode: RegistrationMode;
  /** for `domains`: the e-mail domains taken (`example.nl`, `*.example.nl`) */
  allowed_domains: Generated<string[]>;
  updated_at: GeneratedTimestamp;
}

/** An invite link an admin made: usable `max_uses` times until `expires_at`. */
export interface RegistrationInvitesTable {
  id: Generated<string>;
  code: string;
  created_by: string | null;
  max_uses: number;
  uses: Generated<number>;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  created_at: GeneratedTimestamp;
}

/** The federation policy's mode (one row; src/domain/policy.ts). */
export interface FederationSettingsTable {
  id: Generated<boolean>;
  mode: FederationMode;
  /** the rules may be read by anyone (GET /api/plein/v1/federation/public) */
  published: Generated<boolean>;
  updated_at: GeneratedTimestamp;
}

/** An admin's rule for a domain; `subdomains` for a `*.domain` rule (the domain and every host under it). */
export interface FederationDomainRulesTable {
  domain: string;
  subdomains: boolean;
  action: DomainAction;
  comment: Generated<string>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type DeliveryResult = "queued" | "refused" | "delivered" | "retrying" | "held" | "failed";

/** One event of one delivery of closed-group content to one inbox (src/domain/audit.ts); rows are never changed. */
export interface DeliveryAuditTable {
  id: Generated<string>;
  group_id: string;
  group_iri: string;
  object_iri: string;
  activity_id: string;
  activity_type: string;
  /** the receiving server: the inbox's host (with its port, if any) */
  server: string;
  inbox: string;
  result: DeliveryResult;
  status_code: number | null;
  detail: string | null;
  attempt: number | null;
  created_at: GeneratedTimestamp;
}

export interface Database {
  kv_entries: KvEntriesTable;
  queue_messages: QueueMessagesTable;
  actors: ActorsTable;
  actor_keys: ActorKeysTable;
  users: UsersTable;
  access_tokens: AccessTokensTable;
  applications: ApplicationsTable;
  oauth_codes: OauthCodesTable;
  web_sessions: WebSessionsTable;
  follows: FollowsTable;
  posts: PostsTable;
  post_mentions: PostMentionsTable;
  post_tags: PostTagsTable;
  post_attachments: PostAttachmentsTable;
  likes: LikesTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  report_groups: ReportGroupsTable;
  instance_profile: InstanceProfileTable;
  processed_activities: ProcessedActivitiesTable;
  groups: GroupsTable;
  group_modules: GroupModulesTable;
  memberships: MembershipsTable;
  notifications: NotificationsTable;
  group_servers: GroupServersTable;
  media: MediaTable;
  federation_settings: FederationSettingsTable;
  registration_settings: RegistrationSettingsTable;
  registration_invites: RegistrationInvitesTable;
  federation_domain_rules: FederationDomainRulesTable;
  delivery_audit: DeliveryAuditTable;
  bookmarks: BookmarksTable;
  mutes: MutesTable;
  user_domain_blocks: UserDomainBlocksTable;
  pins: PinsTable;
  post_edits: PostEditsTable;
  markers: MarkersTable;
  remote_media: RemoteMediaTable;
  server_secrets: ServerSecretsTable;
  lists: ListsTable;
  list_accounts: ListAccountsTable;
  filters: FiltersTable;
  filter_keywords: FilterKeywordsTable;
  filter_statuses: FilterStatusesTable;
  account_notes: AccountNotesTable;
  poll_votes: PollVotesTable;
  poll_refreshes: PollRefreshesTable;
  home_feed: HomeFeedTable;
  post_counts: PostCountsTable;
  conversation_marks: ConversationMarksTable;
}

/** How far an account read a conversation (a thread of direct posts), and up to which post it hid it. */
export interface ConversationMarksTable {
  owner_id: string;
  conversation_id: string;
  read_up_to_post_id: string | null;
  hidden_up_to_post_id: string | null;
}

/**
 * A candidate post of a local account's home timeline (filled by triggers,
 * migration 0017); the timeline rechecks every row it reads.
 */
export interface HomeFeedTable {
  owner_id: string;
  post_id: string;
}

/** Per author, and per group: the posts anyone may read (public, unlisted; approved; not deleted). Kept by a trigger. */
export interface PostCountsTable {
  actor_id: string;
  /** posts it wrote */
  statuses: number;
  last_status_at: Timestamp | null;
  /** a group: posts made in it */
  group_statuses: number;
  last_group_status_at: Timestamp | null;
}

export type RepliesPolicy = "followed" | "list" | "none";

/** A list of accounts its owner follows, with a timeline of their posts. */
export interface ListsTable {
  id: Generated<string>;
  owner_id: string;
  title: string;
  replies_policy: Generated<RepliesPolicy>;
  /** its members' posts stay out of the owner's home timeline */
  exclusive: Generated<boolean>;
  created_at: GeneratedTimestamp;
}

export interface ListAccountsTable {
  id: Generated<string>;
  list_id: string;
  actor_id: string;
  /** the owner's follow of the account: the row goes when the follow does */
  follow_id: string;
  created_at: GeneratedTimestamp;
}

export type FilterContext = "home" | "notifications" | "public" | "thread" | "account";
export type FilterAction = "warn" | "hide" | "blur";

/** An account's filter of what it reads: keywords and single posts, in some contexts. */
export interface FiltersTable {
  id: Generated<string>;
  owner_id: string;
  title: string;
  context: FilterContext[];
  action: Generated<FilterAction>;
  expires_at: Timestamp | null;
  created_at: GeneratedTimestamp;
}

export interface FilterKeywordsTable {
  id: Generated<string>;
  filter_id: string;
  keyword: string;
  whole_word: Generated<boolean>;
}

export interface FilterStatusesTable {
  id: Generated<string>;
  filter_id: string;
  post_id: string;
}

/** What an account notes privately about another (Mastodon's Relationship `note`). */
export interface AccountNotesTable {
  actor_id: string;
  target_id: string;
  note: string;
  updated_at: GeneratedTimestamp;
}

export type Actor = Selectable<ActorsTable>;
export type NewActor = Insertable<ActorsTable>;
export type ActorUpdate = Updateable<ActorsTable>;
export type Post = Selectable<PostsTable>;
export type NewPost = Insertable<PostsTable>;
export type Follow = Selectable<FollowsTable>;
export type GroupSettings = Selectable<GroupsTable>;
export type Membership = Selectable<MembershipsTable>;
export type Notification = Selectable<NotificationsTable>;
export type Media = Selectable<MediaTable>;
export type RemoteMediaRow = Selectable<RemoteMediaTable>;
export type Application = Selectable<ApplicationsTable>;
