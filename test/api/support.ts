/**
 * One in-process Plein instance for Mastodon API tests: no HTTP listener, no
 * queue worker (role "web"), requests through `app.request`. Users and tokens
 * are made through the domain, as `plein user create` and `plein token` do.
 */
import { expect } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { MastodonStatus } from "../../src/api/mastodon/entities/status.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { type Resolver, RemoteMediaError } from "../../src/domain/resolver.ts";
import { ANONYMOUS } from "../../src/domain/visibility.ts";
import { issueToken } from "../../src/domain/tokens.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";

export const ORIGIN = "https://plein.test";

export interface User {
  actor: Actor;
  id: string;
  token: string;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  /** parsed JSON (every API answer is JSON); the type is what the test expects, unchecked */
  body: T;
  text: string;
}

/** What every error answer looks like. */
export interface ApiError {
  error: string;
}

export interface RequestOptions {
  token?: string;
  /** sent as application/json */
  json?: unknown;
  /** sent as application/x-www-form-urlencoded */
  form?: Record<string, string | string[]>;
  /** raw body, with `contentType` */
  body?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A resolver that knows nobody: what an isolated instance sees. */
export const nothingResolver: Resolver = {
  resolveActor: async () => undefined,
  resolvePost: async () => undefined,
  requestViewer: async () => ANONYMOUS,
  fetchMedia: async (url) => {
    throw new RemoteMediaError(`${url}: this instance reaches no other server`);
  },
};

/** A resolver whose every lookup fails (network down, remote broken). */
export const failingResolver: Resolver = {
  resolveActor: async () => {
    throw new Error("network unreachable");
  },
  resolvePost: async () => {
    throw new Error("network unreachable");
  },
  requestViewer: async () => {
    throw new Error("network unreachable");
  },
  fetchMedia: async () => {
    throw new Error("network unreachable");
  },
};

export interface Api {
  running: RunningPlein;
  request<T = ApiError>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  user(name: string, options?: { locked?: boolean; scopes?: string[] }): Promise<User>;
  token(user: User | Actor, scopes: string[]): Promise<string>;
  /** Posts a status and returns its JSON (fails the test on anything but 200). */
  post(user: User, fields: Record<string, unknown>): Promise<MastodonStatus>;
  setResolver(resolver: Resolver): void;
  /** The instance's own resolver (federation/remote.ts), as started. */
  realResolver: Resolver;
  close(): Promise<void>;
}

/** `env`: more configuration (e.g. PLEIN_ALLOW_PRIVATE_ADDRESS to verify a fake remote's signatures). */
export async function startApi(options: { env?: Record<string, string> } = {}): Promise<Api> {
  const database = await openTestDatabase();
  const running = await startPlein(
    loadConfig({ PLEIN_ORIGIN: ORIGIN, PLEIN_DATA_DIR: "memory://", LOG_LEVEL: "error", PLEIN_RATE_LIMIT: "0", ...options.env }),
    { database, listen: false, role: "web" },
  );
  const realResolver = running.deps.resolver;
  running.deps.resolver = nothingResolver;

  const request = async <T = ApiError>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(options.form)) {
        for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
      }
      body = params.toString();
    } else if (options.body !== undefined) {
      body = options.body;
      if (options.contentType) headers["content-type"] = options.contentType;
    }
    const res = await running.app.request(new URL(path, ORIGIN).href, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // Every answer of the API is JSON, errors included, and nothing is a 500.
    expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBeLessThan(500);
    expect(res.headers.get("content-type") ?? "", `${method} ${path} content type`).toMatch(/application\/json/);
    if (res.status >= 400) expect(typeof (parsed as { error?: unknown })?.error).toBe("string");
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };

  const token = (user: User | Actor, scopes: string[]) =>
    issueToken(running.deps.db, "actor" in user ? user.actor : user, scopes);

  return {
    running,
    request,
    token,
    async user(name, options = {}) {
      const actor = await createUser(running.deps.db, running.config.origin, {
        username: name, email: `${name}@mail.example`, password: "correct horse battery", locked: options.locked,
      });
      const t = await issueToken(running.deps.db, actor, options.scopes ?? ["read", "write", "follow"]);
      return { actor, id: actor.id, token: t };
    },
    async post(user, fields) {
      const res = await request<MastodonStatus>("POST", "/api/v1/statuses", { token: user.token, json: fields });
      expect(res.status, res.text).toBe(200);
      return res.body;
    },
    realResolver,
    setResolver(resolver) {
      running.deps.resolver = resolver;
    },
    async close() {
      await running.close();
      await running.database.close();
    },
  };
}
