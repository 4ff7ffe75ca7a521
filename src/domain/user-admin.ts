/**
 * The instance admins' list of local accounts, and suspension: a suspended
 * account cannot sign in (checkPassword), and its sessions and tokens end
 * at once, so nothing it was signed in with keeps working.
 */
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { requireInstanceAdmin } from "./admins.ts";
import { forbidden, notFound } from "./errors.ts";
import { keysetPage, type Page } from "./paging.ts";

export interface LocalUser {
  actor: Actor;
  email: string;
  admin: boolean;
  suspendedAt: Date | null;
  createdAt: Date;
}

/** Local people, newest first. Instance admins only. */
export async function listLocalUsers(db: Db, by: Pick<Actor, "id" | "local">, page: Page): Promise<LocalUser[]> {
  await requireInstanceAdmin(db, by);
  const q = db.selectFrom("actors").innerJoin("users", "users.actor_id", "actors.id")
    .selectAll("actors")
    .select(["users.email as u_email", "users.admin as u_admin", "users.suspended_at as u_suspended_at", "users.created_at as u_created_at"])
    .where("actors.local", "=", true).where("actors.type", "=", "Person");
  const rows = await keysetPage(q, "actors.id", page);
  return rows.map(({ u_email, u_admin, u_suspended_at, u_created_at, ...actor }) => ({
    actor, email: u_email, admin: u_admin, suspendedAt: u_suspended_at, createdAt: u_created_at,
  }));
}

export async function isSuspended(db: Db, actorId: string): Promise<boolean> {
  const row = await db.selectFrom("users").select("suspended_at").where("actor_id", "=", actorId).executeTakeFirst();
  return row?.suspended_at != null;
}

/** An instance admin suspends a local account (not their own), or lifts the suspension. */
export async function setSuspended(db: Db, by: Pick<Actor, "id" | "local">, actorId: string, suspended: boolean): Promise<void> {
  await requireInstanceAdmin(db, by);
  if (suspended && actorId === by.id) throw forbidden("You cannot suspend yourself");
  await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("users").set({ suspended_at: suspended ? new Date() : null })
      .where("actor_id", "=", actorId).returning("actor_id").executeTakeFirst();
    if (!row) throw notFound("There is no such account");
    if (!suspended) return;
    await trx.deleteFrom("web_sessions").where("actor_id", "=", actorId).execute();
    // A code not yet exchanged would still give a token.
    await trx.deleteFrom("oauth_codes").where("actor_id", "=", actorId).where("used_at", "is", null).execute();
    await trx.updateTable("access_tokens").set({ revoked_at: new Date() })
      .where("actor_id", "=", actorId).where("revoked_at", "is", null).execute();
  });
}
