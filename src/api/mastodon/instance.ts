import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { notFound } from "../../domain/errors.ts";
import { publishedPolicy } from "../../domain/policy.ts";
import { registrationSettings, registrationSummary } from "../../domain/registrations.ts";
import { instanceStats } from "../../domain/stats.ts";
import type { ApiEnv } from "./auth.ts";
import { instanceProfile } from "../../domain/instance-profile.ts";
import { renderDomainBlock, renderInstanceV1, renderInstanceV2, renderRules } from "./entities/instance.ts";

/** /api/v1/instance and /api/v2/instance (with the admins' name, description, contact and rules), its peers, rules and domain blocks: what clients read before signing in. */
export function mountInstance(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();
  r.get("/v1/instance", async (c) => {
    const deps = c.get("deps");
    return c.json(renderInstanceV1(deps.config.origin, await instanceStats(deps.db), deps.config.maxFileBytes, await instanceProfile(deps.db), registrationSummary(await registrationSettings(deps.db))));
  });
  r.get("/v2/instance", async (c) => {
    const deps = c.get("deps");
    return c.json(renderInstanceV2(deps.config.origin, await instanceStats(deps.db), deps.config.maxFileBytes, await instanceProfile(deps.db), registrationSummary(await registrationSettings(deps.db))));
  });
  // Which servers this one knows is not published (it would tell where members of closed groups are).
  r.get("/v1/instance/peers", (c) => c.json([]));
  // The rules the admins set on /admin/settings.
  r.get("/v1/instance/rules", async (c) => c.json(renderRules(await instanceProfile(c.get("deps").db))));
  // The federation policy's blocked and silenced servers, when the admins publish it (as Mastodon: 404 otherwise).
  r.get("/v1/instance/domain_blocks", async (c) => {
    const policy = await publishedPolicy(c.get("deps").db);
    if (!policy) throw notFound("This server does not publish its federation policy");
    return c.json(policy.rules.filter((rule) => rule.action !== "allow").map(renderDomainBlock));
  });
  app.route("/api", r);
}
