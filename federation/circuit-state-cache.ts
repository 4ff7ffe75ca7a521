import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";

/** Where Fedify 2.3.8's circuit breaker keeps each remote host's state: `[...prefix, host]`. */
export const CIRCUIT_STATE_PREFIX: readonly string[] = ["_fedify", "circuit"];

/** How long this process trusts a state it read. */
export const CIRCUIT_STATE_TRUST_MS = 1000;
const MAX_HOSTS = 10_000;

function isCircuitState(key: KvKey): boolean {
  return key.length === CIRCUIT_STATE_PREFIX.length + 1 && CIRCUIT_STATE_PREFIX.every((part, i) => key[i] === part);
}

/**
 * Fedify reads a host's circuit state before every delivery and again after
 * it succeeds: two database reads per delivery, almost always of nothing (a
 * healthy host has no state). Here a state read is trusted for a second in
 * this process; every write, delete or compare-and-swap of it goes to the
 * store and forgets the copy, and a failed compare-and-swap (another process
 * changed it) makes the retry read the store. A host another process has just
 * opened the circuit of gets deliveries from this one for at most that second.
 */
export function withCachedCircuitStates(kv: KvStore, now: () => number = Date.now): KvStore {
  const known = new Map<string, { value: unknown; until: number }>();
  const keyOf = (key: KvKey) => JSON.stringify(key);
  // A read that a write overtook may carry the old state: it is not kept.
  let writes = 0;
  const forget = (key: KvKey) => {
    writes++;
    known.delete(keyOf(key));
  };
  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      if (!isCircuitState(key)) return kv.get<T>(key);
      const k = keyOf(key);
      const copy = known.get(k);
      if (copy && copy.until > now()) return copy.value as T | undefined;
      const writesBefore = writes;
      const value = await kv.get<T>(key);
      if (writes === writesBefore) {
        known.delete(k);
        known.set(k, { value, until: now() + CIRCUIT_STATE_TRUST_MS });
        if (known.size > MAX_HOSTS) known.delete(known.keys().next().value!);
      }
      return value;
    },
    async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      if (isCircuitState(key)) forget(key);
      await kv.set(key, value, options);
    },
    async delete(key: KvKey): Promise<void> {
      if (isCircuitState(key)) forget(key);
      await kv.delete(key);
    },
    ...(kv.cas
      ? {
        cas: async (key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> => {
          if (!isCircuitState(key)) return kv.cas!(key, expectedValue, newValue, options);
          forget(key);
          try {
            return await kv.cas!(key, expectedValue, newValue, options);
          } finally {
            forget(key);
          }
        },
      }
      : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
