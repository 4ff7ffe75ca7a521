import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";

/** Where Fedify 2.3.8 remembers which HTTP Signatures spec each origin accepted: `[...prefix, origin]`. */
export const SIGNATURE_SPEC_PREFIX: readonly string[] = ["_fedify", "httpMessageSignaturesSpec"];

/** How long this process trusts its copy of an origin's spec before reading it again. */
const REMEMBER_MS = 10 * 60_000;
const MAX_ORIGINS = 10_000;

function isSpecEntry(key: KvKey): boolean {
  return key.length === SIGNATURE_SPEC_PREFIX.length + 1 && SIGNATURE_SPEC_PREFIX.every((part, i) => key[i] === part);
}

/**
 * Fedify reads the spec an origin accepts before every delivery and writes it
 * back after every successful one: a read and a write per delivery, for a
 * value that almost never changes. Here the process keeps its copy, reads the
 * store at most every ten minutes per origin and writes only a change. A stale
 * copy costs at most a second signature ("double knock"), never a delivery.
 */
export function withRememberedSignatureSpecs(kv: KvStore, now: () => number = Date.now): KvStore {
  const remembered = new Map<string, { value: unknown; until: number }>();
  const remember = (origin: string, value: unknown) => {
    remembered.delete(origin);
    remembered.set(origin, { value, until: now() + REMEMBER_MS });
    if (remembered.size > MAX_ORIGINS) remembered.delete(remembered.keys().next().value!);
  };
  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      if (!isSpecEntry(key)) return kv.get<T>(key);
      const origin = key[key.length - 1]!;
      const known = remembered.get(origin);
      if (known && known.until > now()) return known.value as T | undefined;
      const value = await kv.get<T>(key);
      remember(origin, value);
      return value;
    },
    async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      if (!isSpecEntry(key)) return kv.set(key, value, options);
      const origin = key[key.length - 1]!;
      const known = remembered.get(origin);
      if (known && known.until > now() && known.value === value) return;
      await kv.set(key, value, options);
      remember(origin, value);
    },
    async delete(key: KvKey): Promise<void> {
      if (isSpecEntry(key)) remembered.delete(key[key.length - 1]!);
      await kv.delete(key);
    },
    ...(kv.cas ? { cas: kv.cas.bind(kv) } : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
