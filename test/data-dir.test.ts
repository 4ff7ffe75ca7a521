/**
 * The embedded database's directory holds password hashes, token digests and
 * private keys, and PGlite writes its files readable by everyone. `plein`
 * keeps the directory private (0700) whatever the umask: real processes,
 * started under umask 022 as operators' shells usually are.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "./support/db.ts";

const ROOT = join(import.meta.dirname, "..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const MAIN = join(ROOT, "src", "main.ts");
const SERVER_START = 120_000; // a fresh PGlite directory takes 5-15 s to initialise
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

class Plein {
  readonly child: ChildProcess;
  output = "";
  readonly exited: Promise<number | null>;
  constructor(args: string[], dataDir: string, port: number, options: { uid?: number } = {}) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|TEST_DATABASE_URL$|VITEST|NODE_OPTIONS$)/.test(k)) env[k] = v;
    }
    Object.assign(env, { PLEIN_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warning" });
    this.child = spawn("/bin/sh", ["-c", 'umask 022 && exec "$@"', "sh", NODE, MAIN, ...args], {
      cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8").on("data", (chunk: string) => { this.output += chunk; });
    }
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  async healthy(port: number): Promise<void> {
    let exited = false;
    void this.exited.then(() => { exited = true; });
    const deadline = Date.now() + SERVER_START;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`plein exited before it was healthy\n${this.output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`plein was not healthy after ${SERVER_START} ms\n${this.output}`);
  }

  async stop(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return this.exited;
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** Files under `dir` that another local user could open: every directory on the way lets others in, the file lets them read. */
function readableByOthers(dir: string): string[] {
  if (!(mode(dir) & 0o001)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return readableByOthers(path);
    return entry.isFile() && mode(path) & 0o004 ? [path] : [];
  });
}

describe.skipIf(testDatabaseUrl)("the embedded database's directory", () => {
  const parent = mkdtempSync(join(tmpdir(), "plein-data-dir-test-"));
  const dataDir = join(parent, "data");
  let running: Plein | undefined;

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it("is created 0700 under umask 022, so others can read none of its files", async () => {
    const port = await freePort();
    running = new Plein(["serve"], dataDir, port);
    await running.healthy(port);
    const user = new Plein(["user", "create", "alice", "--email", "a@example.test", "--password", "secret123"], dataDir, port);
    expect(await user.exited, user.output).toBe(0);

    expect(mode(dataDir).toString(8)).toBe("700");
    expect(readableByOthers(dataDir)).toEqual([]);
    if (isRoot) {
      // Another local user, for real: the files themselves are 0666, the directory stops them.
      const someFile = readdirSync(dataDir, { recursive: true, encoding: "utf8" })
        .map((f) => join(dataDir, f)).find((f) => statSync(f).isFile() && mode(f) & 0o004);
      expect(someFile).toBeDefined();
      const read = spawnSync(NODE, ["-e", "require('node:fs').readFileSync(process.argv[1])", someFile!], { uid: NOBODY, gid: NOBODY });
      expect(read.status, read.stderr.toString()).not.toBe(0);
      expect(read.stderr.toString()).toContain("EACCES");
    }
    expect(await running.stop()).toBe(0);
  }, SERVER_START + 60_000);

  it("is made private again at start when it was opened up, with a warning", async () => {
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    running = new Plein(["serve"], dataDir, port);
    await running.healthy(port);
    expect(mode(dataDir).toString(8)).toBe("700");
    expect(readableByOthers(dataDir)).toEqual([]);
    expect(running.output).toMatch(/open to other users \(mode '?0755'?\); it is now 0700/);
    expect(await running.stop()).toBe(0);
  }, SERVER_START + 30_000);

  it.runIf(isRoot)("refuses to start, in one line naming PLEIN_DATA_DIR, when it cannot be made private", async () => {
    const foreign = join(parent, "foreign");
    mkdirSync(foreign);
    chmodSync(foreign, 0o755);
    chmodSync(parent, 0o755); // let the unprivileged user reach it
    const plein = new Plein(["serve"], foreign, await freePort(), { uid: NOBODY });
    expect(await plein.exited).toBe(1);
    const lines = plein.output.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^plein: PLEIN_DATA_DIR: .*foreign has mode 0755 and cannot be made private \(EPERM\)/);
    expect(mode(foreign).toString(8)).toBe("755");
    expect(existsSync(join(foreign, "plein.pid"))).toBe(false);
  }, 60_000);
});
