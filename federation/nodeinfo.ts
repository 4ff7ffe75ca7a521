import type { Federation } from "@fedify/fedify";
import type { AppContext } from "./context.ts";

export const SOFTWARE_VERSION = "0.1.0";

export function registerNodeInfo(federation: Federation<AppContext>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const db = ctx.data.db;
    const users = await db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    const posts = await db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("local", "=", true).where("deleted_at", "is", null).where("reblog_of_id", "is", null)
      .executeTakeFirstOrThrow();
    return {
      software: {
        name: "plein",
        version: SOFTWARE_VERSION,
        homepage: ctx.data.config.origin,
      },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: {
        users: { total: Number(users.n) },
        localPosts: Number(posts.n),
        localComments: 0,
      },
    };
  });
}
