/** /api/v1/domain_blocks: the servers a person blocks for themselves (src/domain/user-domain-blocks.ts). */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { invalid } from "../../domain/errors.ts";
import { blockDomain, listDomainBlocks, normaliseBlockedDomain, unblockDomain } from "../../domain/user-domain-blocks.ts";
import { type ApiEnv, currentAccount, requireAuth } from "./auth.ts";
import { limitParam, optionalString, pageParams, type Params, queryParams, readParams, setLinkHeader } from "./params.ts";

function domainParam(params: Params): string {
  const raw = optionalString(params, "domain");
  if (raw === undefined || raw.trim() === "") throw invalid("domain is required");
  return normaliseBlockedDomain(raw);
}

export function mountDomainBlocks(app: Hono<AppEnv>): void {
  const r = new Hono<ApiEnv>();

  // Mastodon: a page of 100 by default, at most 200; the answer is the domains as strings.
  r.get("/", requireAuth("read:blocks"), async (c) => {
    const deps = c.get("deps");
    const params = queryParams(c);
    const entries = await listDomainBlocks(deps.db, currentAccount(c).id, { ...pageParams(params), limit: limitParam(params, 100, 200) });
    setLinkHeader(c, entries.map((e) => e.cursor));
    return c.json(entries.map((e) => e.domain));
  });

  r.post("/", requireAuth("write:blocks"), async (c) => {
    const deps = c.get("deps");
    await blockDomain(deps.db, currentAccount(c), domainParam(await readParams(c)), deps.config.origin.host);
    return c.json({});
  });

  r.delete("/", requireAuth("write:blocks"), async (c) => {
    const deps = c.get("deps");
    await unblockDomain(deps.db, currentAccount(c), domainParam(await readParams(c)));
    return c.json({});
  });

  app.route("/api/v1/domain_blocks", r);
}
