import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createConnection, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandResult } from "../src/cli/admin-commands.ts";
import { sendAdminCommand, serveAdminSocket } from "../src/cli/admin-socket.ts";

let dir: string;
let path: string;
let server: Server;
const calls: string[][] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "plein-admin-"));
  path = join(dir, "admin.sock");
  server = await serveAdminSocket(path, async (argv): Promise<CommandResult> => {
    calls.push(argv);
    return { output: `ran ${argv.join(" ")}`, code: 0 };
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Writes raw bytes to the socket and returns what it answered before closing. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk: string) => { answer += chunk; });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("admin socket", () => {
  it("is readable and writable by its owner only", () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("runs a well-formed command and answers its result", async () => {
    expect(await sendAdminCommand(path, ["token", "alice"])).toEqual({ output: "ran token alice", code: 0 });
    expect(calls.at(-1)).toEqual(["token", "alice"]);
  });

  it("answers malformed requests with an error and runs nothing", async () => {
    const before = calls.length;
    for (const request of ["not json\n", "{}\n", '{"argv":"token alice"}\n', '{"argv":[1,2]}\n', "[]\n", "null\n"]) {
      const answer = JSON.parse(await raw(request)) as CommandResult;
      expect(answer.code, request).not.toBe(0);
      expect(answer.output, request).toMatch(/^error: /);
    }
    expect(calls.length).toBe(before);
  });

  it("refuses a request over 64 KiB without running it", async () => {
    const before = calls.length;
    const answer = JSON.parse(await raw(`{"argv":["${"x".repeat(70_000)}"]}\n`)) as CommandResult;
    expect(answer).toEqual({ output: "request too large", code: 2 });
    expect(calls.length).toBe(before);
  });
});
