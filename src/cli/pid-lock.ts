import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareDataDir } from "../db/data-dir.ts";

/**
 * PGlite lets only one process open a data directory. The process that opens
 * it writes its pid here; others see the lock and talk to it over the admin
 * socket instead of opening the files a second time.
 */
export function lockPath(dataDir: string): string {
  return join(dataDir, "plein.pid");
}

export function socketPath(dataDir: string): string {
  return join(dataDir, "admin.sock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of a live process holding the directory, if any. */
export function lockHolder(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath(dataDir), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock or returns the pid of the live holder. A stale lock (dead pid)
 * is replaced. The first to touch the directory: creates it private (or makes it so).
 */
export function acquireLock(dataDir: string): { release: () => void } | { heldBy: number } {
  prepareDataDir(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockPath(dataDir), String(process.pid), { flag: "wx" });
      return {
        release: () => {
          try {
            if (readFileSync(lockPath(dataDir), "utf8").trim() === String(process.pid)) unlinkSync(lockPath(dataDir));
          } catch { /* already gone */ }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = lockHolder(dataDir);
      if (holder) return { heldBy: holder };
      try { unlinkSync(lockPath(dataDir)); } catch { /* raced with another remover */ }
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}
