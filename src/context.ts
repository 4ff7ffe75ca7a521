import type { Config } from "./config.ts";
import type { Db } from "./db/database.ts";
import type { Resolver } from "./domain/resolver.ts";

/** What every Fedify callback and HTTP handler gets. */
export interface AppContext {
  db: Db;
  config: Config;
  /** Set once the federation exists (federation/remote.ts). */
  resolver: Resolver;
}

/** The Hono environment of every router: the app's dependencies. */
export type AppEnv = { Variables: { deps: AppContext } };
