import { AsyncLocalStorage } from "node:async_hooks";
import {
  ansiColorFormatter,
  configure,
  defaultTextFormatter,
  getConsoleSink,
  getJsonLinesFormatter,
  type LogLevel as LogtapeLevel,
  type Sink,
} from "@logtape/logtape";
import { type RedactionPatterns, redactByField, redactByPattern } from "@logtape/redaction";
import type { LogFormat, LogLevel } from "./config.ts";

const REDACTED = "[REDACTED]";

/** Properties (at any depth) whose values never reach a log line. */
const SECRET_FIELDS = [/pass(?:code|phrase|word)/i, /secret/i, /token/i, /credential/i, /authorization/i, /cookie/i];

/** Secrets in rendered text: bearer tokens, tokens and codes in query strings, cookie and authorization headers. */
const SECRET_PATTERNS: RedactionPatterns = [
  { pattern: /\b([Bb]earer|Basic)\s+[A-Za-z0-9\-._~+/]{8,}=*/g, replacement: `$1 ${REDACTED}` },
  { pattern: /([?&](?:access_token|token|code|password|client_secret)=)[^&\s"'#]+/gi, replacement: `$1${REDACTED}` },
  { pattern: /(["']?(?:cookie|set-cookie|authorization)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}\]]+)/gi, replacement: `$1"${REDACTED}"` },
];

/**
 * The console sink: JSON lines (one object a line: `@timestamp`, `level`,
 * `message`, `logger` (the category), `properties`) or readable lines,
 * both with secrets removed, by property name and by pattern. Levels up
 * to info go to stdout, warnings and errors to stderr.
 */
export function consoleSink(format: LogFormat, console?: Console): Sink {
  // Text, so that the patterns see everything, errors included; coloured on a terminal.
  const text = format === "json" ? getJsonLinesFormatter() : process.stdout.isTTY ? ansiColorFormatter : defaultTextFormatter;
  const formatter = redactByPattern(text, SECRET_PATTERNS);
  return redactByField(getConsoleSink({ formatter, ...(console ? { console } : {}) }), {
    fieldPatterns: SECRET_FIELDS,
    action: () => REDACTED,
  });
}

let configured = false;

/** One logger setup per process; Fedify logs through the same LogTape root. */
export async function setupLogging(level: LogLevel, format: LogFormat = "text"): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: consoleSink(format) },
    loggers: [
      { category: ["plein"], lowestLevel: level as LogtapeLevel, sinks: ["console"] },
      { category: ["fedify"], lowestLevel: level === "info" ? "warning" : level as LogtapeLevel, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
