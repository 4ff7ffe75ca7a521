import type { RemoteDocument } from "@fedify/fedify";
import { describe, expect, test } from "vitest";
import { ContextCache } from "../../federation/context-cache.ts";

const doc = (url: string): RemoteDocument => ({ contextUrl: null, documentUrl: url, document: { "@context": { term: `${url}#term` } } });

describe("the in-memory context cache stays bounded", () => {
  test("at most maxEntries, the least recently used dropped first", () => {
    const cache = new ContextCache({ maxEntries: 3 });
    for (const url of ["a", "b", "c"]) cache.set(url, doc(url), 10);
    expect(cache.get("a")).toEqual(doc("a")); // a is now the most recently used
    cache.set("d", doc("d"), 10);
    expect(cache.get("b")).toBeUndefined();
    expect(["a", "c", "d"].map((url) => cache.get(url)?.documentUrl)).toEqual(["a", "c", "d"]);
  });

  test("a context longer than maxLength is not kept", () => {
    const cache = new ContextCache({ maxLength: 100 });
    cache.set("big", doc("big"), 101);
    cache.set("small", doc("small"), 100);
    expect(cache.get("big")).toBeUndefined();
    expect(cache.get("small")).toEqual(doc("small"));
  });

  test("an entry older than ttlMs is gone", () => {
    const cache = new ContextCache({ ttlMs: 0 });
    cache.set("a", doc("a"), 10);
    expect(cache.get("a")).toBeUndefined();
  });

  test("each caller gets its own copy (jsonld rewrites the contexts it is given)", () => {
    const cache = new ContextCache();
    cache.set("a", doc("a"), 10);
    (cache.get("a")!.document as Record<string, unknown>)["@context"] = "changed";
    expect(cache.get("a")).toEqual(doc("a"));
  });
});
