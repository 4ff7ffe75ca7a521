/**
 * Process roles as an operator runs them: `plein web` serves HTTP and leaves
 * the queues alone; `plein worker` runs the queues without HTTP and exits 0 on
 * SIGTERM. Real processes on a real database (a PGlite directory, or a pg schema).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../src/db/database.ts";
import { enqueueJob } from "../src/db/queue-rows.ts";
import { DELIVERY_QUEUE } from "../src/domain/jobs.ts";
import { type ProcessDatabase, processDatabase } from "./support/process-database.ts";

const MAIN = join(import.meta.dirname, "..", "src", "main.ts");

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
  constructor(role: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [MAIN, role], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        this.output += chunk;
      });
    }
    // "close": exited and its output read to the end.
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }
  async stop(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return this.exited;
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const healthy = async (port: number) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
};

describe("process roles", () => {
  let env: Record<string, string>;
  let database: ProcessDatabase | undefined;

  /** Opens the database the processes use (only while none runs, on PGlite). */
  async function withDb<T>(use: (db: DatabaseHandle["db"]) => Promise<T>): Promise<T> {
    if (database!.db) return use(database!.db);
    const handle = await openDatabase({ dataDir: database!.dataDir! });
    try {
      return await use(handle.db);
    } finally {
      await handle.close();
    }
  }

  const pendingJobs = () => withDb(async (db) => {
    const rows = await db.selectFrom("queue_messages").select("id").where("queue", "=", DELIVERY_QUEUE).execute();
    return rows.length;
  });

  beforeAll(async () => {
    const port = await freePort();
    database = await processDatabase("roles");
    env = { PORT: String(port), PLEIN_ORIGIN: `http://127.0.0.1:${port}`, LOG_LEVEL: "info", ...database.env };
    // A job nobody can act on: a worker drops it (and says so), a web process never touches it.
    await withDb((db) => enqueueJob(db, DELIVERY_QUEUE, { type: "no-such-job" }));
  }, 120_000);

  afterAll(async () => {
    await database?.remove();
  });

  it("plein web serves HTTP and leaves queued work alone", async () => {
    const web = new Plein("web", env);
    try {
      await until(() => healthy(Number(env.PORT)), "web to answer /healthz");
      if (database!.db) expect(await pendingJobs()).toBe(1);
    } finally {
      expect(await web.stop()).toBe(0);
    }
    // Its whole output: queues start before HTTP listens, and say so (see the worker below).
    expect(web.output).toContain("Plein listening on");
    expect(web.output).not.toContain("processing its queues");
    expect(await pendingJobs()).toBe(1);
  }, 120_000);

  it("plein worker runs the queue without HTTP and stops cleanly on SIGTERM", async () => {
    const worker = new Plein("worker", env);
    try {
      await until(() => worker.output.includes("Dropping a malformed delivery job"), `the worker to take the job\n${worker.output}`);
      expect(worker.output).toContain("processing its queues (role 'worker')");
      expect(await healthy(Number(env.PORT))).toBe(false);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
    expect(worker.output).toContain("SIGTERM received");
    expect(await pendingJobs()).toBe(0);
  }, 120_000);
});
