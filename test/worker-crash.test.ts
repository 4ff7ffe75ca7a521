import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { enqueueJob } from "../federation/queue.ts";
import { type DatabaseHandle, openDatabase } from "../src/db/database.ts";
import { TEMPLATE_PATH } from "./support/global-setup.ts";
import { openTestDatabase, testDatabaseUrl } from "./support/db.ts";

const WORKER = join(import.meta.dirname, "support", "queue-worker-process.ts");
const QUEUE = "crash";
const MESSAGE_ID = "crash-1";

/** A child process running test/support/queue-worker-process.ts, with its output. */
class Worker {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  lines(): string[] {
    return this.stdout.split("\n").filter((line) => line !== "");
  }

  /** Resolves once `line` was printed; rejects if the process exits first or time runs out. */
  async waitForLine(line: string, timeoutMs = 45_000): Promise<void> {
    const started = Date.now();
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (!this.lines().includes(line)) {
      if (exited || Date.now() - started > timeoutMs) {
        throw new Error(
          `worker ${exited ? "exited" : "timed out"} before printing "${line}"\n` +
            `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const started: Worker[] = [];
afterEach(async () => {
  for (const worker of started.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
  }
});

function startWorker(env: Record<string, string>): Worker {
  const worker = new Worker(env);
  started.push(worker);
  return worker;
}

async function inspect(db: DatabaseHandle["db"]) {
  const rows = await db.selectFrom("queue_messages").selectAll().where("queue", "=", QUEUE).execute();
  const marker = await db
    .selectFrom("kv_entries")
    .select("value")
    .where("key", "=", JSON.stringify(["done", MESSAGE_ID]))
    .executeTakeFirst();
  return { rows, marker };
}

describe("queue worker crash (SIGKILL)", () => {
  it("runs the worker script on a Node with type stripping", () => {
    const [major, minor] = process.versions.node.split(".").map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 18)).toBe(true);
  });

  it("hands the message of a killed worker to the next one, which completes it", async () => {
    let env: Record<string, string>;
    let openForInspection: () => Promise<DatabaseHandle>;
    let cleanup: () => Promise<void>;

    if (testDatabaseUrl) {
      const database = await openTestDatabase();
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]!.s;
      env = { WORKER_DATABASE_URL: testDatabaseUrl, WORKER_SCHEMA: schema };
      await enqueueJob(database.db, QUEUE, { id: MESSAGE_ID });
      openForInspection = async () => ({ ...database, close: async () => {} });
      cleanup = () => database.close();
    } else {
      // PGlite: one process per data directory. Build it from the template, then hand it over.
      const dataDir = mkdtempSync(join(tmpdir(), "plein-crash-"));
      const setup = await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(TEMPLATE_PATH)]) });
      await enqueueJob(setup.db, QUEUE, { id: MESSAGE_ID });
      await setup.close();
      env = { WORKER_DATA_DIR: dataDir };
      openForInspection = () => openDatabase({ dataDir });
      cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
    }

    try {
      // Worker 1 claims the message and hangs in the handler; its heartbeat keeps a short lease alive.
      const first = startWorker({ ...env, WORKER_QUEUE: QUEUE, WORKER_MODE: "hang", WORKER_LEASE_MS: "1500" });
      await first.waitForLine(`got ${MESSAGE_ID}`);
      first.child.kill("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

      // The claim was committed and survived the crash: the row is there, locked by the dead worker.
      const afterCrash = await openForInspection();
      try {
        const { rows, marker } = await inspect(afterCrash.db);
        expect(rows).toHaveLength(1);
        expect(rows[0]!.payload).toEqual({ id: MESSAGE_ID });
        expect(rows[0]!.attempts).toBe(1);
        expect(rows[0]!.locked_by).toMatch(new RegExp(`^worker-hang-${first.child.pid}:`));
        expect(marker).toBeUndefined();
      } finally {
        await afterCrash.close();
      }

      // Worker 2 gets it once the lease lapses (pg) or at start-up (PGlite: stale locks released).
      const second = startWorker({ ...env, WORKER_QUEUE: QUEUE, WORKER_MODE: "complete", WORKER_LEASE_MS: "5000" });
      await second.waitForLine(`done ${MESSAGE_ID}`);
      second.child.kill("SIGTERM");
      await second.waitForLine("closed");
      expect(await second.exited).toEqual({ code: 0, signal: null });
      expect(second.lines().filter((line) => line === `got ${MESSAGE_ID}`)).toHaveLength(1);

      const final = await openForInspection();
      try {
        const { rows, marker } = await inspect(final.db);
        expect(rows).toEqual([]);
        expect(marker?.value).toEqual({ pid: second.child.pid });
      } finally {
        await final.close();
      }
    } finally {
      await cleanup();
    }
  }, 120_000);
});
