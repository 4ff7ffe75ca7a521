import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import type { Db } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { createUser, requireLocalUser } from "../domain/accounts.ts";
import { DomainError } from "../domain/errors.ts";
import { issueToken, parseScopes } from "../domain/tokens.ts";

/** Commands that work on the database; they run in-process or inside a running PGlite server. */
export const ADMIN_COMMANDS = ["migrate", "user", "token"] as const;

export interface CommandResult {
  output: string;
  code: number;
}

export class UsageError extends Error {}

const ok = (output: string): CommandResult => ({ output, code: 0 });

async function userCommand(db: Db, config: Config, args: string[]): Promise<CommandResult> {
  const [sub, ...rest] = args;
  if (sub !== "create") throw new UsageError("usage: plein user create NAME --email E --password P [--admin]");
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      email: { type: "string" },
      password: { type: "string" },
      admin: { type: "boolean", default: false },
      locked: { type: "boolean", default: false },
      "display-name": { type: "string" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1 || !values.email || !values.password) {
    throw new UsageError("usage: plein user create NAME --email E --password P [--admin] [--locked]");
  }
  const actor = await createUser(db, config.origin, {
    username: name,
    email: values.email,
    password: values.password,
    admin: values.admin,
    locked: values.locked,
    ...(values["display-name"] ? { displayName: values["display-name"] } : {}),
  });
  return ok(`Created user ${actor.username} (${actor.iri})`);
}

async function tokenCommand(db: Db, config: Config, args: string[]): Promise<CommandResult> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { scopes: { type: "string", default: "read write follow" } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError('usage: plein token NAME [--scopes "read write follow"]');
  const actor = await requireLocalUser(db, config.origin, name);
  const token = await issueToken(db, actor, parseScopes(values.scopes));
  return ok(`Bearer token for ${actor.username} (scopes: ${values.scopes}):\n${token}`);
}

export async function runAdminCommand(db: Db, config: Config, argv: string[]): Promise<CommandResult> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case "migrate": {
        const result = await migrateToLatest(db);
        const applied = result.results?.filter((r) => r.status === "Success").map((r) => r.migrationName) ?? [];
        return ok(applied.length ? `Applied ${applied.join(", ")}` : "Database is up to date");
      }
      case "user": return await userCommand(db, config, args);
      case "token": return await tokenCommand(db, config, args);
      default: throw new UsageError(`unknown command "${command ?? ""}"`);
    }
  } catch (err) {
    if (err instanceof DomainError) return { output: `error: ${err.message}`, code: 1 };
    if (err instanceof UsageError) return { output: err.message, code: 2 };
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      return { output: err.message, code: 2 };
    }
    throw err;
  }
}
