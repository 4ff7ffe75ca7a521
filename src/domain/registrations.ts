/**
 * How people join this instance. The admins choose a mode:
 * - `closed`: nobody registers (the default until an admin chooses);
 * - `open`: anyone registers and is signed in at once;
 * - `approval`: the account is made but cannot sign in until an admin approves it;
 * - `invite`: only with an invite code an admin made (limited uses, an expiry);
 * - `domains`: anyone whose e-mail address is at an allowed domain
 *   (`example.nl`, or `*.example.nl` for the domain and every host under it,
 *   read as the federation policy reads its rules).
 * A valid invite lets its holder in whatever the mode but `closed`, without
 * approval (the admin who made it already approved). Nothing here sends mail: the
 * `domains` mode trusts the address as typed.
 */
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { Actor, RegistrationMode } from "../db/schema.ts";
import { createUser } from "./accounts.ts";
import { DomainError, invalid, notFound, ReasonedError } from "./errors.ts";
import { isRowId } from "./ids.ts";
import { type DomainPattern, normalizeHost, parseDomainPattern, patternText, ruleMatches } from "./policy.ts";

export type { RegistrationMode };
export const REGISTRATION_MODES: readonly RegistrationMode[] = ["closed", "open", "approval", "invite", "domains"];
export const MAX_ALLOWED_DOMAINS = 100;
export const MAX_INVITE_USES = 1000;
export const MAX_INVITE_DAYS = 365;

/** Why the mode refused a registration, for edges that say it in their own words. */
export type RegistrationRefusal = "closed" | "invite_needed" | "invite_invalid" | "email_domain" | "display_name_long";

export class RegistrationRefused extends ReasonedError<RegistrationRefusal> {}

export interface RegistrationSettings {
  mode: RegistrationMode;
  allowedDomains: DomainPattern[];
}

export async function registrationSettings(db: Db): Promise<RegistrationSettings> {
  const row = await db.selectFrom("registration_settings").selectAll().executeTakeFirst();
  if (!row) return { mode: "closed", allowedDomains: [] };
  return { mode: row.mode, allowedDomains: row.allowed_domains.map((d) => parseDomainPattern(d)) };
}

/** Sets the mode and the allowed e-mail domains (each as `example.nl` or `*.example.nl`). */
export async function updateRegistrationSettings(db: Db, mode: string, allowedDomains: readonly string[]): Promise<RegistrationSettings> {
  if (!(REGISTRATION_MODES as readonly string[]).includes(mode)) throw invalid(`Mode must be one of ${REGISTRATION_MODES.join(", ")}`);
  const patterns = allowedDomains.map((d) => d.trim()).filter((d) => d !== "").map((d) => parseDomainPattern(d));
  if (patterns.length > MAX_ALLOWED_DOMAINS) throw invalid(`At most ${MAX_ALLOWED_DOMAINS} domains`);
  if (mode === "domains" && patterns.length === 0) throw invalid("Registration by e-mail domain needs at least one domain");
  const texts = [...new Set(patterns.map(patternText))];
  const values = { mode: mode as RegistrationMode, allowed_domains: texts, updated_at: new Date() };
  await db.insertInto("registration_settings").values(values)
    .onConflict((oc) => oc.column("id").doUpdateSet(values)).execute();
  return registrationSettings(db);
}

/** Is this e-mail address at one of the allowed domains? */
export function emailDomainAllowed(settings: RegistrationSettings, email: string): boolean {
  const at = email.lastIndexOf("@");
  if (at < 0) return false;
  const host = normalizeHost(email.slice(at + 1));
  return settings.allowedDomains.some((p) => ruleMatches(p, host));
}

export interface Invite {
  id: string;
  code: string;
  maxUses: number;
  uses: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

type InviteRow = { id: string; code: string; max_uses: number; uses: number; expires_at: Date; revoked_at: Date | null; created_at: Date };
const inviteOf = (r: InviteRow): Invite => ({
  id: r.id, code: r.code, maxUses: r.max_uses, uses: r.uses, expiresAt: r.expires_at, revokedAt: r.revoked_at, createdAt: r.created_at,
});

/** Is an invite still good for one more registration? */
export function inviteUsable(invite: Invite, now = new Date()): boolean {
  return invite.revokedAt === null && invite.uses < invite.maxUses && invite.expiresAt > now;
}

/** A new invite code, usable `maxUses` times for `days` days. */
export async function createInvite(db: Db, creator: Actor, maxUses: number, days: number, now = new Date()): Promise<Invite> {
  if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_INVITE_USES) throw invalid(`Uses must be a whole number from 1 to ${MAX_INVITE_USES}`);
  if (!Number.isInteger(days) || days < 1 || days > MAX_INVITE_DAYS) throw invalid(`Days must be a whole number from 1 to ${MAX_INVITE_DAYS}`);
  const row = await db.insertInto("registration_invites").values({
    code: randomBytes(18).toString("base64url"),
    created_by: creator.id,
    max_uses: maxUses,
    expires_at: new Date(now.getTime() + days * 24 * 3600 * 1000),
  }).returningAll().executeTakeFirstOrThrow();
  return inviteOf(row);
}

/** The invites that can still be used, newest first. */
export async function listInvites(db: Db, now = new Date()): Promise<Invite[]> {
  const rows = await db.selectFrom("registration_invites").selectAll()
    .where("revoked_at", "is", null).where("expires_at", ">", now).whereRef("uses", "<", "max_uses")
    .orderBy("id", "desc").limit(200).execute();
  return rows.map(inviteOf);
}

