import { type KvKey, type KvStore, type KvStoreListEntry, MemoryKvStore } from "@fedify/fedify";

/**
 * Fedify's in-memory store, recording what reaches it (reads, writes and lists
 * by key or prefix). Setting `gate.hold` makes the next list wait, once it has
 * read its entries, until `gate.release()`: a write can then end while the
 * list is under way.
 */
export function countedKv() {
  const inner = new MemoryKvStore();
  const reads: KvKey[] = [];
  const writes: KvKey[] = [];
  const lists: Array<KvKey | undefined> = [];
  const gate: { hold: boolean; release?: () => void } = { hold: false };
  const kv: KvStore = {
    get: (key) => (reads.push(key), inner.get(key)),
    set: (key, value, options) => (writes.push(key), inner.set(key, value, options)),
    delete: (key) => inner.delete(key),
    cas: (key, expected, value, options) => inner.cas(key, expected, value, options),
    async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
      lists.push(prefix);
      const entries: KvStoreListEntry[] = [];
      for await (const entry of inner.list(prefix)) entries.push(entry);
      if (gate.hold) {
        gate.hold = false;
        await new Promise<void>((resolve) => (gate.release = resolve));
      }
      yield* entries;
    },
  };
  return { kv, inner, reads, writes, lists, gate };
}

/** Lets promises already settled and I/O callbacks run. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));
