import type { KvKey } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { countedKv, tick } from "../support/counted-kv.ts";
import { FIRST_KNOCK, SIGNATURE_SPEC_PREFIX, withRememberedSignatureSpecs } from "../../federation/signature-spec-cache.ts";

const spec = (origin: string): KvKey => [...SIGNATURE_SPEC_PREFIX, origin] as unknown as KvKey;
const CAVAGE = "draft-cavage-http-signatures-12";
const TEN_MINUTES = 10 * 60_000;

describe("withRememberedSignatureSpecs", () => {
  it("answers every origin from one list, and lists again after ten minutes", async () => {
    const store = countedKv();
    await store.inner.set(spec("https://old.example"), CAVAGE);
    let now = 0;
    const kv = withRememberedSignatureSpecs(store.kv, () => now);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => kv.get(spec(`https://h${i}.example`))));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(await kv.get(spec("https://old.example"))).toBe(CAVAGE);
    expect(store.lists).toEqual([SIGNATURE_SPEC_PREFIX]);
    expect(store.reads).toEqual([]);
    // Another process learnt that h1 wants the draft: seen at the next list.
    await store.inner.set(spec("https://h1.example"), CAVAGE);
    now += TEN_MINUTES - 1;
    expect(await kv.get(spec("https://h1.example"))).toBeUndefined();
    now += 1;
    expect(await kv.get(spec("https://h1.example"))).toBe(CAVAGE);
    expect(store.lists.length).toBe(2);
  });

  it("writes only what changes Fedify's next knock: the first knock where nothing is stored is not written", async () => {
    const store = countedKv();
    const kv = withRememberedSignatureSpecs(store.kv, () => 0);
    // A server that took RFC 9421: Fedify asks before and writes after every delivery.
    for (let i = 0; i < 3; i++) {
      expect(await kv.get(spec("https://new.example"))).toBeUndefined();
      await kv.set(spec("https://new.example"), FIRST_KNOCK);
    }
    expect(store.writes).toEqual([]);
    // A server that refused it and took the draft: written once.
    for (let i = 0; i < 3; i++) await kv.set(spec("https://old.example"), CAVAGE);
    expect(store.writes).toEqual([spec("https://old.example")]);
    expect(await kv.get(spec("https://old.example"))).toBe(CAVAGE);
    // It learns RFC 9421 later: that is a change, written.
    await kv.set(spec("https://old.example"), FIRST_KNOCK);
    expect(store.writes.length).toBe(2);
    expect(await store.inner.get(spec("https://old.example"))).toBe(FIRST_KNOCK);
    expect(await kv.get(spec("https://old.example"))).toBe(FIRST_KNOCK);
    await kv.delete(spec("https://old.example"));
    expect(await kv.get(spec("https://old.example"))).toBeUndefined();
    expect(await store.inner.get(spec("https://old.example"))).toBeUndefined();
  });

  it("does not take back from a list what it deleted while the list was under way", async () => {
    const store = countedKv();
    await store.inner.set(spec("https://a.example"), CAVAGE);
    let now = 0;
    const kv = withRememberedSignatureSpecs(store.kv, () => now);
    expect(await kv.get(spec("https://a.example"))).toBe(CAVAGE);
    now += TEN_MINUTES;
    store.gate.hold = true;
    // This list has read a's entry and waits; a is deleted before it ends.
    const reading = kv.get(spec("https://b.example"));
    await tick();
    await kv.delete(spec("https://a.example"));
    store.gate.release!();
    expect(await reading).toBeUndefined();
    expect(await kv.get(spec("https://a.example"))).toBeUndefined();
    expect(store.lists.length).toBe(2);
  });

  it("passes every other key through", async () => {
    const store = countedKv();
    const kv = withRememberedSignatureSpecs(store.kv);
    await kv.set(["_fedify", "publicKey", "x"], 1);
    await kv.set(["_fedify", "publicKey", "x"], 1);
    await kv.get(["_fedify", "publicKey", "x"]);
    await kv.get(["_fedify", "publicKey", "x"]);
    expect([store.reads.length, store.writes.length, store.lists.length]).toEqual([2, 2, 0]);
  });
});
