import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!)
    .concat([...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!));
}

describe("dependency direction (docs/ARCHITECTURE.md)", () => {
  it("src/domain imports no HTTP, ActivityPub or API code", () => {
    const offenders: string[] = [];
    for (const file of sources(join(root, "src", "domain"))) {
      for (const spec of imports(file)) {
        const bad = /^(hono|@hono\/|@fedify\/)/.test(spec)
          || /\/(api|web|oauth|http)\//.test(spec) || spec.includes("federation/")
          || /^\.\.\/(api|web|oauth|http|app|server|routers)/.test(spec);
        if (bad) offenders.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the API and web layers do not import federation code (they reach the network through the resolver)", () => {
    const offenders: string[] = [];
    const edges = ["api", "web"].map((d) => join(root, "src", d)).filter((d) => {
      try {
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    });
    for (const file of edges.flatMap(sources)) {
      for (const spec of imports(file)) {
        if (spec.includes("federation/")) offenders.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("only federation/send.ts calls sendActivity", () => {
    const callers = [...sources(join(root, "federation")), ...sources(join(root, "src"))]
      .filter((f) => readFileSync(f, "utf8").includes(".sendActivity("))
      .map((f) => relative(root, f));
    expect(callers.filter((f) => f !== join("federation", "send.ts"))).toEqual([]);
  });

  it("edges reach the database only through the domain (Fedify's KvStore and MessageQueue excepted)", () => {
    const edges = ["federation", join("src", "api"), join("src", "web")].flatMap((d) => sources(join(root, d)));
    const allowed = new Set([join("federation", "kv.ts"), join("federation", "queue.ts"), join("federation", "queue-claim.ts")]);
    const offenders = edges
      .map((f) => relative(root, f))
      .filter((f) => !allowed.has(f))
      .filter((f) => /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`/.test(readFileSync(join(root, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
