import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { findLocalActor } from "./accounts.ts";
import { isRowId } from "./ids.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { digest, newSecret } from "./tokens.ts";

/** How long a browser stays signed in on the OAuth pages. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
const MAX_LOGIN = 320;
const MAX_PASSWORD = 1024;

// Checked against when no account matches, so that a wrong name takes as long as a wrong password.
let decoyHash: Promise<string> | undefined;

/** Whose password matched, and whether that account still waits for an admin's approval. */
export interface Credentials {
  actor: Actor;
  approvalPending: boolean;
}

/**
 * A local person by user name or e-mail address and password, whether or not
 * approved yet; undefined for any mismatch. The sign-in page uses it to tell
 * a waiting person so; everything else signs in through `checkPassword`.
 */
export async function checkCredentials(db: Db, origin: URL, login: string, password: string): Promise<Credentials | undefined> {
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
    ? await db.selectFrom("users").select(["password_hash", "approval_pending", "suspended_at"]).where("actor_id", "=", actor.id).executeTakeFirst()
    : undefined;
  if (!actor || !user) {
    decoyHash ??= hashPassword(newSecret());
    await verifyPassword(password, await decoyHash);
    return undefined;
  }
  // A suspended account (src/domain/user-admin.ts) signs in nowhere.
  return (await verifyPassword(password, user.password_hash)) && user.suspended_at === null
    ? { actor, approvalPending: user.approval_pending }
    : undefined;
}

/** A local person, approved, by user name or e-mail address and password; undefined for any mismatch. */
export async function checkPassword(db: Db, origin: URL, login: string, password: string): Promise<Actor | undefined> {
  const found = await checkCredentials(db, origin, login, password);
  return found && !found.approvalPending ? found.actor : undefined;
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

/** How often a session's "last used" is written (not on every request). */
const LAST_USED_EVERY_MS = 5 * 60 * 1000;

/** The person signed in by a session cookie, if it is still valid (notes when it was last used). */
export async function sessionActor(db: Db, secret: string, now = new Date()): Promise<Actor | undefined> {
  if (secret.length < 16 || secret.length > 200) return undefined;
  const row = await db.selectFrom("web_sessions").innerJoin("actors", "actors.id", "web_sessions.actor_id")
    .selectAll("actors")
    .select(["web_sessions.id as session_id", "web_sessions.last_used_at as session_last_used_at"])
    .where("web_sessions.session_digest", "=", digest(secret))
    .where("web_sessions.expires_at", ">", now)
    .executeTakeFirst();
  if (!row) return undefined;
  const { session_id, session_last_used_at, ...actor } = row;
  if (!session_last_used_at || now.getTime() - session_last_used_at.getTime() > LAST_USED_EVERY_MS) {
    await db.updateTable("web_sessions").set({ last_used_at: now }).where("id", "=", session_id).execute();
  }
  return actor;
}

/** One of a person's web sessions, as the sessions list shows it. */
export interface WebSessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  /** the session of the browser asking */
  current: boolean;
}

/** A person's live web sessions, newest first; `currentSecret` marks the asking browser's. */
export async function listSessions(db: Db, actorId: string, currentSecret: string | undefined, now = new Date()): Promise<WebSessionView[]> {
  const mine = currentSecret ? digest(currentSecret) : undefined;
  const rows = await db.selectFrom("web_sessions").select(["id", "session_digest", "created_at", "last_used_at", "expires_at"])
    .where("actor_id", "=", actorId).where("expires_at", ">", now)
    .orderBy("created_at", "desc").orderBy("id", "desc").execute();
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at, current: r.session_digest === mine }));
}

/** Ends one of a person's sessions by its id; false when they have none by that id. */
export async function endSessionById(db: Db, actorId: string, id: string): Promise<boolean> {
  if (!isRowId(id)) return false;
  const res = await db.deleteFrom("web_sessions").where("actor_id", "=", actorId).where("id", "=", id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Ends every web session of a person but the one `keepSecret` names (after a password change). */
export async function endOtherSessions(db: Db, actorId: string, keepSecret: string | undefined): Promise<void> {
  let q = db.deleteFrom("web_sessions").where("actor_id", "=", actorId);
  if (keepSecret) q = q.where("session_digest", "!=", digest(keepSecret));
  await q.execute();
}

/** Ends the session a cookie names (signing out); nothing happens for an unknown secret. */
export async function endSession(db: Db, secret: string): Promise<void> {
  if (secret.length < 16 || secret.length > 200) return;
  await db.deleteFrom("web_sessions").where("session_digest", "=", digest(secret)).execute();
}
