import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

const ROOT = join(import.meta.dirname, "..");
const NODE = join(ROOT, "node_modules", ".bin", "node");

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  it("has defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.origin.href).toBe("http://localhost:3000/");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe("./data");
    expect(config.mediaDir).toBe(join("data", "media"));
    expect(config.maxFileBytes).toBe(25 * 1024 * 1024);
    expect(config.role).toBe("all");
    expect(config.allowPrivateAddress).toBe(false);
    expect(config.federationMode).toBe("blocklist");
    expect(config.tls).toBeUndefined();
    expect(config.logLevel).toBe("info");
    expect(config.queueConcurrency).toBe(16);
    expect(config.outboxConcurrency).toBe(128);
  });

  it("treats empty strings as unset", () => {
    const config = loadConfig({
      PLEIN_ORIGIN: "", PORT: "", HOST: "", DATABASE_URL: "", PLEIN_DATA_DIR: "", PLEIN_ROLE: "",
      PLEIN_MEDIA_DIR: "", PLEIN_MAX_FILE_SIZE: "", PLEIN_RATE_LIMIT: "", PLEIN_ALLOW_PRIVATE_ADDRESS: "", PLEIN_FEDERATION_MODE: "", PLEIN_TLS_CERT: "", PLEIN_TLS_KEY: "", LOG_LEVEL: "",
      PLEIN_QUEUE_CONCURRENCY: "", PLEIN_OUTBOX_CONCURRENCY: "",
    });
    expect(config).toEqual(loadConfig({}));
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PLEIN_ORIGIN: "https://samen.example.nl",
      PORT: "8443",
      HOST: "0.0.0.0",
      DATABASE_URL: "postgresql://plein:secret@db.example:5432/plein",
      PLEIN_DATA_DIR: "/var/lib/plein",
      PLEIN_MEDIA_DIR: "/srv/plein-media",
      PLEIN_MAX_FILE_SIZE: "100MiB",
      PLEIN_RATE_LIMIT: "1000",
      PLEIN_ROLE: "worker",
      PLEIN_ALLOW_PRIVATE_ADDRESS: "true",
      PLEIN_FEDERATION_MODE: "allowlist",
      PLEIN_TLS_CERT: "test/tls/server.pem",
      PLEIN_TLS_KEY: "test/tls/server.key",
      LOG_LEVEL: "debug",
      PLEIN_LOG_FORMAT: "json",
      PLEIN_METRICS_TOKEN: "a-long-enough-metrics-token",
      PLEIN_METRICS_PORT: "9464",
      PLEIN_METRICS_HOST: "0.0.0.0",
      PLEIN_DB_POOL_SIZE: "25",
      PLEIN_DRAIN_SECONDS: "5",
      PLEIN_QUEUE_CONCURRENCY: "32",
      PLEIN_OUTBOX_CONCURRENCY: "300",
      PLEIN_DOCUMENT_CACHE_SECONDS: "30",
    });
    expect(config).toEqual({
      origin: new URL("https://samen.example.nl"),
      port: 8443,
      host: "0.0.0.0",
      databaseUrl: "postgresql://plein:secret@db.example:5432/plein",
      dataDir: "/var/lib/plein",
      mediaDir: "/srv/plein-media",
      maxFileBytes: 100 * 1024 * 1024,
      rateLimit: 1000,
      role: "worker",
      allowPrivateAddress: true,
      federationMode: "allowlist",
      tls: { cert: "test/tls/server.pem", key: "test/tls/server.key" },
      logLevel: "debug",
      logFormat: "json",
      metricsToken: "a-long-enough-metrics-token",
      metrics: { host: "0.0.0.0", port: 9464 },
      dbPoolSize: 25,
      drainSeconds: 5,
      queueConcurrency: 32,
      outboxConcurrency: 300,
      documentCacheSeconds: 30,
    });
  });

  it("logs JSON lines in production, readable lines otherwise, unless PLEIN_LOG_FORMAT says", () => {
    expect(loadConfig({}).logFormat).toBe("text");
    expect(loadConfig({ NODE_ENV: "production" }).logFormat).toBe("json");
    expect(loadConfig({ NODE_ENV: "production", PLEIN_LOG_FORMAT: "text" }).logFormat).toBe("text");
    expect(loadConfig({ PLEIN_LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(() => loadConfig({ PLEIN_LOG_FORMAT: "xml" })).toThrow(/PLEIN_LOG_FORMAT/);
  });

  it("serves no metrics unless a token or a metrics port is configured; refuses a short token", () => {
    const config = loadConfig({});
    expect(config.metricsToken).toBeUndefined();
    expect(config.metrics).toBeUndefined();
    expect(loadConfig({ PLEIN_METRICS_PORT: "9464" }).metrics).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(() => loadConfig({ PLEIN_METRICS_TOKEN: "short" })).toThrow(/PLEIN_METRICS_TOKEN/);
    expect(() => loadConfig({ PLEIN_METRICS_PORT: "99999" })).toThrow(/PLEIN_METRICS_PORT/);
    expect(() => loadConfig({ PLEIN_DB_POOL_SIZE: "0" })).toThrow(/PLEIN_DB_POOL_SIZE/);
    expect(() => loadConfig({ PLEIN_DRAIN_SECONDS: "soon" })).toThrow(/PLEIN_DRAIN_SECONDS/);
    expect(() => loadConfig({ PLEIN_QUEUE_CONCURRENCY: "0" })).toThrow(/PLEIN_QUEUE_CONCURRENCY/);
    expect(() => loadConfig({ PLEIN_QUEUE_CONCURRENCY: "many" })).toThrow(/PLEIN_QUEUE_CONCURRENCY/);
    expect(() => loadConfig({ PLEIN_OUTBOX_CONCURRENCY: "0" })).toThrow(/PLEIN_OUTBOX_CONCURRENCY/);
    expect(() => loadConfig({ PLEIN_OUTBOX_CONCURRENCY: "1025" })).toThrow(/PLEIN_OUTBOX_CONCURRENCY/);
    expect(() => loadConfig({ PLEIN_OUTBOX_CONCURRENCY: "-5" })).toThrow(/PLEIN_OUTBOX_CONCURRENCY/);
    expect(() => loadConfig({ PLEIN_DOCUMENT_CACHE_SECONDS: "61" })).toThrow(/PLEIN_DOCUMENT_CACHE_SECONDS/);
  });

  it("derives the default origin from PORT", () => {
    expect(loadConfig({ PORT: "8080" }).origin.href).toBe("http://localhost:8080/");
  });

  it("normalises PLEIN_ORIGIN to its origin", () => {
    expect(loadConfig({ PLEIN_ORIGIN: "https://Samen.Example.NL/" }).origin.href).toBe("https://samen.example.nl/");
    expect(loadConfig({ PLEIN_ORIGIN: "https://127.0.0.2" }).origin.host).toBe("127.0.0.2");
    expect(loadConfig({ PLEIN_ORIGIN: "http://localhost:3001" }).origin.host).toBe("localhost:3001");
  });

  it("keeps uploaded files under the data directory unless PLEIN_MEDIA_DIR says otherwise", () => {
    expect(loadConfig({ PLEIN_DATA_DIR: "/var/lib/plein" }).mediaDir).toBe("/var/lib/plein/media");
    expect(loadConfig({ PLEIN_DATA_DIR: "/var/lib/plein", PLEIN_MEDIA_DIR: "/mnt/files" }).mediaDir).toBe("/mnt/files");
    // The embedded database in memory (tests): files in memory too, never on disk.
    expect(loadConfig({ PLEIN_DATA_DIR: "memory://" }).mediaDir).toBe("memory://");
  });

  it.each([
    ["1", 1], ["1000000", 1_000_000], ["512KiB", 512 * 1024], ["25MiB", 25 * 1024 * 1024], ["1GiB", 1024 ** 3],
  ])("accepts PLEIN_MAX_FILE_SIZE=%s", (value, expected) => {
    expect(loadConfig({ PLEIN_MAX_FILE_SIZE: value }).maxFileBytes).toBe(expected);
  });

  it.each([
    ["1", 1], ["80", 80], ["65535", 65535],
  ])("accepts PORT=%s", (value, expected) => {
    expect(loadConfig({ PORT: value }).port).toBe(expected);
  });

  it.each([
    ["1", true], ["true", true], ["0", false], ["false", false],
  ])("accepts PLEIN_ALLOW_PRIVATE_ADDRESS=%s", (value, expected) => {
    expect(loadConfig({ PLEIN_ALLOW_PRIVATE_ADDRESS: value }).allowPrivateAddress).toBe(expected);
  });

  it.each(["all", "web", "worker"])("accepts PLEIN_ROLE=%s", (role) => {
    expect(loadConfig({ PLEIN_ROLE: role }).role).toBe(role);
  });

  it.each(["open", "blocklist", "allowlist"])("accepts PLEIN_FEDERATION_MODE=%s", (mode) => {
    expect(loadConfig({ PLEIN_FEDERATION_MODE: mode }).federationMode).toBe(mode);
  });

  it.each(["trace", "debug", "info", "warning", "error", "fatal"])("accepts LOG_LEVEL=%s", (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each(["::1", "::", "localhost", "127.0.0.2", "plein-web-1", "0.0.0.0"])("accepts HOST=%s", (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  const bad: Array<[string, string]> = [
    ["PORT", "abc"],
    ["PORT", "0"],
    ["PORT", "65536"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["PORT", " 80"],
    ["PORT", "123456"],
    ["PLEIN_ORIGIN", "ftp://x"],
    ["PLEIN_ORIGIN", "not a url"],
    ["PLEIN_ORIGIN", "samen.example.nl"],
    ["PLEIN_ORIGIN", "https://samen.example.nl/plein"],
    ["PLEIN_ORIGIN", "https://samen.example.nl/?x=1"],
    ["PLEIN_ORIGIN", "https://samen.example.nl/#top"],
    ["PLEIN_ORIGIN", "https://user:pw@samen.example.nl"],
    ["HOST", "bad host"],
    ["HOST", "a/b"],
    ["HOST", "[::1]"], // Node's listen() wants IPv6 without brackets
    ["DATABASE_URL", "mysql://x"],
    ["DATABASE_URL", "/var/run/postgresql"],
    ["DATABASE_URL", "postgres:x"],
    ["PLEIN_ROLE", "bogus"],
    ["PLEIN_ROLE", "ALL"],
    ["PLEIN_ALLOW_PRIVATE_ADDRESS", "yes"],
    ["PLEIN_ALLOW_PRIVATE_ADDRESS", "TRUE"],
    ["PLEIN_FEDERATION_MODE", "closed"],
    ["LOG_LEVEL", "warn"],
    ["LOG_LEVEL", "verbose"],
    ["PLEIN_MAX_FILE_SIZE", "0"],
    ["PLEIN_MAX_FILE_SIZE", "-5"],
    ["PLEIN_MAX_FILE_SIZE", "25MB"],
    ["PLEIN_MAX_FILE_SIZE", "2GiB"],
    ["PLEIN_MAX_FILE_SIZE", "1.5MiB"],
    ["PLEIN_MAX_FILE_SIZE", "lots"],
    ["PLEIN_RATE_LIMIT", "-1"],
    ["PLEIN_RATE_LIMIT", "many"],
    ["PLEIN_RATE_LIMIT", "1.5"],
  ];
  it.each(bad)("rejects %s=%j with a ConfigError naming it", (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).not.toContain("\n");
  });

  it("rejects TLS files that cannot be read, naming the variable", () => {
    const cert = configError({ PLEIN_TLS_CERT: "/nonexistent/cert.pem", PLEIN_TLS_KEY: "test/tls/server.key" });
    expect(cert.variable).toBe("PLEIN_TLS_CERT");
    expect(cert.message).toContain("/nonexistent/cert.pem");
    const key = configError({ PLEIN_TLS_CERT: "test/tls/server.pem", PLEIN_TLS_KEY: "/nonexistent/key.pem" });
    expect(key.variable).toBe("PLEIN_TLS_KEY");
  });

  it("rejects PLEIN_TLS_CERT without PLEIN_TLS_KEY, naming the missing one", () => {
    const err = configError({ PLEIN_TLS_CERT: "/etc/plein/cert.pem" });
    expect(err.variable).toBe("PLEIN_TLS_KEY");
    expect(err.message).toContain("PLEIN_TLS_KEY");
  });

  it("rejects PLEIN_TLS_KEY without PLEIN_TLS_CERT, naming the missing one", () => {
    const err = configError({ PLEIN_TLS_KEY: "/etc/plein/key.pem" });
    expect(err.variable).toBe("PLEIN_TLS_CERT");
    expect(err.message).toContain("PLEIN_TLS_CERT");
  });

  it("reports the bad variable even when others are fine", () => {
    const err = configError({ PLEIN_ORIGIN: "https://samen.example.nl", PORT: "3000", PLEIN_ROLE: "bogus" });
    expect(err.variable).toBe("PLEIN_ROLE");
  });
});

describe("plein serve with a bad environment", () => {
  // A data directory of its own, in case a case were wrongly accepted and the server started.
  const dataDir = mkdtempSync(join(tmpdir(), "plein-config-test-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function serve(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const cleanEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(PLEIN_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$|TEST_DATABASE_URL$)/.test(k)) cleanEnv[k] = v;
      }
      const child = spawn(NODE, ["src/main.ts", "serve"], {
        cwd: ROOT,
        env: { ...cleanEnv, PLEIN_DATA_DIR: dataDir, PORT: String(40000 + Math.floor(Math.random() * 20000)), ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
      child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const cases: Array<[string, Record<string, string>]> = [
    ["PORT", { PORT: "abc" }],
    ["PLEIN_ROLE", { PLEIN_ROLE: "bogus" }],
    ["PLEIN_ORIGIN", { PLEIN_ORIGIN: "ftp://x" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["PLEIN_TLS_KEY", { PLEIN_TLS_CERT: "/tmp/cert.pem" }],
    ["PLEIN_TLS_CERT", { PLEIN_TLS_KEY: "/tmp/key.pem" }],
    ["PLEIN_FEDERATION_MODE", { PLEIN_FEDERATION_MODE: "closed" }],
    ["PLEIN_ALLOW_PRIVATE_ADDRESS", { PLEIN_ALLOW_PRIVATE_ADDRESS: "maybe" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
    ["HOST", { HOST: "not a host" }],
    ["PLEIN_MAX_FILE_SIZE", { PLEIN_MAX_FILE_SIZE: "huge" }],
  ];

  it.each(cases)("exits 2 with one line naming %s", async (variable, env) => {
    const { code, stdout, stderr } = await serve(env);
    expect(stdout).toBe("");
    const lines = stderr.split("\n").filter((l) => l !== "");
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(lines[0]).toMatch(/^plein: /);
    expect(stderr).not.toMatch(/\bat .*:\d+:\d+/); // no stack frames
    expect(code).toBe(2);
  }, 30_000);
});
