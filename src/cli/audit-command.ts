import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import type { Db } from "../db/database.ts";
import { findLocalActor } from "../domain/accounts.ts";
import { auditFilter, type DeliveryRecord, listDeliveryRecords } from "../domain/audit.ts";
import { notFound } from "../domain/errors.ts";
import { isRowId } from "../domain/ids.ts";
import { findActorByHandle } from "../domain/remote-actors.ts";

/**
 * `plein audit GROUP`: where a group's closed content was delivered
 * (src/domain/audit.ts), newest first. Whoever runs the CLI has the
 * database, so reads as an instance admin: any group, or `--all`.
 */
export const AUDIT_USAGE = `usage:
  plein audit GROUP [--server HOST] [--object URL] [--limit N] [--before ID]
  plein audit --all [--server HOST] [--object URL] [--limit N] [--before ID]
      GROUP is a local group's name, or NAME@DOMAIN for another server's group;
      records are printed newest first (default 50, at most 1000); --before ID
      shows the records older than ID (the next page)`;

export class AuditUsageError extends Error {}

function usage(message?: string): never {
  throw new AuditUsageError(message ? `${message}\n${AUDIT_USAGE}` : AUDIT_USAGE);
}

async function findGroupActor(db: Db, config: Config, name: string) {
  const at = name.lastIndexOf("@");
  const actor = at > 0 ? await findActorByHandle(db, name.slice(0, at), name.slice(at + 1)) : await findLocalActor(db, config.origin, name);
  if (!actor || actor.type !== "Group") throw notFound(`No group "${name}"`);
  return actor;
}

function describeRecord(r: DeliveryRecord): string {
  const parts = [r.created_at.toISOString(), r.result.padEnd(9), r.server, `${r.activity_type} of ${r.object_iri}`];
  if (r.status_code !== null) parts.push(`HTTP ${r.status_code}`);
  if (r.attempt !== null) parts.push(`attempt ${r.attempt}`);
  if (r.detail !== null && !(r.status_code !== null && r.detail.startsWith(`HTTP ${r.status_code}`))) parts.push(r.detail);
  parts.push(`#${r.id}`);
  return parts.join("  ");
}

export async function auditCommand(db: Db, config: Config, args: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      all: { type: "boolean", default: false },
      server: { type: "string" },
      object: { type: "string" },
      limit: { type: "string", default: "50" },
      before: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return AUDIT_USAGE;
  if (values.all ? positionals.length !== 0 : positionals.length !== 1) usage(values.all ? "--all takes no group" : "one group, or --all");
  if (!/^\d{1,4}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 1000) usage("--limit is a number from 1 to 1000");
  if (values.before !== undefined && !isRowId(values.before)) usage("--before takes a record's id (the number after #)");
  const group = values.all ? undefined : await findGroupActor(db, config, positionals[0]!);
  const filter = auditFilter({ groupId: group?.id, server: values.server, objectIri: values.object });
  const limit = Number(values.limit);
  const records = await listDeliveryRecords(db, filter, { limit, ...(values.before ? { maxId: values.before } : {}) });
  const what = group ? `group ${group.username} (${group.iri})` : "every group";
  if (records.length === 0) return `No deliveries recorded for ${what}${values.before ? ` before #${values.before}` : ""}`;
  const lines = [`Deliveries of ${what}, newest first:`, ...records.map(describeRecord)];
  if (records.length === limit) lines.push(`more: --before ${records.at(-1)!.id}`);
  return lines.join("\n");
}
