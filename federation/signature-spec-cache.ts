import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { trustedCopy } from "./trusted-copy.ts";

/** Where Fedify 2.3.8 remembers which HTTP Signatures spec each origin accepted: `[...prefix, origin]`. */
export const SIGNATURE_SPEC_PREFIX: readonly string[] = ["_fedify", "httpMessageSignaturesSpec"];

/**
 * The spec Fedify tries first with an origin it has nothing stored for (its
 * `firstKnock` option, which Plein leaves at Fedify's default).
 */
export const FIRST_KNOCK = "rfc9421";

/** How long this process trusts its copy of the stored specs before listing them again. */
const REMEMBER_MS = 10 * 60_000;

function isSpecEntry(key: KvKey): boolean {
  return key.length === SIGNATURE_SPEC_PREFIX.length + 1 && SIGNATURE_SPEC_PREFIX.every((part, i) => key[i] === part);
}

/**
 * Fedify reads the spec an origin accepts before every delivery and writes it
 * back after every successful one: a read and a write per delivery, for a
 * value that almost never changes. Here the process lists every stored spec
 * at once (one query) and answers from that copy, listing again every ten
 * minutes; an origin missing from it has none stored. A spec is written only
 * when it changes what Fedify would do: an origin that took Fedify's first
 * knock (RFC 9421) with nothing stored needs no entry, so only servers that
 * want the older draft have one, and the list stays short. The first
 * deliveries to a thousand new servers used to cost two thousand queries. A
 * stale copy costs at most a second signature ("double knock"), never a
 * delivery.
 */
export function withRememberedSignatureSpecs(kv: KvStore, now: () => number = Date.now): KvStore {
  // What this process wrote, with the count of writes at each: a list that began
  // before a write ended may not show it, and does not overwrite it.
  const written = new Map<string, { value: unknown; at: number }>();
  let writes = 0;

  const stored = trustedCopy(async (): Promise<Map<string, unknown>> => {
    const writesBefore = writes;
    const specs = new Map<string, unknown>();
    for await (const entry of kv.list(SIGNATURE_SPEC_PREFIX as unknown as KvKey)) {
      if (isSpecEntry(entry.key)) specs.set(entry.key[entry.key.length - 1]!, entry.value);
    }
    for (const [origin, { value, at }] of written) {
      if (at <= writesBefore) written.delete(origin);
      else if (value === undefined) specs.delete(origin);
      else specs.set(origin, value);
    }
    return specs;
  }, REMEMBER_MS, now);

  /** After a write has ended: into the copy, and remembered for a list already under way. */
  const noteWrite = (origin: string, value: unknown) => {
    written.set(origin, { value, at: ++writes });
    if (value === undefined) stored.latest()?.delete(origin);
    else stored.latest()?.set(origin, value);
  };

  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      if (!isSpecEntry(key)) return kv.get<T>(key);
      return (await stored.current()).get(key[key.length - 1]!) as T | undefined;
    },
    async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      if (!isSpecEntry(key)) return kv.set(key, value, options);
      const origin = key[key.length - 1]!;
      const known = (await stored.current()).get(origin);
      if (known === value || (known === undefined && value === FIRST_KNOCK)) return;
      await kv.set(key, value, options);
      noteWrite(origin, value);
    },
    async delete(key: KvKey): Promise<void> {
      await kv.delete(key);
      if (isSpecEntry(key)) noteWrite(key[key.length - 1]!, undefined);
    },
    ...(kv.cas ? { cas: kv.cas.bind(kv) } : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
