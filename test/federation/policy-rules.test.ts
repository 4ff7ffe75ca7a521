/**
 * The federation policy's rules on their own (src/domain/policy.ts): how a
 * domain is written, which hosts a rule covers, and what each mode decides.
 */
import { describe, expect, it } from "vitest";
import {
  blocksAnyServer,
  decide,
  type DomainAction,
  type FederationMode,
  type FederationPolicy,
  normalizeHost,
  parseDomainPattern,
  patternText,
} from "../../src/domain/policy.ts";

function policy(mode: FederationMode, rules: Array<[string, DomainAction]> = []): FederationPolicy {
  const now = new Date();
  return {
    mode,
    published: false,
    rules: rules.map(([text, action]) => ({ ...parseDomainPattern(text), action, comment: "", createdAt: now, updatedAt: now })),
  };
}

describe("domain patterns", () => {
  it.each([
    ["example.nl", "example.nl", false],
    ["  Example.NL  ", "example.nl", false],
    ["example.nl.", "example.nl", false],
    ["*.example.nl", "example.nl", true],
    ["*.Rijksoverheid.NL", "rijksoverheid.nl", true],
    ["bücher.example", "xn--bcher-kva.example", false],
    ["*.nl", "nl", true],
    ["mastodon_social.example", "mastodon_social.example", false],
    ["127.0.0.5", "127.0.0.5", false],
    ["[::1]", "[::1]", false],
    ["[0:0::1]", "[::1]", false],
  ])("reads %j as %s (subdomains: %s)", (input, domain, subdomains) => {
    expect(parseDomainPattern(input)).toEqual({ domain, subdomains });
  });

  it.each([
    [undefined, /required/],
    ["", /required/],
    ["   ", /required/],
    ["https://example.nl/", /not a URL/],
    ["example.nl:443", /port/],
    ["example.nl/path", /not a domain/],
    ["alice@example.nl", /not a domain/],
    ["*", /wildcard/],
    ["*.", /not a domain/],
    ["a.*.example.nl", /wildcard/],
    ["**.example.nl", /wildcard/],
    ["example..nl", /not a domain/],
    ["-example.nl", /not a domain/],
    ["exa mple.nl", /not a domain/],
    ["*.127.0.0.1", /wildcard needs a domain name/],
    ["x".repeat(300), /too long/],
    [42, /required/],
  ])("refuses %j", (input, message) => {
    expect(() => parseDomainPattern(input)).toThrow(message);
  });

  it("writes a pattern back as it is read", () => {
    expect(patternText(parseDomainPattern("*.Example.NL."))).toBe("*.example.nl");
    expect(patternText(parseDomainPattern("example.nl"))).toBe("example.nl");
  });

  it("compares hosts without case, port or trailing dot, IDNs in punycode", () => {
    expect(normalizeHost("Example.NL:8443")).toBe("example.nl");
    expect(normalizeHost("example.nl.")).toBe("example.nl");
    expect(normalizeHost(new URL("https://EXAMPLE.nl.:443/users/a"))).toBe("example.nl");
    expect(normalizeHost(new URL("https://bücher.example/"))).toBe("xn--bcher-kva.example");
    expect(normalizeHost("[::1]:443")).toBe("[::1]");
    expect(normalizeHost(new URL("http://[::1]:8080/"))).toBe("[::1]");
  });
});

describe("which hosts a rule covers", () => {
  const blocklist = policy("blocklist", [["*.example.nl", "block"], ["exact.example", "block"]]);

  it("*.example.nl covers example.nl itself and every host under it", () => {
    for (const host of ["example.nl", "a.example.nl", "b.a.example.nl"]) expect(decide(blocklist, host), host).toBe("block");
  });

  it("*.example.nl does not cover a name that merely ends the same way", () => {
    for (const host of ["badexample.nl", "example.nl.evil", "nl"]) expect(decide(blocklist, host), host).toBe("allow");
  });

  it("example.nl (no wildcard) covers exactly that host", () => {
    expect(decide(blocklist, "exact.example")).toBe("block");
    expect(decide(blocklist, "a.exact.example")).toBe("allow");
  });
});

describe("modes", () => {
  it("open applies no rule at all", () => {
    const p = policy("open", [["blocked.example", "block"], ["quiet.example", "silence"]]);
    expect(decide(p, "blocked.example")).toBe("allow");
    expect(decide(p, "quiet.example")).toBe("allow");
    expect(decide(p, "anyone.example")).toBe("allow");
  });

  it("blocklist: block and silence rules apply, everyone else is allowed; allow rules change nothing", () => {
    const p = policy("blocklist", [["blocked.example", "block"], ["quiet.example", "silence"], ["friend.example", "allow"]]);
    expect(decide(p, "blocked.example")).toBe("block");
    expect(decide(p, "quiet.example")).toBe("silence");
    expect(decide(p, "friend.example")).toBe("allow");
    expect(decide(p, "anyone.example")).toBe("allow");
  });

  it("allowlist: unlisted servers are blocked; allowed and silenced ones federate", () => {
    const p = policy("allowlist", [["*.rijksoverheid.nl", "allow"], ["quiet.example", "silence"]]);
    expect(decide(p, "anyone.example")).toBe("block");
    expect(decide(p, "rijksoverheid.nl")).toBe("allow");
    expect(decide(p, "samen.minbzk.rijksoverheid.nl")).toBe("allow");
    expect(decide(p, "quiet.example")).toBe("silence");
  });

  it("an explicit block beats an allow, whichever of the two is the wildcard", () => {
    const narrowBlock = policy("allowlist", [["*.example.nl", "allow"], ["bad.example.nl", "block"]]);
    expect(decide(narrowBlock, "good.example.nl")).toBe("allow");
    expect(decide(narrowBlock, "bad.example.nl")).toBe("block");
    expect(decide(narrowBlock, "sub.bad.example.nl")).toBe("allow");

    const wideBlock = policy("allowlist", [["*.example.nl", "block"], ["good.example.nl", "allow"]]);
    expect(decide(wideBlock, "good.example.nl")).toBe("block");
    expect(decide(wideBlock, "example.nl")).toBe("block");

    const sameDomain = policy("blocklist", [["*.example.nl", "allow"], ["example.nl", "block"]]);
    expect(decide(sameDomain, "example.nl")).toBe("block");
    expect(decide(sameDomain, "a.example.nl")).toBe("allow");
  });

  it("silence beats allow, and block beats silence", () => {
    const p = policy("allowlist", [["*.example.nl", "allow"], ["quiet.example.nl", "silence"], ["*.quiet.example.nl", "block"]]);
    expect(decide(p, "example.nl")).toBe("allow");
    expect(decide(p, "quiet.example.nl")).toBe("block");
    const q = policy("allowlist", [["*.example.nl", "silence"], ["loud.example.nl", "allow"]]);
    expect(decide(q, "loud.example.nl")).toBe("silence");
  });

  it("knows when it can block nobody (the inbox guard then reads no body)", () => {
    expect(blocksAnyServer(policy("open", [["x.example", "block"]]))).toBe(false);
    expect(blocksAnyServer(policy("blocklist", [["x.example", "silence"], ["y.example", "allow"]]))).toBe(false);
    expect(blocksAnyServer(policy("blocklist", [["x.example", "block"]]))).toBe(true);
    expect(blocksAnyServer(policy("allowlist"))).toBe(true);
  });

  it("addresses are matched as written, never as wildcards", () => {
    const p = policy("blocklist", [["127.0.0.5", "block"]]);
    expect(decide(p, "127.0.0.5")).toBe("block");
    expect(decide(p, "10.127.0.0.5")).toBe("allow");
  });
});
