import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";

/** Where Fedify 2.3.8 caches public keys: `[...prefix, "2", keyId]` and `[...prefix, "__fetchError", keyId]`. */
export const PUBLIC_KEY_PREFIX: readonly string[] = ["_fedify", "publicKey"];

/** How long a fetched public key is kept; a sender whose signature no longer verifies with it is fetched again anyway. */
export const PUBLIC_KEY_TTL_HOURS = 24;

function isPublicKeyEntry(key: KvKey): boolean {
  return key.length > PUBLIC_KEY_PREFIX.length && PUBLIC_KEY_PREFIX.every((part, i) => key[i] === part);
}

/**
 * Fedify's public key cache, bounded.
 *
 * Fedify fetches and caches the signer's key before it checks the signature,
 * so anyone can make it cache a key:
 * - Fedify stores keys without an expiry: a fresh key per request grew
 *   `kv_entries` without end. Here every key expires after PUBLIC_KEY_TTL_HOURS,
 *   and housekeeping deletes it (federation/housekeeping.ts).
 * - Fedify also stores "this key is unavailable" (null, and the failed
 *   response) for ten minutes whenever a fetch fails, and a fetch fails when
 *   the request that caused it has spent its fetch budget
 *   (federation/fetch-budget.ts): a forged request could so have made the key
 *   of an honest server "unavailable", refusing its activities. Failures are
 *   not stored: a null deletes the entry, so the key is fetched again when
 *   next needed.
 */
export function withBoundedKeyCache(kv: KvStore): KvStore {
  const isFetchError = (key: KvKey) => isPublicKeyEntry(key) && key[PUBLIC_KEY_PREFIX.length] === "__fetchError";
  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      if (isFetchError(key)) return undefined;
      return kv.get<T>(key);
    },
    async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      if (!isPublicKeyEntry(key)) return kv.set(key, value, options);
      if (isFetchError(key)) return;
      if (value === null) return kv.delete(key);
      await kv.set(key, value, { ...options, ttl: options?.ttl ?? Temporal.Duration.from({ hours: PUBLIC_KEY_TTL_HOURS }) });
    },
    async delete(key: KvKey): Promise<void> {
      if (isFetchError(key)) return;
      await kv.delete(key);
    },
    ...(kv.cas ? { cas: kv.cas.bind(kv) } : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
