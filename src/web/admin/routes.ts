/** The group admin pages (`/@group/admin/...`) and the instance admin pages (`/admin/...`). */
import type { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { mountGroupMembers } from "./group-members.ts";
import { mountGroupModeration } from "./group-moderation.ts";
import { mountGroupSettings } from "./group-settings.ts";
import { mountInstanceFederation } from "./instance-federation.ts";
import { mountInstanceLists } from "./instance-lists.ts";
import { mountInstanceSettings } from "./instance-settings.ts";

export function mountAdminPages(app: Hono<AppEnv>): void {
  mountGroupSettings(app);
  mountGroupMembers(app);
  mountGroupModeration(app);
  mountInstanceSettings(app);
  mountInstanceFederation(app);
  mountInstanceLists(app);
}
