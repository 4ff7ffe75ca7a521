/**
 * A server command re-executes itself in place with glibc's mmap threshold
 * fixed and, on the embedded database, V8's young generation held small
 * (src/ops/process-tuning.ts). The processes below load a preload module that
 * prints the process id, GLIBC_TUNABLES and any semi-space flag each time
 * Node starts, so a re-execution shows as a second line with the same id.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMBEDDED_SEMI_SPACE_FLAG, MMAP_THRESHOLD_TUNABLE, tunedMallocSetting, tunedV8Flags } from "../../src/ops/process-tuning.ts";

const MAIN = join(import.meta.dirname, "..", "..", "src", "main.ts");
const REPORT = "data:text/javascript,process.stdout.write(`start ${process.pid} ${process.env.GLIBC_TUNABLES??'-'} `"
  + "+`${process.execArgv.find((a)=>a.startsWith('--max-semi'))??'-'}\\n`)";
const THRESHOLD = `${MMAP_THRESHOLD_TUNABLE}=131072`;
const ON_GLIBC = process.platform === "linux"
  && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;

describe("tunedMallocSetting", () => {
  it("adds the threshold when nothing is set", () => {
    expect(tunedMallocSetting(undefined, true)).toBe(`${MMAP_THRESHOLD_TUNABLE}=131072`);
    expect(tunedMallocSetting("", true)).toBe(`${MMAP_THRESHOLD_TUNABLE}=131072`);
  });

  it("keeps an operator's other tunables and adds the threshold after them", () => {
    expect(tunedMallocSetting("glibc.malloc.arena_max=2", true)).toBe(`glibc.malloc.arena_max=2:${MMAP_THRESHOLD_TUNABLE}=131072`);
  });

  it("leaves an operator's own threshold as it is", () => {
    expect(tunedMallocSetting(`${MMAP_THRESHOLD_TUNABLE}=1048576`, true)).toBeUndefined();
    expect(tunedMallocSetting(`glibc.malloc.arena_max=2:${MMAP_THRESHOLD_TUNABLE}=65536`, true)).toBeUndefined();
  });

  it("does not take a tunable that only begins with the same name for it", () => {
    expect(tunedMallocSetting(`${MMAP_THRESHOLD_TUNABLE}_other=1`, true)).toBe(`${MMAP_THRESHOLD_TUNABLE}_other=1:${MMAP_THRESHOLD_TUNABLE}=131072`);
  });

  it("does nothing without glibc", () => {
    expect(tunedMallocSetting(undefined, false)).toBeUndefined();
  });
});

describe("tunedV8Flags", () => {
  it("holds the young generation small on the embedded database", () => {
    expect(tunedV8Flags({}, [])).toEqual([EMBEDDED_SEMI_SPACE_FLAG]);
    expect(tunedV8Flags({ DATABASE_URL: "" }, ["--import", "x"])).toEqual([EMBEDDED_SEMI_SPACE_FLAG]);
  });

  it("leaves a PostgreSQL deployment as Node sizes it", () => {
    expect(tunedV8Flags({ DATABASE_URL: "postgres://plein@db/plein" }, [])).toEqual([]);
  });

  it("leaves an operator's own size, given on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(tunedV8Flags({}, ["--max-semi-space-size=16"])).toEqual([]);
    expect(tunedV8Flags({}, ["--max_semi_space_size", "16"])).toEqual([]);
    expect(tunedV8Flags({ NODE_OPTIONS: "--enable-source-maps --max-semi-space-size=32" }, [])).toEqual([]);
    expect(tunedV8Flags({ NODE_OPTIONS: "--max-semi-space-sizes-are-not-a-flag" }, [])).toEqual([EMBEDDED_SEMI_SPACE_FLAG]);
  });
});

describe.runIf(ON_GLIBC)("a Plein process", () => {
  /** Runs plein to its end: with PORT unusable a server command stops at its configuration (exit 2). */
  async function run(args: string[], extra: Record<string, string> = {}): Promise<{ pid: number; code: number | null; starts: string[] }> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|VITEST|NODE_OPTIONS$|GLIBC_TUNABLES$)/.test(k)) env[k] = v;
    }
    Object.assign(env, extra, { PORT: "unusable" });
    const child = spawn(process.execPath, ["--import", REPORT, MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => void (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => void (err += d));
    const code = await new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve));
    if (args[0] !== "--help") expect(err).toContain("PORT: must be a port number");
    return { pid: child.pid!, code, starts: out.split("\n").filter((l) => l.startsWith("start ")) };
  }

  it("serving on the embedded database, runs again as the same process, tuned", async () => {
    const { pid, code, starts } = await run(["serve"]);
    expect(code).toBe(2);
    expect(starts).toEqual([`start ${pid} - -`, `start ${pid} ${THRESHOLD} ${EMBEDDED_SEMI_SPACE_FLAG}`]);
  }, 30_000);

  it("on PostgreSQL, as a worker or web process, fixes the threshold only, keeping the operator's other tunables", async () => {
    const DATABASE_URL = "postgres://plein@127.0.0.1:1/plein";
    const worker = await run(["worker"], { DATABASE_URL, GLIBC_TUNABLES: "glibc.malloc.arena_max=2" });
    expect(worker.starts).toEqual([`start ${worker.pid} glibc.malloc.arena_max=2 -`, `start ${worker.pid} glibc.malloc.arena_max=2:${THRESHOLD} -`]);
    const web = await run(["web"], { DATABASE_URL });
    expect(web.starts).toEqual([`start ${web.pid} - -`, `start ${web.pid} ${THRESHOLD} -`]);
  }, 30_000);

  it("keeps an operator's own threshold and young generation", async () => {
    const both = await run(["serve"], { GLIBC_TUNABLES: `${MMAP_THRESHOLD_TUNABLE}=1048576`, NODE_OPTIONS: "--max-semi-space-size=16" });
    expect(both.code).toBe(2);
    expect(both.starts).toEqual([`start ${both.pid} ${MMAP_THRESHOLD_TUNABLE}=1048576 -`]);
    const threshold = await run(["serve"], { GLIBC_TUNABLES: `${MMAP_THRESHOLD_TUNABLE}=1048576` });
    expect(threshold.starts).toEqual([`start ${threshold.pid} ${MMAP_THRESHOLD_TUNABLE}=1048576 -`, `start ${threshold.pid} ${MMAP_THRESHOLD_TUNABLE}=1048576 ${EMBEDDED_SEMI_SPACE_FLAG}`]);
  }, 30_000);

  it("runs any other command once, as it was started", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.starts).toEqual([`start ${help.pid} - -`]);
  }, 30_000);
});
