/**
 * A server command re-executes itself in place with glibc's mmap threshold
 * fixed (src/ops/malloc-tuning.ts). The processes below load a preload module
 * that prints the process id and GLIBC_TUNABLES each time Node starts, so a
 * re-execution shows as a second line with the same id.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MMAP_THRESHOLD_TUNABLE, tunedMallocSetting } from "../../src/ops/malloc-tuning.ts";

const MAIN = join(import.meta.dirname, "..", "..", "src", "main.ts");
const REPORT = `data:text/javascript,process.stdout.write("start "+process.pid+" "+(process.env.GLIBC_TUNABLES??"-")+"\\n")`;
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

describe.runIf(ON_GLIBC)("a Plein process", () => {
  /** Runs plein to its end: with PORT unusable a server command stops at its configuration (exit 2). */
  async function run(args: string[], tunables?: string): Promise<{ pid: number; code: number | null; starts: string[] }> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|VITEST|NODE_OPTIONS$|GLIBC_TUNABLES$)/.test(k)) env[k] = v;
    }
    if (tunables !== undefined) env.GLIBC_TUNABLES = tunables;
    env.PORT = "unusable";
    const child = spawn(process.execPath, ["--import", REPORT, MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => void (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => void (err += d));
    const code = await new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve));
    if (args[0] !== "--help") expect(err).toContain("PORT: must be a port number");
    return { pid: child.pid!, code, starts: out.split("\n").filter((l) => l.startsWith("start ")) };
  }

  it("serving, runs again as the same process with the threshold fixed", async () => {
    const { pid, code, starts } = await run(["serve"]);
    expect(code).toBe(2);
    expect(starts).toEqual([`start ${pid} -`, `start ${pid} ${MMAP_THRESHOLD_TUNABLE}=131072`]);
  }, 30_000);

  it("as a worker or web process too, keeping the operator's other tunables", async () => {
    const worker = await run(["worker"], "glibc.malloc.arena_max=2");
    expect(worker.starts).toEqual([`start ${worker.pid} glibc.malloc.arena_max=2`, `start ${worker.pid} glibc.malloc.arena_max=2:${MMAP_THRESHOLD_TUNABLE}=131072`]);
    const web = await run(["web"]);
    expect(web.starts).toEqual([`start ${web.pid} -`, `start ${web.pid} ${MMAP_THRESHOLD_TUNABLE}=131072`]);
  }, 30_000);

  it("with the operator's own threshold, or for any other command, runs once as it was started", async () => {
    const own = await run(["serve"], `${MMAP_THRESHOLD_TUNABLE}=1048576`);
    expect(own.code).toBe(2);
    expect(own.starts).toEqual([`start ${own.pid} ${MMAP_THRESHOLD_TUNABLE}=1048576`]);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.starts).toEqual([`start ${help.pid} -`]);
  }, 30_000);
});
