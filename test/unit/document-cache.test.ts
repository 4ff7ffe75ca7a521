import { describe, expect, it } from "vitest";
import { DocumentCache, isCachedPath, publishedDocumentCache } from "../../federation/document-cache.ts";
import { publishedChanged } from "../../src/domain/published-changes.ts";

const doc = (body: string) => ({ status: 200, headers: [["content-type", "application/activity+json"]] as [string, string][], body });

describe("DocumentCache", () => {
  it("keeps a document for its time to live, and no longer", () => {
    let now = 1000;
    const cache = new DocumentCache({ ttlMs: 500, maxEntries: 10, now: () => now });
    cache.set("a", cache.generation, doc("one"));
    now = 1499;
    expect(cache.get("a")?.body).toBe("one");
    now = 1500;
    expect(cache.get("a")).toBeUndefined();
  });

  it("does not store a rendering that began before a change", () => {
    const cache = new DocumentCache({ ttlMs: 500, maxEntries: 10 });
    const began = cache.generation;
    cache.clear();
    cache.set("a", began, doc("old"));
    expect(cache.get("a")).toBeUndefined();
  });

  it("drops the oldest entry beyond its size, and keeps nothing with a time to live of 0", () => {
    const cache = new DocumentCache({ ttlMs: 500, maxEntries: 2 });
    for (const key of ["a", "b", "c"]) cache.set(key, cache.generation, doc(key));
    expect([cache.get("a"), cache.get("b")?.body, cache.get("c")?.body]).toEqual([undefined, "b", "c"]);
    const small = new DocumentCache({ ttlMs: 500, maxEntries: 10, maxTotalChars: 5 });
    for (const key of ["aaa", "bbb"]) small.set(key, small.generation, doc(key));
    expect([small.get("aaa"), small.get("bbb")?.body]).toEqual([undefined, "bbb"]);
    const off = new DocumentCache({ ttlMs: 0, maxEntries: 2 });
    off.set("a", off.generation, doc("a"));
    expect(off.get("a")).toBeUndefined();
  });

  it("forgets everything when something published changes", () => {
    const cache = publishedDocumentCache({ ttlMs: 60_000, maxEntries: 10 });
    cache.set("a", cache.generation, doc("a"));
    publishedChanged();
    expect(cache.get("a")).toBeUndefined();
  });

  it("keeps actors, objects and WebFinger, never collections", () => {
    expect(["/users/anna", "/notes/0b0c3e0e-8a47-4a8e-9f43-1f7e2b3c4d5e", "/questions/x", "/.well-known/webfinger"].map(isCachedPath))
      .toEqual([true, true, true, true]);
    expect(["/users/anna/outbox", "/users/anna/featured", "/notes/x/replies", "/inbox", "/api/v1/statuses/1"].map(isCachedPath))
      .toEqual([false, false, false, false, false]);
  });
});
