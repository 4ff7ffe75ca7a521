import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.ts";
import { generateKeyPairJwk, type JwkPair } from "../../src/domain/keys.ts";
import { KEY_PAIRS_REMEMBERED_MS, localKeyPairs } from "../../federation/key-pairs.ts";

describe("localKeyPairs", () => {
  it("reads and imports an actor's keys once per process, not on every signature", async () => {
    const db = {} as Db;
    const keys = [await generateKeyPairJwk("RSASSA-PKCS1-v1_5"), await generateKeyPairJwk("Ed25519")];
    const loads: string[] = [];
    const load = async (_db: Db, username: string): Promise<JwkPair[]> => (loads.push(username), keys);
    let now = 0;
    const first = await localKeyPairs(db, "anna", () => now, load);
    const again = await localKeyPairs(db, "anna", () => now, load);
    expect(first.map((p) => p.privateKey.algorithm.name)).toEqual(["RSASSA-PKCS1-v1_5", "Ed25519"]);
    expect(again[0]!.privateKey).toBe(first[0]!.privateKey);
    expect(loads).toEqual(["anna"]);
    await localKeyPairs(db, "bert", () => now, load);
    now += KEY_PAIRS_REMEMBERED_MS;
    await localKeyPairs(db, "anna", () => now, load);
    expect(loads).toEqual(["anna", "bert", "anna"]);
  });

  it("remembers neither an actor without keys nor a failed read", async () => {
    const db = {} as Db;
    let answer: () => Promise<JwkPair[]> = async () => [];
    let loads = 0;
    const load = () => (loads++, answer());
    expect(await localKeyPairs(db, "new", () => 0, load)).toEqual([]);
    answer = () => Promise.reject(new Error("database unreachable"));
    await expect(localKeyPairs(db, "new", () => 0, load)).rejects.toThrow("database unreachable");
    const keys = [await generateKeyPairJwk("RSASSA-PKCS1-v1_5")];
    answer = async () => keys;
    expect(await localKeyPairs(db, "new", () => 0, load)).toHaveLength(1);
    expect(await localKeyPairs(db, "new", () => 0, load)).toHaveLength(1);
    expect(loads).toBe(3);
  });
});
