/**
 * glibc's malloc, told to keep its mmap threshold fixed. By default the
 * threshold rises to the size of every large block freed (up to 32 MB), so
 * once start-up has read and freed a few large buffers (PGlite's files, its
 * WebAssembly), later ones come from the main heap, which never gives memory
 * back while anything lies above it. Measured on the embedded database
 * (bench/footprint.ts, idle after a restart): 349 MB with the default,
 * 293 MB with the threshold fixed at glibc's own starting value, 128 KiB.
 *
 * GLIBC_TUNABLES is read only when a process starts, so Plein's entry point
 * re-executes itself in place (same process id, same arguments) with it set.
 * One place for every way Plein is started: npm scripts, the `plein` command,
 * the container image, the benchmarks, the tests. Only the server commands,
 * which run for long: the re-execution costs some 0.1 s. An operator's own
 * `glibc.malloc.mmap_threshold` is left as it is.
 */

export const MMAP_THRESHOLD_TUNABLE = "glibc.malloc.mmap_threshold";
const MMAP_THRESHOLD_BYTES = 128 * 1024;
const SERVER_COMMANDS = new Set(["serve", "web", "worker"]);

/** The GLIBC_TUNABLES value to run with, or undefined when the process should run as it is. */
export function tunedMallocSetting(current: string | undefined, glibc: boolean): string | undefined {
  if (!glibc) return undefined;
  const tunables = (current ?? "").split(":").filter((t) => t !== "");
  if (tunables.some((t) => t.split("=")[0] === MMAP_THRESHOLD_TUNABLE)) return undefined;
  return [...tunables, `${MMAP_THRESHOLD_TUNABLE}=${MMAP_THRESHOLD_BYTES}`].join(":");
}

function runsOnGlibc(): boolean {
  if (process.platform !== "linux") return false;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime !== undefined;
}

/** Replaces this process with itself under the tuned setting; returns only when there is nothing to do. */
export function reexecWithTunedMalloc(command: string | undefined): void {
  if (command === undefined || !SERVER_COMMANDS.has(command)) return;
  const setting = tunedMallocSetting(process.env.GLIBC_TUNABLES, runsOnGlibc());
  if (setting === undefined || !process.execve) return;
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, GLIBC_TUNABLES: setting },
  );
}
