/**
 * /api/plein/v1/federation: the instance federation policy
 * (src/domain/policy.ts). Reading and changing it is for the instance's
 * admins with an admin-scoped token; `/federation/public` is for anyone,
 * once the admins have published the policy.
 */
import type { Hono } from "hono";
import { requireInstanceAdmin } from "../../domain/admins.ts";
import { invalid, notFound } from "../../domain/errors.ts";
import {
  currentPolicy,
  DOMAIN_ACTIONS,
  type DomainRule,
  FEDERATION_MODES,
  type FederationPolicy,
  parseDomainPattern,
  patternText,
  publishedPolicy,
  removeDomainRule,
  updateFederationSettings,
} from "../../domain/policy.ts";
import { setDomainRuleAndPurge } from "../../domain/policy-purge.ts";
import { type ApiContext, type ApiEnv, currentAccount, requireAuth } from "../mastodon/auth.ts";
import { oneOf, optionalBoolean, optionalString, readParams } from "../mastodon/params.ts";

type Json = Record<string, unknown>;

/** The finer Mastodon admin scopes for domain rules are accepted too. */
const READ = ["admin:read", "admin:read:domain_blocks", "admin:read:domain_allows"] as const;
const WRITE = ["admin:write", "admin:write:domain_blocks", "admin:write:domain_allows"] as const;

async function admin(c: ApiContext): Promise<void> {
  await requireInstanceAdmin(c.get("deps").db, currentAccount(c));
}

function renderSettings(policy: FederationPolicy): Json {
  return { mode: policy.mode, published: policy.published, domains_count: policy.rules.length };
}

function renderRule(rule: DomainRule): Json {
  return {
    domain: patternText(rule),
    action: rule.action,
    comment: rule.comment,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  };
}

function pathPattern(c: ApiContext) {
  return parseDomainPattern(c.req.param("domain"));
}

export function mountFederationRoutes(r: Hono<ApiEnv>): void {
  r.get("/federation/public", async (c) => {
    const policy = await publishedPolicy(c.get("deps").db);
    if (!policy) throw notFound("This server does not publish its federation policy");
    return c.json({
      mode: policy.mode,
      domains: policy.rules.map((rule) => ({ domain: patternText(rule), action: rule.action, comment: rule.comment })),
    });
  });

  r.get("/federation", requireAuth(...READ), async (c) => {
    await admin(c);
    return c.json(renderSettings(await currentPolicy(c.get("deps").db)));
  });

  r.put("/federation", requireAuth(...WRITE), async (c) => {
    await admin(c);
    const params = await readParams(c);
    const mode = oneOf(params, "mode", FEDERATION_MODES);
    const published = optionalBoolean(params, "published");
    if (mode === undefined && published === undefined) throw invalid("Give mode or published");
    const policy = await updateFederationSettings(c.get("deps").db, {
      ...(mode === undefined ? {} : { mode }),
      ...(published === undefined ? {} : { published }),
    });
    return c.json(renderSettings(policy));
  });

  r.get("/federation/domains", requireAuth(...READ), async (c) => {
    await admin(c);
    return c.json((await currentPolicy(c.get("deps").db)).rules.map(renderRule));
  });

  r.put("/federation/domains/:domain", requireAuth(...WRITE), async (c) => {
    await admin(c);
    const { db, config } = c.get("deps");
    const pattern = pathPattern(c);
    const params = await readParams(c);
    const action = oneOf(params, "action", DOMAIN_ACTIONS);
    if (action === undefined) throw invalid(`action is required: ${DOMAIN_ACTIONS.join(", ")}`);
    const comment = optionalString(params, "comment");
    const purge = optionalBoolean(params, "purge") ?? false;
    const { rule, purged } = await setDomainRuleAndPurge(db, config.origin.hostname, pattern, {
      action, purge, ...(comment === undefined ? {} : { comment }),
    });
    return c.json({ ...renderRule(rule), ...(purged ? { purged } : {}) });
  });

  r.delete("/federation/domains/:domain", requireAuth(...WRITE), async (c) => {
    await admin(c);
    const pattern = pathPattern(c);
    if (!(await removeDomainRule(c.get("deps").db, pattern))) throw notFound(`There is no rule for ${patternText(pattern)}`);
    return c.json({});
  });
}

const ruleSchema = {
  type: "object",
  properties: {
    domain: { type: "string", description: "example.nl, or *.example.nl for the domain and every host under it" },
    action: { enum: ["allow", "silence", "block"] },
    comment: { type: "string", description: "shown in the public list when the policy is published" },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
  },
};
const settingsSchema = {
  type: "object",
  properties: {
    mode: { enum: ["open", "blocklist", "allowlist"], description: "open: rules not applied; blocklist: block and silence rules apply; allowlist: only allowed (or silenced) domains federate" },
    published: { type: "boolean", description: "anyone may read the policy at /federation/public" },
    domains_count: { type: "integer" },
  },
};

/** The OpenAPI path items of this file (merged into /api/plein/v1/openapi.json). */
export function federationOpenApi(): Json {
  const json = (schema: Json, description = "OK") => ({ description, content: { "application/json": { schema } } });
  const error = (description: string) => json({ $ref: "#/components/schemas/Error" }, description);
  const errors = {
    401: error("The access token is missing or invalid"),
    403: error("Not an instance admin, or the token lacks the admin scope"),
    422: error("Invalid parameters (an unknown mode or action, a malformed domain)"),
  };
  const admin = (summary: string, scope: string, response: Json, extra: Json = {}) => ({
    summary, security: [{ bearer: [scope] }], responses: { 200: response, ...errors }, ...extra,
  });
  const body = (properties: Json, required: string[] = []) => ({
    required: required.length > 0,
    content: {
      "application/json": { schema: { type: "object", properties, required } },
      "application/x-www-form-urlencoded": { schema: { type: "object", properties, required } },
    },
  });
  const domainParam = { name: "domain", in: "path", required: true, schema: { type: "string" }, description: "example.nl or *.example.nl (the * may be sent as %2A)" };
  return {
    "/federation": {
      get: admin("The federation mode and whether the policy is published (instance admins)", "admin:read", json(settingsSchema)),
      put: admin("Change the mode or publish the policy; takes effect at once (instance admins)", "admin:write", json(settingsSchema), {
        requestBody: body({ mode: settingsSchema.properties.mode, published: { type: "boolean" } }),
      }),
    },
    "/federation/domains": {
      get: admin("Every domain rule (instance admins)", "admin:read", json({ type: "array", items: ruleSchema })),
    },
    "/federation/domains/{domain}": {
      put: admin("Set a domain's rule; takes effect at once. `purge` (with block) removes what this server holds from it", "admin:write",
        json({ allOf: [ruleSchema, { type: "object", properties: { purged: { type: "object", description: "what was removed, when purge was asked" } } }] }), {
          parameters: [domainParam],
          requestBody: body({ action: ruleSchema.properties.action, comment: { type: "string", maxLength: 1000 }, purge: { type: "boolean", default: false } }, ["action"]),
        }),
      delete: admin("Drop a domain's rule (instance admins)", "admin:write", json({ type: "object" }), {
        parameters: [domainParam], responses: { 200: json({ type: "object" }), 404: error("No rule for that domain"), ...errors },
      }),
    },
    "/federation/public": {
      get: {
        summary: "The federation policy, when the admins publish it",
        security: [{}],
        responses: {
          200: json({ type: "object", properties: { mode: settingsSchema.properties.mode, domains: { type: "array", items: ruleSchema } } }),
          404: error("The policy is not published"),
        },
      },
    },
  };
}
