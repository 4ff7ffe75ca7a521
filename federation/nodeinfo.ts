import type { Federation } from "@fedify/fedify";
import { instanceStats } from "../src/domain/stats.ts";
import type { AppContext } from "../src/context.ts";

export const SOFTWARE_VERSION = "0.1.0";

export function registerNodeInfo(federation: Federation<AppContext>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const stats = await instanceStats(ctx.data.db);
    return {
      software: {
        name: "plein",
        version: SOFTWARE_VERSION,
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
