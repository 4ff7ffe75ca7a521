import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { forbidden } from "./errors.ts";

/** Is this a local account with the instance admin flag (`plein user create --admin`)? */
export async function isInstanceAdmin(db: Db, actor: Pick<Actor, "id" | "local">): Promise<boolean> {
  if (!actor.local) return false;
  const row = await db.selectFrom("users").select("admin").where("actor_id", "=", actor.id).executeTakeFirst();
  return row?.admin === true;
}

/** Refuses (403) anyone but the instance's admins. */
export async function requireInstanceAdmin(db: Db, actor: Pick<Actor, "id" | "local">): Promise<void> {
  if (!(await isInstanceAdmin(db, actor))) throw forbidden("This is for the instance's admins");
}
