/**
 * The account a handle names, as a person types it: `name` or `@name` (ours),
 * `name@host` (another server's, looked up there when not known yet).
 */
import { DomainError } from "./errors.ts";
import type { Db } from "../db/database.ts";
import type { Actor } from "../db/schema.ts";
import { findLocalActor } from "./accounts.ts";
import { findActorByHandle } from "./remote-actors.ts";
import type { Resolver } from "./resolver.ts";
import { handleDomain } from "./urls.ts";

const HANDLE = /^@?([a-z0-9_.-]{1,64})(?:@([a-z0-9.-]{1,253}(?::\d{1,5})?))?$/i;

/** The account, or undefined for a malformed handle, an unknown or gone account, or a server that does not answer. */
export async function accountByHandle(db: Db, origin: URL, resolver: Resolver, input: string): Promise<Actor | undefined> {
  const m = HANDLE.exec(input.trim());
  if (!m) return undefined;
  const [, name, host] = m as unknown as [string, string, string | undefined];
  let actor: Actor | undefined;
  if (!host || host.toLowerCase() === handleDomain(origin).toLowerCase()) {
    actor = await findLocalActor(db, origin, name);
  } else {
    actor = await findActorByHandle(db, name, host);
    if (!actor) {
      // The resolver answers undefined for an unreachable or broken server; a
      // server the federation policy does not let us ask is not found either.
      try {
        actor = await resolver.resolveActor(`${name}@${host}`);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        actor = undefined;
      }
    }
  }
  return actor && !actor.gone_at ? actor : undefined;
}
