import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { Config } from "../config.ts";
import type { Db } from "../db/database.ts";
import {
  currentPolicy,
  decide,
  type DomainAction,
  type DomainRule,
  FEDERATION_MODES,
  type FederationMode,
  type FederationPolicy,
  normalizeHost,
  parseDomainPattern,
  patternText,
  removeDomainRule,
  ruleMatches,
  setDomainRule,
  updateFederationSettings,
} from "../domain/policy.ts";
import { purgeDomain } from "../domain/policy-purge.ts";

/** `plein federation ...`: the instance federation policy (src/domain/policy.ts). */

export const FEDERATION_USAGE = `usage:
  plein federation list                       the mode and every domain rule
  plein federation mode [open|blocklist|allowlist]
                                              show or set the mode
  plein federation allow DOMAIN [--comment TEXT]
  plein federation silence DOMAIN [--comment TEXT]
  plein federation block DOMAIN [--comment TEXT] [--purge]
                                              set a domain's rule (DOMAIN or *.DOMAIN);
                                              --purge removes what we hold from it
  plein federation remove DOMAIN              drop a domain's rule (also: unset)
  plein federation publish on|off             let anyone read the policy, or not
  plein federation check HOST                 what the policy says about a server`;

export class FederationUsageError extends Error {}

function usage(message?: string): never {
  throw new FederationUsageError(message ? `${message}\n${FEDERATION_USAGE}` : FEDERATION_USAGE);
}

function describeRule(rule: DomainRule): string {
  return `${rule.action.padEnd(8)}${patternText(rule)}${rule.comment ? `  (${rule.comment})` : ""}`;
}

function describePolicy(policy: FederationPolicy): string {
  const lines = [`mode: ${policy.mode}`, `published: ${policy.published ? "yes" : "no"}`];
  if (policy.rules.length === 0) lines.push("no domain rules");
  else lines.push(`${policy.rules.length} domain rule${policy.rules.length === 1 ? "" : "s"}:`, ...policy.rules.map((r) => `  ${describeRule(r)}`));
  return lines.join("\n");
}

/** A reminder when a rule is stored but the mode does not apply it. */
function modeNote(mode: FederationMode, action: DomainAction): string {
  if (mode === "open") return "\nnote: the mode is open, so rules are kept but not applied";
  if (mode === "blocklist" && action === "allow") return "\nnote: allow rules count in allowlist mode only (the mode is blocklist)";
  return "";
}

function oneDomain(args: string[], options: ParseArgsOptionsConfig = {}) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options });
  if (positionals.length !== 1) usage(positionals.length === 0 ? "a domain is required" : "one domain at a time");
  return { pattern: parseDomainPattern(positionals[0]), values };
}

export async function federationCommand(db: Db, config: Config, args: string[]): Promise<string> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "help":
    case "--help":
    case "-h":
      return FEDERATION_USAGE;
    case "list":
    case undefined: {
      if (rest.length > 0) usage();
      return describePolicy(await currentPolicy(db));
    }
    case "mode": {
      if (rest.length === 0) return `mode: ${(await currentPolicy(db)).mode}`;
      const [mode, ...more] = rest;
      if (more.length > 0 || !(FEDERATION_MODES as readonly string[]).includes(mode!)) {
        usage(`the mode must be one of ${FEDERATION_MODES.join(", ")}`);
      }
      const policy = await updateFederationSettings(db, { mode: mode as FederationMode });
      return `Federation mode is now ${policy.mode}`;
    }
    case "publish": {
      const [value, ...more] = rest;
      if (more.length > 0 || (value !== "on" && value !== "off")) usage("publish takes on or off");
      const policy = await updateFederationSettings(db, { published: value === "on" });
      return policy.published ? "The federation policy is now public (GET /api/plein/v1/federation/public)" : "The federation policy is no longer public";
    }
    case "allow":
    case "silence":
    case "block": {
      const { pattern, values } = oneDomain(rest, {
        comment: { type: "string" },
        ...(sub === "block" ? { purge: { type: "boolean", default: false } } : {}),
      });
      const comment = typeof values.comment === "string" ? values.comment : undefined;
      const rule = await setDomainRule(db, config.origin.hostname, pattern, { action: sub, ...(comment === undefined ? {} : { comment }) });
      let output = `${rule.action[0]!.toUpperCase()}${rule.action.slice(1)} rule for ${patternText(rule)}`;
      if (values.purge === true) {
        const purged = await purgeDomain(db, pattern);
        output += `\nPurged ${purged.posts} posts, ${purged.likes} likes, ${purged.follows} follows, `
          + `${purged.memberships} memberships and ${purged.notifications} notifications of ${patternText(pattern)}`;
      }
      return output + modeNote((await currentPolicy(db)).mode, rule.action);
    }
    case "remove":
    case "unset": {
      const { pattern } = oneDomain(rest);
      if (!(await removeDomainRule(db, pattern))) return `There was no rule for ${patternText(pattern)}`;
      return `Removed the rule for ${patternText(pattern)}`;
    }
    case "check": {
      if (rest.length !== 1) usage("a host name is required");
      const host = normalizeHost(rest[0]!);
      const policy = await currentPolicy(db);
      const rules = policy.rules.filter((r) => ruleMatches(r, host));
      const why = policy.mode === "open" ? "mode open" : rules.length > 0 ? `rules: ${rules.map(patternText).join(", ")}` : `mode ${policy.mode}, no rule`;
      return `${host}: ${decide(policy, host)} (${why})`;
    }
    default:
      usage(`unknown federation command "${sub}"`);
  }
}
