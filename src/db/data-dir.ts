import { chmodSync, mkdirSync, statSync } from "node:fs";
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["plein", "db"]);

/** Owner only: read, write, enter. */
const PRIVATE = 0o700;

/** The embedded database's directory cannot be made private; the message is one line for the operator. */
export class DataDirError extends Error {}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/**
 * Makes the embedded database's directory private before anything is written
 * to it: created with mode 0700, and an existing one set to 0700 (with a
 * warning if others could read it). PGlite writes its files readable and
 * writable by everyone (0666, whatever the umask), so this directory is all
 * that keeps password hashes, token digests and private keys from other local
 * users. Throws DataDirError when the directory cannot be created or made
 * private (not its owner, read-only file system): Plein then refuses to start.
 */
export function prepareDataDir(dir: string): void {
  let mode: number;
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE });
    const stat = statSync(dir);
    if (!stat.isDirectory()) throw new DataDirError(`PLEIN_DATA_DIR: ${dir} is not a directory`);
    mode = stat.mode & 0o777;
  } catch (err) {
    const code = errnoCode(err);
    if (!code) throw err;
    throw new DataDirError(`PLEIN_DATA_DIR: cannot create ${dir} (${code})`);
  }
  if (mode === PRIVATE) return;
  try {
    chmodSync(dir, PRIVATE);
  } catch (err) {
    const code = errnoCode(err);
    if (!code) throw err;
    throw new DataDirError(`PLEIN_DATA_DIR: ${dir} has mode ${octal(mode)} and cannot be made private (${code}); `
      + `run Plein as the directory's owner, or chmod 700 it`);
  }
  if (mode & 0o077) {
    logger.warning("The data directory {dir} was open to other users (mode {mode}); it is now 0700", { dir, mode: octal(mode) });
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