export async function revokeInvite(db: Db, id: string): Promise<void> {
  if (!isRowId(id)) throw notFound("No such invite");
  const res = await db.updateTable("registration_invites").set({ revoked_at: new Date() })
    .where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound("No such invite");
}

/** The invite a code names, if it can still be used. */
export async function findUsableInvite(db: Db, code: string, now = new Date()): Promise<Invite | undefined> {
  if (code === "" || code.length > 100) return undefined;
  const row = await db.selectFrom("registration_invites").selectAll().where("code", "=", code).executeTakeFirst();
  return row && inviteUsable(inviteOf(row), now) ? inviteOf(row) : undefined;
}

/** Takes one use of an invite, if it has one left (atomically: two people cannot take its last use). */
async function takeInviteUse(db: Db, code: string, now: Date): Promise<string | undefined> {
  const row = await db.updateTable("registration_invites").set({ uses: sql<number>`uses + 1` })
    .where("code", "=", code).where("revoked_at", "is", null).where("expires_at", ">", now)
    .whereRef("uses", "<", "max_uses")
    .returning("id").executeTakeFirst();
  return row?.id;
}

async function giveInviteUseBack(db: Db, id: string): Promise<void> {
  await db.updateTable("registration_invites").set({ uses: sql<number>`greatest(uses - 1, 0)` }).where("id", "=", id).execute();
}

export interface Registration {
  username: string;
  displayName: string;
  email: string;
  password: string;
  /** the invite code of the link, if any */
  invite?: string;
}

export interface Registered {
  actor: Actor;
  /** waits for an admin's approval before it can sign in */
  approvalPending: boolean;
}

/** Makes an account as the mode allows (errors: `forbidden` when the mode refuses, `invalid`/`conflict` for the fields). */
export async function register(db: Db, origin: URL, input: Registration, now = new Date()): Promise<Registered> {
  const settings = await registrationSettings(db);
  if (input.displayName.length > 100) throw new RegistrationRefused("invalid", "display_name_long", "The display name is longer than 100 characters");
  if (settings.mode === "closed") throw new RegistrationRefused("forbidden", "closed", "Registration is closed");
  const code = input.invite?.trim() ?? "";
  if (code !== "") {
    const inviteId = await takeInviteUse(db, code, now);
    if (!inviteId) throw new RegistrationRefused("forbidden", "invite_invalid", "This invite link is not valid: it expired, was used up or was revoked");
    try {
      return { actor: await createUser(db, origin, userOf(input)), approvalPending: false };
    } catch (error) {
      if (error instanceof DomainError) await giveInviteUseBack(db, inviteId);
      throw error;
    }
  }
  switch (settings.mode) {
    case "invite":
      throw new RegistrationRefused("forbidden", "invite_needed", "Registration needs an invite link");
    case "domains":
      if (!emailDomainAllowed(settings, input.email)) {
        throw new RegistrationRefused("invalid", "email_domain", `Registration is open to e-mail addresses at ${settings.allowedDomains.map(patternText).join(", ")} only`);
      }
      break;
    case "open":
    case "approval":
      break;
  }
  const approvalPending = settings.mode === "approval";
  return { actor: await createUser(db, origin, { ...userOf(input), approvalPending }), approvalPending };
}

function userOf(input: Registration) {
  return { username: input.username.trim(), email: input.email.trim(), password: input.password, displayName: input.displayName.trim() };
}

export interface PendingAccount {
  actor: Actor;
  email: string;
  registeredAt: Date;
}

/** The accounts waiting for approval, oldest first. */
export async function listPendingAccounts(db: Db): Promise<PendingAccount[]> {
  const rows = await db.selectFrom("users").innerJoin("actors", "actors.id", "users.actor_id")
    .selectAll("actors").select(["users.email as user_email", "users.created_at as user_created_at"])
    .where("users.approval_pending", "=", true).orderBy("users.created_at").limit(500).execute();
  return rows.map(({ user_email, user_created_at, ...actor }) => ({ actor, email: user_email, registeredAt: user_created_at }));
}

/** Lets a waiting account sign in. */
export async function approveAccount(db: Db, actorId: string): Promise<void> {
  if (!isRowId(actorId)) throw notFound("No such waiting account");
  const res = await db.updateTable("users").set({ approval_pending: false })
    .where("actor_id", "=", actorId).where("approval_pending", "=", true).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound("No such waiting account");
}

/** Deletes a waiting account (it never signed in, so it has made nothing). */
export async function rejectAccount(db: Db, actorId: string): Promise<void> {
  if (!isRowId(actorId)) throw notFound("No such waiting account");
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("users").select("actor_id")
      .where("actor_id", "=", actorId).where("approval_pending", "=", true).forUpdate().executeTakeFirst();
    if (!row) throw notFound("No such waiting account");
    await trx.deleteFrom("actors").where("id", "=", actorId).execute();
  });
}

/** What the Mastodon instance entities say about registration. */
export interface RegistrationSummary {
  /** anyone can register without an invite (maybe with approval, maybe only at some domains) */
  enabled: boolean;
  approvalRequired: boolean;
  invitesEnabled: boolean;
  /** for `domains`: which */
  message: string | null;
}

export function registrationSummary(settings: RegistrationSettings): RegistrationSummary {
  const { mode } = settings;
  return {
    enabled: mode === "open" || mode === "approval" || mode === "domains",
    approvalRequired: mode === "approval",
    invitesEnabled: mode !== "closed",
    message: mode === "domains" ? `Open to e-mail addresses at ${settings.allowedDomains.map(patternText).join(", ")}` : null,
  };
}
