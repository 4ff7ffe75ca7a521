import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import pg from "pg";

export type DatabaseKind = "postgresql" | "pglite";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMiB: number;
  freeMemoryMiB: number;
  /** 1-minute load average when the benchmark started: other work on the machine shows here */
  loadAverage: number;
  os: string;
  node: string;
  /** `connection`: how Plein reached PostgreSQL (its Unix socket or TCP), which changes every figure that queries */
  database: { kind: DatabaseKind; version: string; connection?: "unix socket" | "tcp" | "embedded" };
}

function connectionOf(kind: DatabaseKind, url: string | undefined): "unix socket" | "tcp" | "embedded" {
  if (kind === "pglite" || !url) return "embedded";
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get("host") || "";
  return host === "" || host.startsWith("/") ? "unix socket" : "tcp";
}

async function databaseVersion(kind: DatabaseKind, url: string | undefined): Promise<string> {
  if (kind === "pglite" || !url) {
    const manifest = join(import.meta.dirname, "..", "..", "node_modules", "@electric-sql", "pglite", "package.json");
    return `PGlite ${(JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version}`;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("show server_version");
    return `PostgreSQL ${rows[0]?.server_version ?? "?"}`;
  } finally {
    await client.end();
  }
}

/** What the figures were measured on, written beside them. */
export async function describeMachine(kind: DatabaseKind, url?: string): Promise<Machine> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? "unknown",
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiB: Math.round(freemem() / 2 ** 20),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    os: `${process.platform} ${release()}`,
    node: process.version,
    database: { kind, version: await databaseVersion(kind, url), connection: connectionOf(kind, url) },
  };
}
