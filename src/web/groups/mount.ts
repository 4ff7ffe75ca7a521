/** The group pages' routes (the about page itself is reached through /@name in src/web/pages.ts). */
import type { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { mountComments } from "./comment-routes.ts";
import { mountGroupContent } from "./content.ts";
import { mountEditPost } from "./edit-post.ts";
import { mountGroupMembers } from "./members.ts";
import { mountGroupMembership } from "./membership.ts";
import { mountNewGroup } from "./new-group.ts";

export function mountGroupPages(app: Hono<AppEnv>): void {
  mountNewGroup(app);
  mountGroupMembership(app);
  mountGroupMembers(app);
  mountGroupContent(app);
  mountComments(app);
  mountEditPost(app);
}
