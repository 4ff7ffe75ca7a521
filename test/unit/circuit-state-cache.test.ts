import type { KvKey, KvStore } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { countedKv, tick } from "../support/counted-kv.ts";
import { CIRCUIT_STATE_PREFIX, CIRCUIT_STATE_TRUST_MS, withCachedCircuitStates } from "../../federation/circuit-state-cache.ts";

const circuit = (host: string): KvKey => [...CIRCUIT_STATE_PREFIX, host] as unknown as KvKey;
const OPEN = { state: "open", failures: ["2026-12-02T12:00:00Z"] };

describe("withCachedCircuitStates", () => {
  it("reads every host's state with one list a second, however many hosts are asked about", async () => {
    const store = countedKv();
    await store.inner.set(circuit("down.example"), OPEN);
    let now = 0;
    const kv = withCachedCircuitStates(store.kv, () => now);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.get(circuit(`h${i}.example`))));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(await kv.get(circuit("down.example"))).toEqual(OPEN);
    expect(store.lists).toEqual([CIRCUIT_STATE_PREFIX]);
    expect(store.reads).toEqual([]);
    // Another process opens a circuit: seen once the second is over, with one more list.
    await store.inner.set(circuit("h1.example"), OPEN);
    now += CIRCUIT_STATE_TRUST_MS - 1;
    expect(await kv.get(circuit("h1.example"))).toBeUndefined();
    now += 1;
    expect(await kv.get(circuit("h1.example"))).toEqual(OPEN);
    expect(await kv.get(circuit("h2.example"))).toBeUndefined();
    expect(store.lists.length).toBe(2);
  });

  it("leaves out what is under the prefix but is not a host's state (Fedify's sweep marker)", async () => {
    const store = countedKv();
    await store.inner.set([...CIRCUIT_STATE_PREFIX, "__fedify_meta", "sweep"] as unknown as KvKey, { done: true });
    const kv = withCachedCircuitStates(store.kv, () => 0);
    expect(await kv.get(circuit("__fedify_meta"))).toBeUndefined();
    expect(await kv.get([...CIRCUIT_STATE_PREFIX, "__fedify_meta", "sweep"] as unknown as KvKey)).toEqual({ done: true });
  });

  it("reads a host it wrote from the store until a later copy, so a compare-and-swap against a stale copy fails and is read afresh", async () => {
    const store = countedKv();
    const kv = withCachedCircuitStates(store.kv, () => 0);
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
    await store.inner.set(circuit("b.example"), OPEN);
    // Fedify's retry loop: swap from what it read (nothing) fails, the next read sees the store.
    expect(await kv.cas!(circuit("b.example"), undefined, { state: "closed", failures: [] })).toBe(false);
    expect(await kv.get(circuit("b.example"))).toEqual(OPEN);
    expect(await kv.cas!(circuit("b.example"), OPEN, undefined)).toBe(true);
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
    await kv.set(circuit("b.example"), OPEN);
    expect(await kv.get(circuit("b.example"))).toEqual(OPEN);
    await kv.delete(circuit("b.example"));
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
    expect(store.reads.length).toBe(4);
    // The hosts it did not write still come from the copy.
    expect(await kv.get(circuit("c.example"))).toBeUndefined();
    expect(store.lists.length).toBe(1);
  });

  it("goes back to the copy for a written host once a copy taken after the write is there", async () => {
    const store = countedKv();
    let now = 0;
    const kv = withCachedCircuitStates(store.kv, () => now);
    await kv.set(circuit("d.example"), OPEN);
    expect(await kv.get(circuit("d.example"))).toEqual(OPEN);
    expect(store.reads.length).toBe(1);
    expect(await kv.get(circuit("e.example"))).toBeUndefined();
    expect(await kv.get(circuit("d.example"))).toEqual(OPEN);
    expect(store.reads.length).toBe(1);
  });

  it("keeps a host that was written while the list ran out of the copy", async () => {
    const store = countedKv();
    const kv = withCachedCircuitStates(store.kv, () => 0);
    store.gate.hold = true;
    const reading = kv.get(circuit("f.example"));
    await tick();
    await kv.set(circuit("f.example"), OPEN);
    store.gate.release!();
    // The list ran before the write: the store, not the copy, answers.
    expect(await reading).toEqual(OPEN);
    expect(await kv.get(circuit("f.example"))).toEqual(OPEN);
  });

  it("answers no read from a list that failed, and lists again on the next", async () => {
    const store = countedKv();
    let fail = true;
    const failing: KvStore = {
      ...store.kv,
      list: (prefix) => {
        if (fail) throw new Error("database down");
        return store.kv.list(prefix);
      },
    };
    const kv = withCachedCircuitStates(failing, () => 0);
    await expect(kv.get(circuit("g.example"))).rejects.toThrow("database down");
    fail = false;
    await store.inner.set(circuit("g.example"), OPEN);
    expect(await kv.get(circuit("g.example"))).toEqual(OPEN);
  });

  it("passes every other key through", async () => {
    const store = countedKv();
    const kv = withCachedCircuitStates(store.kv, () => 0);
    await kv.set(["_fedify", "other", "x"], 1);
    expect(await kv.get(["_fedify", "other", "x"])).toBe(1);
    expect(await kv.get(["_fedify", "other", "x"])).toBe(1);
    expect(store.reads.length).toBe(2);
    expect(store.lists.length).toBe(0);
  });
});
