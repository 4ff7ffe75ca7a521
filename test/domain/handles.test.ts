import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountByHandle } from "../../src/domain/handles.ts";
import { forbidden } from "../../src/domain/errors.ts";
import type { Resolver } from "../../src/domain/resolver.ts";
import { openTestDatabase, type TestDatabase } from "../support/db.ts";

const ORIGIN = new URL("https://plein.test");
let handle: TestDatabase;

beforeAll(async () => {
  handle = await openTestDatabase();
});

afterAll(async () => {
  await handle?.close();
});

function resolverThat(resolveActor: Resolver["resolveActor"]): Resolver {
  return { resolveActor } as Resolver;
}

describe("accountByHandle", () => {
  it("finds no account on a server that is not found or that the policy does not let us ask", async () => {
    expect(await accountByHandle(handle.db, ORIGIN, resolverThat(async () => undefined), "@rita@elsewhere.example")).toBeUndefined();
    expect(await accountByHandle(handle.db, ORIGIN, resolverThat(() => Promise.reject(forbidden("blocked"))), "rita@blocked.example")).toBeUndefined();
  });

  it("lets an unexpected failure through instead of calling the account unknown", async () => {
    const broken = resolverThat(() => Promise.reject(new Error("connection to the database lost")));
    await expect(accountByHandle(handle.db, ORIGIN, broken, "rita@elsewhere.example")).rejects.toThrow("connection to the database lost");
  });

  it("reads nothing from a text that is no handle", async () => {
    const never = resolverThat(() => Promise.reject(new Error("asked")));
    expect(await accountByHandle(handle.db, ORIGIN, never, "not a handle at all")).toBeUndefined();
  });
});
