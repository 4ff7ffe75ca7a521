import { sql } from "kysely";
import type { Db } from "../../src/db/database.ts";
import type { Actor } from "../../src/db/schema.ts";
import { createUser } from "../../src/domain/accounts.ts";
import { issueToken } from "../../src/domain/tokens.ts";

/** A local account with a bearer token, made with Plein's own domain functions. */
export async function localAccount(db: Db, origin: string, username: string): Promise<{ actor: Actor; token: string }> {
  const actor = await createUser(db, new URL(origin), {
    username,
    email: `${username}@bench.example`,
    password: `password-${username}-bench`,
  });
  return { actor, token: await issueToken(db, actor, ["read", "write", "follow"]) };
}

/** Statistics for the planner after a bulk insert. */
export async function analyze(db: Db): Promise<void> {
  await sql`analyze`.execute(db);
}

/** A request to Plein's API that must answer `expected`; returns the parsed JSON. */
export async function api<T>(origin: string, token: string | undefined, method: string, path: string, body?: unknown, expected = 200): Promise<T> {
  const response = await fetch(new URL(path, origin), {
    method,
    headers: {
      accept: "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
