import type { Hono } from "hono";
import { mountAccounts } from "./api/mastodon/accounts.ts";
import { mountFollowRequests } from "./api/mastodon/follow-requests.ts";
import { mountInstance } from "./api/mastodon/instance.ts";
import { mountNotifications } from "./api/mastodon/notifications.ts";
import { mountNotificationsV2 } from "./api/mastodon/notifications-v2.ts";
import { mountPolls } from "./api/mastodon/polls.ts";
import { mountReports } from "./api/mastodon/reports.ts";
import { mountDomainBlocks } from "./api/mastodon/domain-blocks.ts";
import { mountSavedLists } from "./api/mastodon/saved.ts";
import { mountClientExtras } from "./api/mastodon/client-extras.ts";
import { mountConversations } from "./api/mastodon/conversations.ts";
import { mountFilters } from "./api/mastodon/filters.ts";
import { mountLists } from "./api/mastodon/lists.ts";
import { mountSearch } from "./api/mastodon/search.ts";
import { mountStatuses } from "./api/mastodon/statuses.ts";
import { mountTimelines } from "./api/mastodon/timelines.ts";
import type { AppEnv } from "./context.ts";
import { mountObjectFallbacks } from "../federation/objects.ts";
import { mountPostPages } from "./web/posts.ts";
import { mountWebAuth } from "./web/auth.ts";
import { mountWebPages } from "./web/pages.ts";
import { mountAccountPages } from "./web/account/index.ts";
import { mountAdminPages } from "./web/admin/routes.ts";
import { mountGroupPages } from "./web/groups/mount.ts";
import { mountModulePages } from "./web/modules/index.ts";
import { mountStylesheet } from "./web/style.ts";
import { mountDefaultImages } from "./web/default-images.ts";
import { mountPleinApi } from "./api/plein/router.ts";
import { mountOAuth } from "./api/oauth/router.ts";
import { mountStreamingHttp } from "./api/streaming/index.ts";
import { mountBrowserClientAccess, mountRateLimits } from "./api/browser-clients.ts";
import { mountAdminDomains } from "./api/mastodon/admin-domains.ts";
import { mountMediaProxy } from "./api/media-proxy.ts";
import { mountMedia } from "./api/mastodon/media.ts";
import { mountMediaFiles } from "./api/mastodon/media-files.ts";
import { mountProfileImages } from "./api/mastodon/profile-images.ts";

/** Every HTTP surface besides federation registers here, in order. */
export const mountRouters: Array<(app: Hono<AppEnv>) => void> = [
  mountBrowserClientAccess,
  mountRateLimits,
  mountOAuth,
  // Mastodon client API (src/api/mastodon), one router per resource.
  mountInstance,
  mountAccounts,
  mountStatuses,
  mountPolls,
  mountTimelines,
  mountFollowRequests,
  mountReports,
  mountDomainBlocks,
  mountNotifications,
  mountNotificationsV2,
  mountSearch,
  mountSavedLists,
  mountClientExtras,
  mountConversations,
  mountLists,
  mountFilters,
  mountAdminDomains,
  mountMedia,
  mountProfileImages,
  mountStreamingHttp,
  // Plein's own API (src/api/plein): groups and their content.
  mountPleinApi,
  // Other servers' avatars, headers and attachments, from this origin.
  mountMediaProxy,
  // This server's own uploads (statuses' images, avatars, headers).
  mountMediaFiles,
  // The pictures of accounts without an avatar or header.
  mountDefaultImages,
  // ActivityPub object ids that Fedify hands on (410 Tombstones, one 404), then web pages.
  mountObjectFallbacks,
  mountPostPages,
  // The site's own pages (src/web): stylesheet, sign-in, home, profiles, tags, feeds.
  mountStylesheet,
  mountWebAuth,
  mountWebPages,
  mountAccountPages,
  mountAdminPages,
  mountGroupPages,
  mountModulePages,
];
