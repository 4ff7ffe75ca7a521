/** A group's events, wiki and files pages (src/web/modules), mounted together. */
import type { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { mountEventPages } from "./events.ts";
import { mountFilePages } from "./files.ts";
import { mountWikiHistory } from "./wiki-history.ts";
import { mountWikiPages } from "./wiki.ts";

export function mountModulePages(app: Hono<AppEnv>): void {
  mountEventPages(app);
  mountWikiPages(app);
  mountWikiHistory(app);
  mountFilePages(app);
}
