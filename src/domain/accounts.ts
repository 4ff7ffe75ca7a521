import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { DomainError, notFound, ReasonedError } from "./errors.ts";
import { generateActorKeys, storeActorKeys } from "./keys.ts";
import { checkNewPassword, hashPassword, verifyPassword } from "./passwords.ts";
import { handleDomain, localActorUrls } from "./urls.ts";

export const USERNAME_PATTERN = /^[a-z0-9_]{1,30}$/;
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
/** Names that would collide with routes or the instance actor. */
const RESERVED = new Set(["admin", "api", "inbox", "instance", "actor", "oauth", "users", "groups",
  "well_known", "nodeinfo", "healthz", "metrics", "root", "system", "support", "abuse", "postmaster"]);

/** Why a new account's name or address was refused, for edges that say it in their own words. */
export type AccountFieldReason = "username_invalid" | "username_reserved" | "username_taken" | "email_invalid" | "email_taken";

export class AccountFieldError extends ReasonedError<AccountFieldReason> {}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  admin?: boolean;
  displayName?: string;
  locked?: boolean;
  /** registered while the instance asks for approval: cannot sign in until an admin approves */
  approvalPending?: boolean;
}

export function validateUsername(origin: URL, username: string): string {
  const name = username.toLowerCase();
  if (!USERNAME_PATTERN.test(name)) {
    throw new AccountFieldError("invalid", "username_invalid", "Username must be 1 to 30 characters: letters a-z, digits and underscores");
  }
  if (RESERVED.has(name) || name === origin.hostname.toLowerCase()) throw new AccountFieldError("invalid", "username_reserved", `Username "${name}" is reserved`);
  return name;
}

/** Creates a local Person actor with its key pairs and credentials, in one transaction. */
export async function createUser(db: Db, origin: URL, input: NewUser): Promise<Actor> {
  const username = validateUsername(origin, input.username);
  if (!EMAIL_PATTERN.test(input.email)) throw new AccountFieldError("invalid", "email_invalid", "Email address is not valid");
  checkNewPassword(input.password);
  const [keys, passwordHash] = await Promise.all([generateActorKeys(), hashPassword(input.password)]);
  const urls = localActorUrls(origin, username);
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom("actors").select("id")
      .where((eb) => eb(eb.fn("lower", ["username"]), "=", username))
      .where("domain", "=", handleDomain(origin)).executeTakeFirst();
    if (taken) throw new AccountFieldError("conflict", "username_taken", `The name "${username}" is already taken`);
    const emailTaken = await trx.selectFrom("users").select("actor_id")
      .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email.toLowerCase())).executeTakeFirst();
    if (emailTaken) throw new AccountFieldError("conflict", "email_taken", "That email address is already in use");
    const actor = await trx.insertInto("actors").values({
      iri: urls.iri,
      type: "Person",
      username,
      domain: handleDomain(origin),
      local: true,
      display_name: input.displayName ?? "",
      url: urls.profile,
      inbox_url: urls.inbox,
      shared_inbox_url: urls.sharedInbox,
      outbox_url: urls.outbox,
      followers_url: urls.followers,
      following_url: urls.following,
      featured_url: urls.featured,
      manually_approves_followers: input.locked ?? false,
    }).returningAll().executeTakeFirstOrThrow();
    await trx.insertInto("users").values({
      actor_id: actor.id,
      email: input.email,
      password_hash: passwordHash,
      admin: input.admin ?? false,
      approval_pending: input.approvalPending ?? false,
    }).execute();
    await storeActorKeys(trx, actor.id, keys);
    return actor;
  });
}

/**
 * The instance's own Application actor (signs fetches, authorized-fetch compatible).
 * Its username is the host name, like Mastodon's instance actor; created on first start.
 */
export async function ensureInstanceActor(db: Db, origin: URL): Promise<Actor> {
  const existing = await findInstanceActor(db, origin);
  if (existing) return existing;
  const keys = await generateActorKeys();
  const urls = localActorUrls(origin, origin.hostname);
  return db.transaction().execute(async (trx) => {
    // Processes starting together on a new database (web and workers) each create it:
    // the first insert wins, the others wait for its commit and read its row.
    const actor = await trx.insertInto("actors").values({
      iri: urls.iri,
      type: "Application",
      username: origin.hostname,
      domain: handleDomain(origin),
      local: true,
      display_name: origin.hostname,
      url: origin.href,
      inbox_url: urls.inbox,
      shared_inbox_url: urls.sharedInbox,
      outbox_url: urls.outbox,
      followers_url: urls.followers,
      following_url: urls.following,
      manually_approves_followers: true,
    }).onConflict((oc) => oc.doNothing()).returningAll().executeTakeFirst();
    if (!actor) return trx.selectFrom("actors").selectAll().where("iri", "=", urls.iri).executeTakeFirstOrThrow();
    await storeActorKeys(trx, actor.id, keys);
    return actor;
  });
}

export function findInstanceActor(db: Db, origin: URL): Promise<Actor | undefined> {
  return db.selectFrom("actors").selectAll()
    .where("iri", "=", localActorUrls(origin, origin.hostname).iri).executeTakeFirst();
}

export function findLocalActor(db: Db, origin: URL, username: string): Promise<Actor | undefined> {
  return db.selectFrom("actors").selectAll()
    .where("local", "=", true)
    .where("domain", "=", handleDomain(origin))
    .where((eb) => eb(eb.fn("lower", ["username"]), "=", username.toLowerCase()))
    .executeTakeFirst();
}

export async function requireLocalUser(db: Db, origin: URL, username: string): Promise<Actor> {
  const actor = await findLocalActor(db, origin, username);
  if (!actor || actor.type !== "Person") throw notFound(`No local user "${username}"`);
  return actor;
}

export async function countLocalUsers(db: Db): Promise<number> {
  const row = await db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A local actor by its id (IRI). */
export function findLocalActorByIri(db: Db, iri: string): Promise<Actor | undefined> {
  return db.selectFrom("actors").selectAll().where("iri", "=", iri).where("local", "=", true).executeTakeFirst();
}

/** The current password given to change it was wrong. */
export class WrongPassword extends DomainError {
  constructor() {
    super("invalid", "The current password is wrong");
  }
}

/**
 * Changes a person's password after checking the current one (a wrong one is
 * `WrongPassword`, an `invalid`). Their OAuth tokens stay; ending their other web
 * sessions is the caller's (src/domain/sessions.ts `endOtherSessions`).
 */
export async function changePassword(db: Db, actorId: string, current: string, next: string): Promise<void> {
  const user = await db.selectFrom("users").select("password_hash").where("actor_id", "=", actorId).executeTakeFirst();
  if (!user) throw notFound("No such account");
  if (current.length > 1024 || !(await verifyPassword(current, user.password_hash))) throw new WrongPassword();
  checkNewPassword(next);
  await db.updateTable("users").set({ password_hash: await hashPassword(next) }).where("actor_id", "=", actorId).execute();
}
