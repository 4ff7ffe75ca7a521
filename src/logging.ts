import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, type LogLevel as LogtapeLevel } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

let configured = false;

/** One logger setup per process; Fedify logs through the same LogTape root. */
export async function setupLogging(level: LogLevel): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["plein"], lowestLevel: level as LogtapeLevel, sinks: ["console"] },
      { category: ["fedify"], lowestLevel: level === "info" ? "warning" : level as LogtapeLevel, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
