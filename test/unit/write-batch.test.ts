import { describe, expect, it } from "vitest";
import { WriteBatch } from "../../src/db/write-batch.ts";

describe("WriteBatch", () => {
  it("writes what arrives within the wait as one batch, and each caller waits for its own write", async () => {
    const writes: number[][] = [];
    const batch = new WriteBatch<number>(async (items) => void writes.push(items), { max: 10, waitMs: 5 });
    let settled = 0;
    const adds = [1, 2, 3].map((n) => batch.add(n).then(() => settled++));
    expect(settled).toBe(0);
    await Promise.all(adds);
    expect(writes).toEqual([[1, 2, 3]]);
    await batch.add(4);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it("writes at once when the batch is full", async () => {
    const writes: number[][] = [];
    const batch = new WriteBatch<number>(async (items) => void writes.push(items), { max: 2, waitMs: 60_000 });
    await Promise.all([batch.add(1), batch.add(2)]);
    expect(writes).toEqual([[1, 2]]);
  });

  it("rejects every caller of a failed write, and the next batch is written", async () => {
    let fail = true;
    const writes: number[][] = [];
    const batch = new WriteBatch<number>(async (items) => {
      if (fail) throw new Error("database unreachable");
      writes.push(items);
    }, { max: 10, waitMs: 1 });
    const results = await Promise.allSettled([batch.add(1), batch.add(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await batch.add(3);
    expect(writes).toEqual([[3]]);
  });
});
