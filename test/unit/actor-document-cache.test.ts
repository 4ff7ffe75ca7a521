import type { RemoteDocument } from "@fedify/fedify";
import { describe, expect, test } from "vitest";
import { ActorDocumentCache } from "../../federation/actor-document-cache.ts";

const A = "https://remote.example/users/a";
const remote = (url: string, document: Record<string, unknown>, documentUrl = url): RemoteDocument =>
  ({ contextUrl: null, documentUrl, document });
const person = (fields: Record<string, unknown> = {}) => ({ id: A, type: "Person", publicKey: { id: `${A}#main-key`, owner: A }, ...fields });

describe("the actor documents kept for Fedify's key checks", () => {
  test("an actor fetched by its own id is kept, as a copy", () => {
    const cache = new ActorDocumentCache();
    const fetched = remote(A, person());
    cache.set(A, fetched, 100);
    (fetched.document as Record<string, unknown>).name = "changed after";
    expect(cache.get(A)).toEqual(remote(A, person()));
    (cache.get(A)!.document as Record<string, unknown>).name = "changed by a reader";
    expect(cache.get(A)).toEqual(remote(A, person()));
  });

  test("nothing else is kept: another type, another id, a redirect, a document too long", () => {
    const cache = new ActorDocumentCache({ maxLength: 1000 });
    cache.set(A, remote(A, { id: A, type: "Note" }), 100);
    expect(cache.get(A)).toBeUndefined();
    cache.set(A, remote(A, person({ id: "https://remote.example/users/b" })), 100);
    expect(cache.get(A)).toBeUndefined();
    cache.set(A, remote(A, person(), "https://remote.example/elsewhere"), 100);
    expect(cache.get(A)).toBeUndefined();
    cache.set(A, remote(A, person()), 1001);
    expect(cache.get(A)).toBeUndefined();
    for (const type of ["Service", "Application", "Group", "Organization", ["Person", "Organization"]]) {
      cache.set(A, remote(A, person({ type })), 100);
      expect(cache.get(A), JSON.stringify(type)).toBeDefined();
    }
  });

  test("a key id is never answered from the cache", () => {
    const cache = new ActorDocumentCache();
    cache.set(A, remote(A, person()), 100);
    expect(cache.get(`${A}#main-key`)).toBeUndefined();
  });

  test("a key fetched again (a fragment of the actor's document) replaces the actor kept", () => {
    const cache = new ActorDocumentCache();
    cache.set(A, remote(A, person({ name: "old" })), 100);
    cache.set(`${A}#main-key`, remote(`${A}#main-key`, person({ name: "new" })), 100);
    expect((cache.get(A)!.document as Record<string, unknown>).name).toBe("new");
    expect(cache.get(A)!.documentUrl).toBe(A);
  });

  test("a key document of its own forgets its owner (or controller): the next check fetches the actor", () => {
    const cache = new ActorDocumentCache();
    cache.set(A, remote(A, person()), 100);
    cache.set(`${A}/key-2`, remote(`${A}/key-2`, { id: `${A}/key-2`, type: "CryptographicKey", owner: A }), 100);
    expect(cache.get(A)).toBeUndefined();
    cache.set(A, remote(A, person()), 100);
    cache.set(`${A}/multikey`, remote(`${A}/multikey`, { id: `${A}/multikey`, type: "Multikey", controller: A }), 100);
    expect(cache.get(A)).toBeUndefined();
  });

  test("an entry is kept for ttlMs only", () => {
    const cache = new ActorDocumentCache({ ttlMs: 0 });
    cache.set(A, remote(A, person()), 100);
    expect(cache.get(A)).toBeUndefined();
  });
});
