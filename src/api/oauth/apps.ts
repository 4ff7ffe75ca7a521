import { Hono } from "hono";
import { invalid } from "../../domain/errors.ts";
import { applicationOfToken, registerApplication } from "../../domain/oauth.ts";
import type { ApiEnv } from "../mastodon/auth.ts";
import { optionalString, readParams } from "../mastodon/params.ts";
import { renderApplication, renderCredentialApplication } from "./entities.ts";

function redirectUrisParam(value: unknown): string | string[] {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) return value;
  if (value === undefined || value === null) throw invalid("redirect_uris can't be blank");
  throw invalid("redirect_uris must be a string or a list of strings");
}

function scopesParam(value: unknown): string | undefined {
  if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) return value.join(" ");
  if (value === undefined || value === null || typeof value === "string") return value ?? undefined;
  throw invalid("scopes must be a space-separated string");
}

/** POST /api/v1/apps and GET /api/v1/apps/verify_credentials. */
export function appsRoutes(): Hono<ApiEnv> {
  const r = new Hono<ApiEnv>();
  r.post("/", async (c) => {
    const params = await readParams(c);
    const { application, clientSecret } = await registerApplication(c.get("deps").db, {
      name: optionalString(params, "client_name") ?? "",
      website: optionalString(params, "website"),
      redirectUris: redirectUrisParam(params.redirect_uris),
      scopes: scopesParam(params.scopes),
    });
    return c.json(renderCredentialApplication(application, clientSecret));
  });
  r.get("/verify_credentials", async (c) => {
    const m = /^\s*bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(c.req.header("authorization") ?? "");
    const app = m ? await applicationOfToken(c.get("deps").db, m[1]!) : undefined;
    if (!app) return c.json({ error: "The access token is invalid" }, 401);
    return c.json(renderApplication(app));
  });
  return r;
}
