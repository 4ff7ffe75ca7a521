import { describe, expect, it } from "vitest";
import { scopeAllows } from "../../src/api/mastodon/auth.ts";
import { parseScopes } from "../../src/domain/tokens.ts";

describe("scopes", () => {
  it("a group covers its granular scopes, never another group's", () => {
    expect(scopeAllows(["read"], "read:statuses")).toBe(true);
    expect(scopeAllows(["write"], "write:media")).toBe(true);
    expect(scopeAllows(["admin:read"], "admin:read:accounts")).toBe(true);
    expect(scopeAllows(["admin:write"], "admin:write:domain_blocks")).toBe(true);
    expect(scopeAllows(["read"], "admin:read")).toBe(false);
    expect(scopeAllows(["read"], "admin:read:accounts")).toBe(false);
    expect(scopeAllows(["admin:read"], "admin:write:accounts")).toBe(false);
    expect(scopeAllows(["read:statuses"], "read")).toBe(false);
    expect(scopeAllows(["read:statuses"], "read:accounts")).toBe(false);
    expect(scopeAllows(["write"], "read:statuses")).toBe(false);
    expect(scopeAllows(["follow"], "write:follows")).toBe(true);
    expect(scopeAllows(["profile"], "read:accounts")).toBe(false);
  });

  it("parses Mastodon's scopes and Plein's groups scopes, and refuses others", () => {
    expect(parseScopes("read write:media  admin:read:accounts\nprofile read:groups")).toEqual(
      ["read", "write:media", "admin:read:accounts", "profile", "read:groups"]);
    for (const bad of ["sudo", "read:everything", "admin", "admin:read:nothing", "read:", ":read", "READ"]) {
      expect(() => parseScopes(bad), bad).toThrow();
    }
    expect(() => parseScopes("  ")).toThrow();
  });
});
