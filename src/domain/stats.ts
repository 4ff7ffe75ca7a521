import type { Db } from "../db/database.ts";
import { ANONYMOUS, visibleTo } from "./visibility.ts";

export interface InstanceStats {
  users: number;
  /** local posts anyone may see (closed ones are not counted: counts must not leak them) */
  posts: number;
  /** other servers we know actors of */
  domains: number;
}

export async function instanceStats(db: Db): Promise<InstanceStats> {
  const [users, posts, domains] = await Promise.all([
    db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
    db.selectFrom("posts").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("posts.local", "=", true).where("posts.reblog_of_id", "is", null)
      .where(visibleTo(ANONYMOUS)).executeTakeFirstOrThrow(),
    db.selectFrom("actors").select((eb) => eb.fn.count<string>("domain").distinct().as("n"))
      .where("local", "=", false).executeTakeFirstOrThrow(),
  ]);
  return { users: Number(users.n), posts: Number(posts.n), domains: Number(domains.n) };
}
