/**
 * A person's own domain blocks (Mastodon's /api/v1/domain_blocks): nothing
 * of accounts on that server in their timelines, streams and notifications
 * (the condition sits with the mutes', src/domain/mutes.ts, so every surface
 * that leaves muted accounts out leaves these out too); their followers from
 * there are removed and their follows of accounts there end, with the
 * federation messages those changes always send. Nobody else is told.
 */
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { invalid } from "./errors.ts";
import { rejectFollowRequest, unfollow } from "./follows.ts";
import { keysetPage, type Page } from "./paging.ts";
import { parseDomainPattern } from "./policy.ts";

/**
 * `example.nl`, `Example.NL`, `bücher.example` → lower case, punycode, as
 * actors.domain holds it: a domain written as a federation rule is
 * (parseDomainPattern), but one server, never a wildcard.
 */
export function normaliseBlockedDomain(raw: string): string {
  const pattern = parseDomainPattern(raw);
  if (pattern.subdomains) throw invalid("domain: one server's domain, without a wildcard");
  return pattern.domain;
}

/** `actor` blocks `domain` (normalised; not `ownDomain`). Idempotent. */
export async function blockDomain(db: Db, actor: Actor, domain: string, ownDomain: string): Promise<void> {
  if (domain === ownDomain) throw invalid("You cannot block your own server");
  await db.insertInto("user_domain_blocks").values({ actor_id: actor.id, domain })
    .onConflict((oc) => oc.columns(["actor_id", "domain"]).doNothing()).execute();
  const followees = await db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.followee_id").selectAll("actors")
    .where("follows.follower_id", "=", actor.id).where("actors.domain", "=", domain).execute();
  for (const followee of followees) await unfollow(db, actor, followee);
  const followers = await db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id").selectAll("actors")
    .where("follows.followee_id", "=", actor.id).where("actors.domain", "=", domain).execute();
  for (const follower of followers) await rejectFollowRequest(db, actor, follower);
}

export async function unblockDomain(db: Db, actor: Actor, domain: string): Promise<void> {
  await db.deleteFrom("user_domain_blocks").where("actor_id", "=", actor.id).where("domain", "=", domain).execute();
}

/** The domains `actorId` blocks, newest block first, with the row id as the page cursor. */
export async function listDomainBlocks(db: Db, actorId: string, page: Page): Promise<Array<{ cursor: string; domain: string }>> {
  const q = db.selectFrom("user_domain_blocks").select(["user_domain_blocks.id", "user_domain_blocks.domain"])
    .where("user_domain_blocks.actor_id", "=", actorId);
  const rows = await keysetPage(q, "user_domain_blocks.id", page);
  return rows.map((r) => ({ cursor: r.id, domain: r.domain }));
}

/** Which of `domains` `actorId` blocks. */
export async function domainsBlockedBy(db: Db, actorId: string, domains: readonly string[]): Promise<Set<string>> {
  if (domains.length === 0) return new Set();
  const rows = await db.selectFrom("user_domain_blocks").select("domain")
    .where("actor_id", "=", actorId).where("domain", "in", [...new Set(domains)]).execute();
  return new Set(rows.map((r) => r.domain));
}
