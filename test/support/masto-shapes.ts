/**
 * The attributes masto.js declares as always present (no `?`) on its entity
 * types, read from its type declarations: masto checks nothing at run time, so
 * a client that trusts those types (Elk, Phanpy) breaks on a missing one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { expect } from "vitest";

interface Declared {
  extends: string[];
  required: string[];
}

let declared: Map<string, Declared> | undefined;

function entitiesDir(): string {
  const main = createRequire(import.meta.url).resolve("masto");
  return join(dirname(main), "mastodon", "entities");
}

/** Every interface in masto's v1 and v2 entity declarations, by `v1.Name` / `v2.Name`. */
function interfaces(): Map<string, Declared> {
  if (declared) return declared;
  declared = new Map();
  for (const version of ["v1", "v2"]) {
    const dir = join(entitiesDir(), version);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".d.ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/^(?:export )?interface (\w+)(?:<[^>]*>)?(?: extends ([^{]+))? \{\n([\s\S]*?)^\}/gm)) {
        const body = m[3]!;
        const required = [...body.matchAll(/^ {4}(?:readonly )?(\w+):/gm)].map((f) => f[1]!);
        const parents = (m[2] ?? "").split(",").map((p) => p.trim().replace(/<.*$/, "")).filter(Boolean);
        declared.set(`${version}.${m[1]!}`, { extends: parents.map((p) => declared!.has(`${version}.${p}`) || version === "v1" ? `${version}.${p}` : `v1.${p}`), required });
      }
    }
  }
  return declared;
}

/** The attributes masto's `name` (`v1.Status`, `v2.Instance`; and what it extends) declares as required. */
export function requiredAttributes(name: string): string[] {
  const entity = interfaces().get(name);
  if (!entity) throw new Error(`masto declares no entity ${name}`);
  return [...entity.extends.flatMap((parent) => interfaces().has(parent) ? requiredAttributes(parent) : []), ...entity.required];
}

/** Asserts that `value` (as masto returned it, camelCased) has every attribute masto's `name` requires. */
export function expectMastoShape(name: string, value: unknown, except: readonly string[] = []): void {
  expect(value, name).toBeTypeOf("object");
  const present = Object.keys(value as object);
  const missing = requiredAttributes(name).filter((key) => !present.includes(key) && !except.includes(key));
  expect.soft(missing, `${name} lacks what masto declares as required: ${missing.join(", ")}`).toEqual([]);
}
