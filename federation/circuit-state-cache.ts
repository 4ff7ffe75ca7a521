import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { trustedCopy } from "./trusted-copy.ts";

/** Where Fedify 2.3.8's circuit breaker keeps each remote host's state: `[...prefix, host]`. */
export const CIRCUIT_STATE_PREFIX: readonly string[] = ["_fedify", "circuit"];

/** How long this process trusts the states it read. */
export const CIRCUIT_STATE_TRUST_MS = 1000;

function isCircuitState(key: KvKey): boolean {
  return key.length === CIRCUIT_STATE_PREFIX.length + 1 && CIRCUIT_STATE_PREFIX.every((part, i) => key[i] === part);
}

/**
 * Fedify reads a host's circuit state before every delivery and again after
 * it succeeds, almost always of nothing: a healthy host has no state (Fedify
 * deletes it on success, and what it keeps expires). Read one host at a time,
 * that was a database read for nearly every delivery of a fan-out, whose
 * deliveries to one host are seconds apart. Here the process reads every
 * host's state at once (one list of the prefix: only hosts that failed lately
 * have one) at most once a second, and answers from that copy. A host whose
 * state this process writes, deletes or compare-and-swaps is read from the
 * store instead until a copy taken after the write has replaced it, so a
 * failed compare-and-swap (another process changed it) makes Fedify's retry
 * read the store. A host another process has just opened the circuit of gets
 * deliveries from this one for at most that second.
 */
export function withCachedCircuitStates(kv: KvStore, now: () => number = Date.now): KvStore {
  // Hosts written since the copy was taken, with the count of writes at their last one.
  const written = new Map<string, number>();
  let writes = 0;
  const noteWrite = (key: KvKey) => {
    written.set(key[key.length - 1]!, ++writes);
  };

  const states = trustedCopy(async (): Promise<Map<string, unknown>> => {
    const writesBefore = writes;
    const states = new Map<string, unknown>();
    for await (const entry of kv.list(CIRCUIT_STATE_PREFIX as unknown as KvKey)) {
      if (isCircuitState(entry.key)) states.set(entry.key[entry.key.length - 1]!, entry.value);
    }
    // A write that ended after the list began may be missing from it: that host stays written.
    for (const [host, at] of written) if (at <= writesBefore) written.delete(host);
    return states;
  }, CIRCUIT_STATE_TRUST_MS, now);

  /** Runs a write of a host's state, marking the host written as it starts and as it ends. */
  const writing = async <T>(key: KvKey, write: () => Promise<T>): Promise<T> => {
    noteWrite(key);
    try {
      return await write();
    } finally {
      noteWrite(key);
    }
  };

  return {
    async get<T = unknown>(key: KvKey): Promise<T | undefined> {
      if (!isCircuitState(key) || written.has(key[key.length - 1]!)) return kv.get<T>(key);
      const copy = await states.current();
      // Written while the copy was being taken: the store knows better.
      if (written.has(key[key.length - 1]!)) return kv.get<T>(key);
      return copy.get(key[key.length - 1]!) as T | undefined;
    },
    set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
      return isCircuitState(key) ? writing(key, () => kv.set(key, value, options)) : kv.set(key, value, options);
    },
    delete(key: KvKey): Promise<void> {
      return isCircuitState(key) ? writing(key, () => kv.delete(key)) : kv.delete(key);
    },
    ...(kv.cas
      ? {
        cas: (key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> => {
          const swap = () => kv.cas!(key, expectedValue, newValue, options);
          return isCircuitState(key) ? writing(key, swap) : swap();
        },
      }
      : {}),
    list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      return kv.list(prefix);
    },
  };
}
