/**
 * Settings a server process can only take when it starts, applied by Plein's
 * entry point re-executing itself in place (same process id, same arguments):
 * one place for every way Plein is started (npm scripts, the `plein` command,
 * the container image, the benchmarks, the tests). Only the server commands,
 * which run for long: the re-execution costs some 0.1 s. Measured with
 * bench/footprint.ts (idle RSS after a restart); docs/OPERATIONS.md has the
 * figures behind each.
 *
 * - glibc's malloc keeps its mmap threshold fixed (GLIBC_TUNABLES). By default
 *   the threshold rises to the size of every large block freed (up to 32 MB),
 *   so once start-up has read and freed a few large buffers (PGlite's files,
 *   its WebAssembly), later ones come from the main heap, which never gives
 *   memory back while anything lies above it. An operator's own
 *   `glibc.malloc.mmap_threshold` is left as it is.
 * - On the embedded database, V8's young generation is held to 4 MB per
 *   semi-space (Node's default grows it to 16 MB, which start-up alone does).
 *   PostgreSQL deployments keep the default: memory is not their limit.
 *   An operator's own `--max-semi-space-size` is left as it is.
 */

export const MMAP_THRESHOLD_TUNABLE = "glibc.malloc.mmap_threshold";
const MMAP_THRESHOLD_BYTES = 128 * 1024;
export const EMBEDDED_SEMI_SPACE_FLAG = "--max-semi-space-size=4";
const SERVER_COMMANDS = new Set(["serve", "web", "worker"]);

/** The GLIBC_TUNABLES value to run with, or undefined when the process should run as it is. */
export function tunedMallocSetting(current: string | undefined, glibc: boolean): string | undefined {
  if (!glibc) return undefined;
  const tunables = (current ?? "").split(":").filter((t) => t !== "");
  if (tunables.some((t) => t.split("=")[0] === MMAP_THRESHOLD_TUNABLE)) return undefined;
  return [...tunables, `${MMAP_THRESHOLD_TUNABLE}=${MMAP_THRESHOLD_BYTES}`].join(":");
}

/** The V8 flags to add: none on PostgreSQL, none when the operator sized the young generation. */
export function tunedV8Flags(env: Record<string, string | undefined>, execArgv: readonly string[]): string[] {
  if (env.DATABASE_URL) return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (given.some((flag) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(flag))) return [];
  return [EMBEDDED_SEMI_SPACE_FLAG];
}

function runsOnGlibc(): boolean {
  if (process.platform !== "linux") return false;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime !== undefined;
}

/** Replaces this process with itself under the tuned settings; returns only when there is nothing to change. */
export function reexecTuned(command: string | undefined): void {
  // Node has execve since 22.15, and not on Windows.
  if (command === undefined || !SERVER_COMMANDS.has(command) || !process.execve || process.platform === "win32") return;
  const malloc = tunedMallocSetting(process.env.GLIBC_TUNABLES, runsOnGlibc());
  const flags = tunedV8Flags(process.env, process.execArgv);
  if (malloc === undefined && flags.length === 0) return;
  process.execve(
    process.execPath,
    [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)],
    malloc === undefined ? process.env : { ...process.env, GLIBC_TUNABLES: malloc },
  );
}
