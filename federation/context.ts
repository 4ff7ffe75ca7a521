import type { Config } from "../src/config.ts";
import type { Db } from "../src/db/database.ts";
import type { Resolver } from "../src/domain/resolver.ts";

/** What every Fedify callback and HTTP handler gets. */
export interface AppContext {
  db: Db;
  config: Config;
  /** Set once the federation exists (federation/remote.ts). */
  resolver: Resolver;
}
