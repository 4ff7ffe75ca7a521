/** The account pages (issue 11): registration and its admin page, settings (password, sessions), notifications, search. */
import type { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { mountRegistrationAdmin } from "./admin-registrations.ts";
import { mountNotificationsPage } from "./notifications.ts";
import { mountSearchPage } from "./search.ts";
import { mountSettings } from "./settings.ts";
import { mountSignUp } from "./sign-up.ts";

export function mountAccountPages(app: Hono<AppEnv>): void {
  mountSignUp(app);
  mountRegistrationAdmin(app);
  mountSettings(app);
  mountNotificationsPage(app);
  mountSearchPage(app);
}
