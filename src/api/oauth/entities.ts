import type { Application } from "../../db/schema.ts";
import type { IssuedTokens } from "../../domain/oauth.ts";

/** Mastodon's Application entity, as GET /api/v1/apps/verify_credentials shows it (no credentials). */
export interface MastodonApplication {
  id: string;
  name: string;
  website: string | null;
  scopes: string[];
  /** deprecated by Mastodon 4.3: the redirect URIs joined by newlines */
  redirect_uri: string;
  redirect_uris: string[];
}

/** The Application entity with its credentials, as POST /api/v1/apps answers once. */
export interface MastodonCredentialApplication extends MastodonApplication {
  client_id: string;
  client_secret: string;
  client_secret_expires_at: number;
}

export function renderApplication(app: Application): MastodonApplication {
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: app.scopes.split(" "),
    redirect_uri: app.redirect_uris.join("\n"),
    redirect_uris: app.redirect_uris,
  };
}

export function renderCredentialApplication(app: Application, clientSecret: string): MastodonCredentialApplication {
  return { ...renderApplication(app), client_id: app.client_id, client_secret: clientSecret, client_secret_expires_at: 0 };
}

/** Mastodon's Token entity (RFC 6749 section 5.1), with a refresh token when one was issued. */
export interface MastodonToken {
  access_token: string;
  token_type: "Bearer";
  scope: string;
  created_at: number;
  refresh_token?: string;
}

export function renderToken(issued: IssuedTokens): MastodonToken {
  return {
    access_token: issued.accessToken,
    token_type: "Bearer",
    scope: issued.scopes.join(" "),
    created_at: Math.floor(issued.createdAt.getTime() / 1000),
    ...(issued.refreshToken === undefined ? {} : { refresh_token: issued.refreshToken }),
  };
}
