import { createConnection, createServer, type Server } from "node:net";
import { unlinkSync } from "node:fs";
import { getLogger } from "@logtape/logtape";
import type { CommandResult } from "./admin-commands.ts";

const logger = getLogger(["plein", "admin-socket"]);
const MAX_REQUEST = 64 * 1024;

/**
 * A Unix socket in the data directory through which `plein user create`,
 * `plein token`... reach the server that holds the PGlite database. Only
 * whoever can write the data directory can connect (mode 0600).
 */
export function serveAdminSocket(path: string, run: (argv: string[]) => Promise<CommandResult>): Promise<Server> {
  try { unlinkSync(path); } catch { /* none left over */ }
  const server = createServer((socket) => {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", async (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST) return socket.end(JSON.stringify({ output: "request too large", code: 2 }) + "\n");
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      let result: CommandResult;
      try {
        const request = JSON.parse(buffer.slice(0, newline)) as { argv?: unknown };
        if (!Array.isArray(request.argv) || !request.argv.every((a) => typeof a === "string")) {
          throw new Error("argv must be an array of strings");
        }
        result = await run(request.argv as string[]);
      } catch (err) {
        logger.error("Admin command failed: {error}", { error: err });
        result = { output: `error: ${(err as Error).message}`, code: 1 };
      }
      socket.end(JSON.stringify(result) + "\n");
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    const previous = process.umask(0o177);
    server.once("error", reject);
    server.listen(path, () => {
      process.umask(previous);
      resolve(server);
    });
  });
}

export function sendAdminCommand(path: string, argv: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ argv }) + "\n"));
    socket.on("data", (chunk: string) => { buffer += chunk; });
    socket.on("end", () => {
      try {
        resolve(JSON.parse(buffer) as CommandResult);
      } catch {
        reject(new Error("The running server gave no answer"));
      }
    });
    socket.on("error", reject);
  });
}
