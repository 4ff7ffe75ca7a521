/**
 * docs/API.md tells the truth about the routes: every route of the client
 * APIs that the app registers is documented with its method, every documented
 * endpoint is served, and every endpoint table says how complete each one is.
 *
 * Format the test reads: in a table whose first header cell is "Method and
 * path", each code span of the first cell that starts with methods is an
 * endpoint, `GET /api/v1/lists` or `GET/POST /api/v1/lists` (methods joined by
 * "/", then the full path; a query string is ignored). A bare `/path` span
 * there is an error (write it out), except after "WebSocket".
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi } from "./support.ts";

const PREFIXES = ["/api/v1/", "/api/v2/", "/oauth/", "/api/plein/v1/", "/uploads/", "/media_proxy/"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const STATUSES = ["full", "partial", "empty"];

const underPrefix = (path: string) => PREFIXES.some((p) => path.startsWith(p));

/** `:id`, `:group_key`, `:number`... all read as `:param`. */
const normalise = (path: string) => path.replace(/:[A-Za-z_]+/g, ":param");

/** `/uploads/:id/:variant{original|small}` → `/uploads/:id/original`, `/uploads/:id/small`. */
function expandAlternatives(path: string): string[] {
  const match = /:[A-Za-z_]+\{([A-Za-z0-9_|]+)\}/.exec(path);
  if (!match?.[1]) return [path];
  const [whole, alternatives] = match;
  return alternatives.split("|").flatMap((alt) => expandAlternatives(path.replace(whole, alt)));
}

interface DocRow {
  line: number;
  cells: string[];
}

interface DocTable {
  header: string[];
  rows: DocRow[];
}

function cellsOf(line: string): string[] {
  // Split on pipes outside code spans.
  const cells: string[] = [];
  let current = "";
  let inCode = false;
  for (const ch of line.trim().replace(/^\|/, "").replace(/\|$/, "")) {
    if (ch === "`") inCode = !inCode;
    if (ch === "|" && !inCode) {
      cells.push(current.trim());
      current = "";
    } else current += ch;
  }
  cells.push(current.trim());
  return cells;
}

function tablesOf(markdown: string): DocTable[] {
  const lines = markdown.split("\n");
  const tables: DocTable[] = [];
  const at = (i: number) => lines[i] ?? "";
  for (let i = 0; i < lines.length; i++) {
    if (!at(i).startsWith("|") || !/^\|[-| ]+\|$/.test(at(i + 1))) continue;
    const table: DocTable = { header: cellsOf(at(i)), rows: [] };
    let j = i + 2;
    for (; j < lines.length && at(j).startsWith("|"); j++) table.rows.push({ line: j + 1, cells: cellsOf(at(j)) });
    tables.push(table);
    i = j;
  }
  return tables;
}

interface Documented {
  /** "GET /api/v1/lists/:param" */
  key: string;
  line: number;
}

function documentedEndpoints(tables: DocTable[]): { endpoints: Documented[]; problems: string[] } {
  const endpoints: Documented[] = [];
  const problems: string[] = [];
  const spanWithMethods = new RegExp(`^((?:${METHODS.join("|")})(?:/(?:${METHODS.join("|")}))*) (/\\S*)$`);
  for (const table of tables.filter((t) => t.header[0] === "Method and path")) {
    for (const row of table.rows) {
      const first = row.cells[0] ?? "";
      for (const span of first.matchAll(/`([^`]+)`/g)) {
        const text = span[1] ?? "";
        const m = spanWithMethods.exec(text);
        if (m?.[1] && m[2]) {
          const path = m[2].replace(/\?.*$/, "");
          if (!underPrefix(path)) continue;
          for (const method of m[1].split("/")) endpoints.push({ key: `${method} ${normalise(path)}`, line: row.line });
        } else if (text.startsWith("/") && !first.slice(0, span.index).trimEnd().endsWith("WebSocket")) {
          problems.push(`docs/API.md:${row.line}: \`${text}\` has no method: write "METHOD /full/path"`);
        }
      }
    }
  }
  return { endpoints, problems };
}

describe("docs/API.md", () => {
  let api: Api;
  const markdown = readFileSync(new URL("../../docs/API.md", import.meta.url), "utf8");
  const tables = tablesOf(markdown);

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const servedRoutes = () => {
    const served = new Map<string, string>();
    for (const route of api.running.app.routes) {
      if (!METHODS.includes(route.method) || route.path.includes("*")) continue;
      for (const path of expandAlternatives(route.path)) {
        if (underPrefix(path)) served.set(`${route.method} ${normalise(path)}`, `${route.method} ${route.path}`);
      }
    }
    return served;
  };

  it("reads endpoint tables (the format this test expects is still the docs' format)", () => {
    const { endpoints, problems } = documentedEndpoints(tables);
    expect(problems, problems.join("\n")).toEqual([]);
    expect(endpoints.length).toBeGreaterThan(100);
  });

  it("documents every route the app serves, with its method", () => {
    const documented = new Set(documentedEndpoints(tables).endpoints.map((e) => e.key));
    const missing = [...servedRoutes()].filter(([key]) => !documented.has(key)).map(([, route]) => route);
    expect(missing, `served but not in docs/API.md ("Method and path" tables):\n${missing.join("\n")}`).toEqual([]);
  });

  it("documents no endpoint that is not served", () => {
    const served = servedRoutes();
    const phantom = documentedEndpoints(tables).endpoints.filter((e) => !served.has(e.key)).map((e) => `docs/API.md:${e.line}: ${e.key}`);
    expect(phantom, `in docs/API.md but not served:\n${phantom.join("\n")}`).toEqual([]);
  });

  it("gives every endpoint a status: full, partial (what is missing in the notes) or empty", () => {
    const problems: string[] = [];
    for (const table of tables.filter((t) => t.header[0] === "Method and path")) {
      const column = table.header.indexOf("Status");
      if (column < 0) {
        problems.push(`docs/API.md:${(table.rows[0]?.line ?? 1) - 2}: table without a Status column`);
        continue;
      }
      for (const row of table.rows) {
        const status = /^[a-z]+/.exec(row.cells[column] ?? "")?.[0] ?? "";
        if (!STATUSES.includes(status)) problems.push(`docs/API.md:${row.line}: status "${row.cells[column]}" is not one of ${STATUSES.join(", ")}`);
        if (status === "partial" && (row.cells[column + 1] ?? row.cells[column] ?? "").length < 10) {
          problems.push(`docs/API.md:${row.line}: partial, but the notes do not say what is missing`);
        }
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
