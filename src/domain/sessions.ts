import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { findLocalActor } from "./accounts.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { digest, newSecret } from "./tokens.ts";

/** How long a browser stays signed in on the OAuth pages. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
const MAX_LOGIN = 320;
const MAX_PASSWORD = 1024;

// Checked against when no account matches, so that a wrong name takes as long as a wrong password.
let decoyHash: Promise<string> | undefined;

/** A local person by user name or e-mail address and password; undefined for any mismatch. */
export async function checkPassword(db: Db, origin: URL, login: string, password: string): Promise<Actor | undefined> {
  const name = login.trim().replace(/^@/, "");
  if (name === "" || name.length > MAX_LOGIN || password === "" || password.length > MAX_PASSWORD) return undefined;
  let actor: Actor | undefined;
  if (name.includes("@")) {
    actor = await db.selectFrom("actors").innerJoin("users", "users.actor_id", "actors.id")
      .selectAll("actors")
      .where((eb) => eb(eb.fn("lower", ["users.email"]), "=", name.toLowerCase()))
      .executeTakeFirst();
  } else {
    actor = await findLocalActor(db, origin, name);
  }
  const user = actor && actor.type === "Person"
    ? await db.selectFrom("users").select(["password_hash", "suspended_at"]).where("actor_id", "=", actor.id).executeTakeFirst()
    : undefined;
  if (!actor || !user) {
    decoyHash ??= hashPassword(newSecret());
    await verifyPassword(password, await decoyHash);
    return undefined;
  }
  // A suspended account (src/domain/user-admin.ts) signs in nowhere.
  return (await verifyPassword(password, user.password_hash)) && user.suspended_at === null ? actor : undefined;
}

/** Starts a sign-in session; the returned secret goes into the cookie, its digest into the database. */
export async function startSession(db: Db, actor: Actor, now = new Date()): Promise<string> {
  const secret = newSecret();
  await db.deleteFrom("web_sessions").where("expires_at", "<", now).execute();
  await db.insertInto("web_sessions").values({
    session_digest: digest(secret),
    actor_id: actor.id,
    expires_at: new Date(now.getTime() + SESSION_LIFETIME_MS),
  }).execute();
  return secret;
}

/** The person signed in by a session cookie, if it is still valid. */
export async function sessionActor(db: Db, secret: string, now = new Date()): Promise<Actor | undefined> {
  if (secret.length < 16 || secret.length > 200) return undefined;
  return db.selectFrom("web_sessions").innerJoin("actors", "actors.id", "web_sessions.actor_id")
    .selectAll("actors")
    .where("web_sessions.session_digest", "=", digest(secret))
    .where("web_sessions.expires_at", ">", now)
    .executeTakeFirst();
}

/** Ends the session a cookie names (signing out); nothing happens for an unknown secret. */
export async function endSession(db: Db, secret: string): Promise<void> {
  if (secret.length < 16 || secret.length > 200) return;
  await db.deleteFrom("web_sessions").where("session_digest", "=", digest(secret)).execute();
}
