/**
 * Mastodon's admin API for domain blocks and allows
 * (/api/v1/admin/domain_blocks, /api/v1/admin/domain_allows), backed by the
 * instance federation policy (src/domain/policy.ts): a block is a rule for
 * the domain and its subdomains (as Mastodon's are) with the action "block"
 * (Mastodon's severity "suspend") or "silence"; an allow is an "allow" rule.
 * A rule's id is its pattern (`example.nl`, `*.example.nl`).
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { requireInstanceAdmin } from "../../domain/admins.ts";
import { DomainError, invalid, notFound } from "../../domain/errors.ts";
import {
  currentPolicy,
  type DomainAction,
  type DomainRule,
  normalizeHost,
  parseDomainPattern,
  patternText,
  removeDomainRule,
  setDomainRule,
} from "../../domain/policy.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { oneOf, optionalString, type Params, readParams } from "./params.ts";

type Json = Record<string, unknown>;
type Kind = "blocks" | "allows";

const SEVERITY_OF: Partial<Record<DomainAction, string>> = { block: "suspend", silence: "silence" };
const ACTION_OF: Record<string, DomainAction> = { suspend: "block", silence: "silence" };

function renderBlock(rule: DomainRule): Json {
  return {
    id: patternText(rule),
    domain: rule.domain,
    digest: createHash("sha256").update(rule.domain).digest("hex"),
    created_at: rule.createdAt.toISOString(),
    severity: SEVERITY_OF[rule.action],
    reject_media: false,
    reject_reports: false,
    private_comment: null,
    public_comment: rule.comment || null,
    obfuscate: false,
  };
}

function renderAllow(rule: DomainRule): Json {
  return { id: patternText(rule), domain: rule.domain, created_at: rule.createdAt.toISOString() };
}

const isKind = (kind: Kind) => (rule: DomainRule) => (kind === "allows" ? rule.action === "allow" : rule.action !== "allow");

async function admin(c: ApiContext): Promise<void> {
  await requireInstanceAdmin(c.get("deps").db, currentAccount(c));
}

async function ruleById(c: ApiContext, kind: Kind): Promise<DomainRule> {
  let pattern;
  try {
    pattern = parseDomainPattern(c.req.param("id"));
  } catch (error) {
    // An id that is no domain pattern names no rule.
    if (error instanceof DomainError && error.kind === "invalid") throw notFound();
    throw error;
  }
  const rule = (await currentPolicy(c.get("deps").db)).rules
    .find((r) => r.domain === pattern.domain && r.subdomains === pattern.subdomains && isKind(kind)(r));
  if (!rule) throw notFound();
  return rule;
}

/** Mastodon's rules cover subdomains: `example.nl` here is `*.example.nl` in the policy; never our own domain. */
function patternParam(value: string, ownHost: string) {
  const pattern = parseDomainPattern(value);
  if (pattern.domain === normalizeHost(ownHost)) throw invalid(`${pattern.domain} is this server's own domain`);
  return { domain: pattern.domain, subdomains: true };
}

function severityParam(params: Params, fallback: DomainAction): DomainAction {
  if (optionalString(params, "severity") === "noop") throw invalid("severity noop is not supported: remove the block instead");
  const severity = oneOf(params, "severity", ["suspend", "silence"]);
  return severity === undefined ? fallback : ACTION_OF[severity]!;
}

function domainParam(params: Params): string {
  const domain = optionalString(params, "domain")?.trim();
  if (!domain) throw invalid("domain is required");
  return domain;
}

function routes(kind: Kind, render: (rule: DomainRule) => Json): Hono<ApiEnv> {
  const scope = kind === "blocks" ? "domain_blocks" : "domain_allows";
  const read = requireAuth("admin:read", `admin:read:${scope}`);
  const write = requireAuth("admin:write", `admin:write:${scope}`);
  const r = new Hono<ApiEnv>();

  r.get("/", read, async (c) => {
    await admin(c);
    return c.json((await currentPolicy(c.get("deps").db)).rules.filter(isKind(kind)).map(render));
  });

  r.get("/:id", read, async (c) => {
    await admin(c);
    return c.json(render(await ruleById(c, kind)));
  });

  r.post("/", write, async (c) => {
    await admin(c);
    const params = await readParams(c);
    const { db, config } = c.get("deps");
    const pattern = patternParam(domainParam(params), config.origin.hostname);
    const action = kind === "allows" ? "allow" : severityParam(params, "silence");
    const comment = kind === "blocks" ? optionalString(params, "public_comment") : undefined;
    const rule = await setDomainRule(db, config.origin.hostname, pattern, { action, ...(comment === undefined ? {} : { comment }) });
    return c.json(render(rule));
  });

  if (kind === "blocks") {
    r.put("/:id", write, async (c) => {
      await admin(c);
      const existing = await ruleById(c, kind);
      const params = await readParams(c);
      const comment = optionalString(params, "public_comment");
      const { db, config } = c.get("deps");
      const rule = await setDomainRule(db, config.origin.hostname, existing, {
        action: severityParam(params, existing.action), ...(comment === undefined ? {} : { comment }),
      });
      return c.json(render(rule));
    });
  }

  r.delete("/:id", write, async (c) => {
    await admin(c);
    const existing = await ruleById(c, kind);
    await removeDomainRule(c.get("deps").db, existing);
    return c.json({});
  });
  return r;
}

export function mountAdminDomains(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  r.route("/domain_blocks", routes("blocks", renderBlock));
  r.route("/domain_allows", routes("allows", renderAllow));
  app.route("/api/v1/admin", r);
}
