import type { Federation } from "@fedify/fedify";
import { instanceStats } from "../src/domain/stats.ts";
import type { AppContext } from "../src/context.ts";
import { SOFTWARE } from "../src/version.ts";


export function registerNodeInfo(federation: Federation<AppContext>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const stats = await instanceStats(ctx.data.db);
    return {
      software: {
        name: SOFTWARE.name,
        version: SOFTWARE.version,
        homepage: ctx.data.config.origin,
      },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: {
        users: { total: stats.users },
        localPosts: stats.posts,
        localComments: 0,
      },
    };
  });
}
