import { type KvKey, type KvStore, MemoryKvStore } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { CIRCUIT_STATE_PREFIX, CIRCUIT_STATE_TRUST_MS, withCachedCircuitStates } from "../../federation/circuit-state-cache.ts";

/** Fedify's in-memory store, counting the reads that reach it. */
function counted(): { kv: KvStore; inner: MemoryKvStore; reads: KvKey[] } {
  const inner = new MemoryKvStore();
  const reads: KvKey[] = [];
  const kv: KvStore = {
    get: (key) => (reads.push(key), inner.get(key)),
    set: (key, value, options) => inner.set(key, value, options),
    delete: (key) => inner.delete(key),
    cas: (key, expected, value, options) => inner.cas(key, expected, value, options),
    list: (prefix) => inner.list(prefix),
  };
  return { kv, inner, reads };
}

const circuit = (host: string): KvKey => [...CIRCUIT_STATE_PREFIX, host] as unknown as KvKey;
const OPEN = { state: "open", failures: 5 };

describe("withCachedCircuitStates", () => {
  it("reads a host's state once a second, as Fedify asks before and after every delivery", async () => {
    const store = counted();
    let now = 0;
    const kv = withCachedCircuitStates(store.kv, () => now);
    for (let i = 0; i < 4; i++) expect(await kv.get(circuit("a.example"))).toBeUndefined();
    expect(store.reads.length).toBe(1);
    // Another process opens the circuit: seen once the second is over.
    await store.kv.set(circuit("a.example"), OPEN);
    expect(await kv.get(circuit("a.example"))).toBeUndefined();
    now += CIRCUIT_STATE_TRUST_MS;
    expect(await kv.get(circuit("a.example"))).toEqual(OPEN);
    expect(store.reads.length).toBe(2);
  });

  it("forgets its copy when it writes, and a compare-and-swap against a stale copy fails and is read afresh", async () => {
    const store = counted();
    const kv = withCachedCircuitStates(store.kv, () => 0);
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
    await store.kv.set(circuit("b.example"), OPEN);
    // Fedify's retry loop: swap from what it read (nothing) fails, the next read sees the store.
    expect(await kv.cas!(circuit("b.example"), undefined, { state: "open", failures: 1 })).toBe(false);
    expect(await kv.get(circuit("b.example"))).toEqual(OPEN);
    expect(await kv.cas!(circuit("b.example"), OPEN, undefined)).toBe(true);
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
    await kv.set(circuit("b.example"), OPEN);
    expect(await kv.get(circuit("b.example"))).toEqual(OPEN);
    await kv.delete(circuit("b.example"));
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
  });

  it("keeps no state that a write overtook while it was being read", async () => {
    const inner = new MemoryKvStore();
    let release: (() => void) | undefined;
    const slow: KvStore = {
      get: async <T = unknown>(key: KvKey) => {
        const value = await inner.get<T>(key);
        await new Promise<void>((resolve) => (release = resolve));
        return value;
      },
      set: (key, value, options) => inner.set(key, value, options),
      delete: (key) => inner.delete(key),
      cas: (key, expected, value, options) => inner.cas(key, expected, value, options),
      list: (prefix) => inner.list(prefix),
    };
    const kv = withCachedCircuitStates(slow, () => 0);
    const reading = kv.get(circuit("c.example"));
    await new Promise((resolve) => setImmediate(resolve));
    await kv.set(circuit("c.example"), OPEN);
    release!();
    expect(await reading).toBeUndefined();
    const again = kv.get(circuit("c.example"));
    await new Promise((resolve) => setImmediate(resolve));
    release!();
    expect(await again).toEqual(OPEN);
  });

  it("passes every other key through", async () => {
    const store = counted();
    const kv = withCachedCircuitStates(store.kv, () => 0);
    await kv.set(["_fedify", "other", "x"], 1);
    expect(await kv.get(["_fedify", "other", "x"])).toBe(1);
    expect(await kv.get(["_fedify", "other", "x"])).toBe(1);
    expect(store.reads.length).toBe(2);
  });
});
