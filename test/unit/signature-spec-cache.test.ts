import { type KvKey, type KvStore, MemoryKvStore } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { SIGNATURE_SPEC_PREFIX, withRememberedSignatureSpecs } from "../../federation/signature-spec-cache.ts";

/** Fedify's in-memory store, counting what reaches it. */
function counted(): { kv: KvStore; reads: KvKey[]; writes: KvKey[] } {
  const inner = new MemoryKvStore();
  const reads: KvKey[] = [];
  const writes: KvKey[] = [];
  const kv: KvStore = {
    get: (key) => (reads.push(key), inner.get(key)),
    set: (key, value, options) => (writes.push(key), inner.set(key, value, options)),
    delete: (key) => inner.delete(key),
    list: (prefix) => inner.list(prefix),
  };
  return { kv, reads, writes };
}

const spec = (origin: string): KvKey => [...SIGNATURE_SPEC_PREFIX, origin] as unknown as KvKey;

describe("withRememberedSignatureSpecs", () => {
  it("reads an origin's spec once and writes it only when it changes, as Fedify asks around every delivery", async () => {
    const store = counted();
    let now = 0;
    const kv = withRememberedSignatureSpecs(store.kv, () => now);
    for (let i = 0; i < 5; i++) {
      expect(await kv.get(spec("https://a.example"))).toBe(i === 0 ? undefined : "rfc9421");
      await kv.set(spec("https://a.example"), "rfc9421");
    }
    expect([store.reads.length, store.writes.length]).toEqual([1, 1]);
    await kv.set(spec("https://a.example"), "draft-cavage-http-signatures-12");
    expect(store.writes.length).toBe(2);
    expect(await kv.get(spec("https://a.example"))).toBe("draft-cavage-http-signatures-12");
    // Another process may have learnt better: after ten minutes the store is read again.
    await store.kv.set(spec("https://a.example"), "rfc9421");
    now += 10 * 60_000;
    expect(await kv.get(spec("https://a.example"))).toBe("rfc9421");
  });

  it("passes every other key through", async () => {
    const store = counted();
    const kv = withRememberedSignatureSpecs(store.kv);
    await kv.set(["_fedify", "publicKey", "x"], 1);
    await kv.set(["_fedify", "publicKey", "x"], 1);
    await kv.get(["_fedify", "publicKey", "x"]);
    await kv.get(["_fedify", "publicKey", "x"]);
    expect([store.reads.length, store.writes.length]).toEqual([2, 2]);
  });
});
