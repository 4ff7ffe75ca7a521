import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toJsonb } from "../../src/db/json.ts";

describe("toJsonb", () => {
  it("drops NUL characters and keeps everything else, escaped backslashes included", () => {
    expect(toJsonb({ a: "x\u0000y", b: ["\u0000"], "k\u0000": 1 })).toBe('{"a":"xy","b":[""],"k":1}');
    expect(JSON.parse(toJsonb({ a: "\\u0000 and \\\u0000" })!)).toEqual({ a: "\\u0000 and \\" });
    expect(toJsonb(undefined)).toBeUndefined();
  });

  it("equals JSON.stringify of the value with NUL removed, for any value", () => {
    const strip = (v: unknown): unknown => typeof v === "string" ? v.replaceAll("\u0000", "")
      : Array.isArray(v) ? v.map(strip)
        : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replaceAll("\u0000", ""), strip(x)])) : v;
    const text = fc.string({ unit: fc.constantFrom("\u0000", "\\", "u", "0", "a", "\"") });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }).chain((v) => fc.tuple(fc.constant(v), text)), ([value, s]) => {
      const input = { value, s };
      expect(toJsonb(input)).toBe(JSON.stringify(strip(input)));
    }));
  });
});
