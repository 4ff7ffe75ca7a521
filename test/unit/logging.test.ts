/**
 * The log sink removes secrets wherever they appear: as properties (at any
 * depth), as values interpolated into the message, and as text (a bearer
 * token or an access_token in a logged URL or error message).
 */
import type { LogRecord } from "@logtape/logtape";
import { describe, expect, it } from "vitest";
import { consoleSink } from "../../src/logging.ts";

const SECRET = "s3cr3t-T0ken-value";

function capture(format: "json" | "text", record: LogRecord): string[] {
  const lines: string[] = [];
  const write = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const console = { debug: write, info: write, warn: write, error: write, log: write } as unknown as Console;
  consoleSink(format, console)(record);
  return lines;
}

function record(rawMessage: string, properties: Record<string, unknown>): LogRecord {
  const names = [...rawMessage.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const parts = rawMessage.split(/\{\w+\}/);
  const message: unknown[] = [];
  parts.forEach((part, i) => {
    message.push(part);
    if (i < names.length) message.push(properties[names[i]!]);
  });
  return { category: ["plein", "test"], level: "warning", rawMessage, message, properties, timestamp: Date.parse("2026-12-01T08:00:00Z") };
}

const cases: Array<[string, LogRecord]> = [
  ["a token property", record("Signed in", { token: SECRET, user: "anna" })],
  ["nested request headers", record("Request failed", { request: { method: "GET", headers: { Authorization: `Bearer ${SECRET}`, Cookie: `plein_session=${SECRET}` } } })],
  ["a URL with an access token", record("Fetching {url}", { url: `https://plein.test/api/v1/streaming?stream=user&access_token=${SECRET}` })],
  ["an error message quoting a header", record("Failed: {error}", { error: new Error(`upstream said authorization: Bearer ${SECRET}`) })],
  ["a password", record("Creating {name}", { name: "anna", password: SECRET })],
];

describe("log redaction", () => {
  for (const format of ["json", "text"] as const) {
    it.each(cases)(`${format}: leaves out %s`, (_what, r) => {
      const out = capture(format, r).join("\n");
      expect(out.length).toBeGreaterThan(0);
      expect(out).not.toContain(SECRET);
    });
  }

  it("writes one JSON object per line with time, level, category, message and properties", () => {
    const [line, ...rest] = capture("json", record("Listening on {address}", { address: "http://127.0.0.1:3000", role: "web" }));
    expect(rest).toEqual([]);
    expect(JSON.parse(line!)).toEqual({
      "@timestamp": "2026-12-01T08:00:00.000Z",
      level: "WARN",
      logger: "plein.test",
      message: 'Listening on "http://127.0.0.1:3000"',
      properties: { address: "http://127.0.0.1:3000", role: "web" },
    });
  });
});
