/**
 * A local group's instance restriction: it may take members only from listed
 * domains (`example.nl`, `*.example.nl` for the domain and every host under
 * it), matched exactly as the instance federation policy matches its rules
 * (src/domain/policy.ts). An empty list restricts nothing.
 *
 * - People of this instance are always allowed: the group lives here, and who
 *   has an account here is the instance's own business.
 * - A remote person is allowed when every server they involve (where their
 *   actor lives and where their inboxes are) is on the list: the group's
 *   content goes to their inbox, so an allowed id with an inbox elsewhere is
 *   not enough.
 * - The list governs admission: a join request, the approval of a pending
 *   one, an invitation and its acceptance. Members already in when their
 *   domain leaves the list stay members until an admin removes them.
 */
import type { Actor, GroupSettings } from "../db/schema.ts";
import { DomainError, invalid } from "./errors.ts";
import { actorHosts, type DomainPattern, parseDomainPattern, patternText, ruleMatches } from "./policy.ts";

export const MAX_ALLOWED_DOMAINS = 100;

/** The list as an admin gives it: each entry checked and normalised, duplicates dropped, sorted. */
export function parseAllowedDomains(input: readonly unknown[]): string[] {
  const patterns = new Set(input.map((entry) => {
    try {
      return patternText(parseDomainPattern(entry));
    } catch (error) {
      if (error instanceof DomainError) throw invalid(`allowed_domains: ${error.message}`);
      throw error;
    }
  }));
  if (patterns.size > MAX_ALLOWED_DOMAINS) throw invalid(`allowed_domains: at most ${MAX_ALLOWED_DOMAINS} domains`);
  return [...patterns].sort();
}

function patternsOf(settings: Pick<GroupSettings, "allowed_domains">): DomainPattern[] {
  return settings.allowed_domains.map((text) => parseDomainPattern(text));
}

type Candidate = Pick<Actor, "iri" | "inbox_url" | "shared_inbox_url" | "local">;

/**
 * The first server of `actor` that the group's list leaves out, or null when
 * the group may take them (a local person, an empty list, every host listed).
 */
export function hostOutsideGroupDomains(settings: Pick<GroupSettings, "allowed_domains">, actor: Candidate): string | null {
  if (actor.local || settings.allowed_domains.length === 0) return null;
  const patterns = patternsOf(settings);
  const hosts = actorHosts(actor);
  // An actor without a usable URL names no server we could check: refused.
  if (hosts.length === 0) return actor.iri;
  return hosts.find((host) => !patterns.some((p) => ruleMatches(p, host))) ?? null;
}

/** Why the group refuses `actor`, or null when it may take them. Shown to the requester. */
export function groupDomainRefusal(settings: Pick<GroupSettings, "allowed_domains">, actor: Candidate): string | null {
  const host = hostOutsideGroupDomains(settings, actor);
  if (host === null) return null;
  return `This group accepts members only from ${settings.allowed_domains.join(", ")}; ${host} is not among them`;
}
