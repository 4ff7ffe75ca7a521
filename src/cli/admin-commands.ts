import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import type { Db } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { createUser, requireLocalUser } from "../domain/accounts.ts";
import { DomainError } from "../domain/errors.ts";
import { createGroup, GROUP_VISIBILITIES, JOIN_MODES } from "../domain/groups.ts";
import { defaultModules } from "../modules/registry.ts";
import { issueToken, parseScopes } from "../domain/tokens.ts";
import { auditCommand, AuditUsageError } from "./audit-command.ts";
import { federationCommand, FederationUsageError } from "./federation-command.ts";

/** Commands that work on the database; they run in-process or inside a running PGlite server. */
export const ADMIN_COMMANDS = ["migrate", "user", "token", "group", "federation", "audit"] as const;

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

const GROUP_USAGE = "usage: plein group create NAME --owner USER [--visibility public|closed|secret] [--join open|approval|invite] [--display-name TEXT] [--allowed-domains '*.example.nl,other.nl']";

function oneOfOption<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
}

async function groupCommand(db: Db, config: Config, args: string[]): Promise<CommandResult> {
  const [sub, ...rest] = args;
  if (sub !== "create") throw new UsageError(GROUP_USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      owner: { type: "string" },
      visibility: { type: "string" },
      join: { type: "string" },
      "display-name": { type: "string" },
      description: { type: "string" },
      "allowed-domains": { type: "string" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1 || !values.owner) throw new UsageError(GROUP_USAGE);
  const visibility = oneOfOption(values.visibility, GROUP_VISIBILITIES, "visibility");
  const joinMode = oneOfOption(values.join, JOIN_MODES, "join");
  const allowedDomains = values["allowed-domains"]?.split(",").map((d) => d.trim()).filter((d) => d !== "");
  const owner = await requireLocalUser(db, config.origin, values.owner);
  const group = await createGroup(db, config.origin, owner, {
    name,
    modules: defaultModules(),
    ...(visibility ? { visibility } : {}),
    ...(joinMode ? { joinMode } : {}),
    ...(values["display-name"] ? { displayName: values["display-name"] } : {}),
    ...(values.description ? { description: values.description } : {}),
    ...(allowedDomains ? { allowedDomains } : {}),
  });
  const s = group.settings!;
  const domains = s.allowed_domains.length ? `, members from: ${s.allowed_domains.join(", ")}` : "";
  return ok(`Created group ${group.actor.username} (${group.actor.iri}), ${s.visibility}, join: ${s.join_mode}, owner: ${owner.username}${domains}`);
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
      case "group": return await groupCommand(db, config, args);
      case "federation": return ok(await federationCommand(db, config, args));
      case "audit": return ok(await auditCommand(db, config, args));
      default: throw new UsageError(`unknown command "${command ?? ""}"`);
    }
  } catch (err) {
    if (err instanceof DomainError) return { output: `error: ${err.message}`, code: 1 };
    if (err instanceof UsageError || err instanceof FederationUsageError || err instanceof AuditUsageError) return { output: err.message, code: 2 };
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      return { output: err.message, code: 2 };
    }
    throw err;
  }
}
