import { accessSync, constants } from "node:fs";
import { join } from "node:path";
/** Environment → typed configuration. A bad value raises ConfigError naming the variable. */

export type Role = "all" | "web" | "worker";
export type FederationMode = "open" | "blocklist" | "allowlist";
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";
export type LogFormat = "json" | "text";

export interface Config {
  origin: URL;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** where uploaded files are kept ("memory://": in memory only, for tests) */
  mediaDir: string;
  /** the largest file a member may upload, in bytes */
  maxFileBytes: number;
  /** S3-compatible storage for uploaded files instead of `mediaDir`, when configured */
  mediaS3: S3Settings | undefined;
  /** API requests per token (or, without one, per address) in five minutes; 0: no limit */
  rateLimit: number;
  role: Role;
  allowPrivateAddress: boolean;
  federationMode: FederationMode;
  tls: { cert: string; key: string } | undefined;
  logLevel: LogLevel;
  /** json: one JSON object per line (production); text: readable lines (development) */
  logFormat: LogFormat;
  /** the Bearer token that opens /metrics on the main listener; unset: not served there */
  metricsToken: string | undefined;
  /** a listener of its own for /metrics (any role, workers too); unset: none */
  metrics: { host: string; port: number } | undefined;
  /** connections in the PostgreSQL pool of this process */
  dbPoolSize: number;
  /** on SIGTERM, seconds /healthz answers 503 while connections are still accepted */
  drainSeconds: number;
  /** messages each queue listener of this process handles at once, except Fedify's outbox */
  queueConcurrency: number;
  /** signed deliveries to remote inboxes this process has in flight at once (they wait mostly on the network) */
  outboxConcurrency: number;
  /** seconds an unsigned GET's public document (actor, object, WebFinger) is answered from memory; 0: never */
  documentCacheSeconds: number;
}

/** An S3-compatible bucket (AWS, MinIO, Garage, Ceph...), addressed path-style: `<endpoint>/<bucket>/<key>`. */
export interface S3Settings {
  endpoint: URL;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `must be one of ${allowed.join(", ")} (got "${value}")`);
}

function bool(env: Env, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new ConfigError(name, `must be true or false (got "${value}")`);
}

function port(env: Env, name = "PORT"): number {
  const value = env[name];
  if (value === undefined || value === "") return 3000;
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new ConfigError(name, `must be a port number from 1 to 65535 (got "${value}")`);
  }
  return Number(value);
}

function hostName(env: Env, name: string, fallback: string): string {
  const host = env[name] || fallback;
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new ConfigError(name, `must be a host name or address, IPv6 without brackets (got "${host}")`);
  return host;
}

function metricsToken(env: Env): string | undefined {
  const value = env.PLEIN_METRICS_TOKEN;
  if (value === undefined || value === "") return undefined;
  if (!/^[\x21-\x7e]{16,}$/.test(value)) {
    throw new ConfigError("PLEIN_METRICS_TOKEN", "must be at least 16 printable characters without spaces");
  }
  return value;
}

export const DEFAULT_DB_POOL_SIZE = 10;

function drainSeconds(env: Env): number {
  const value = env.PLEIN_DRAIN_SECONDS;
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,3}$/.test(value.trim()) || Number(value) > 300) {
    throw new ConfigError("PLEIN_DRAIN_SECONDS", `must be a whole number of seconds from 0 to 300 (got "${value}")`);
  }
  return Number(value.trim());
}

function poolSize(env: Env): number {
  const value = env.PLEIN_DB_POOL_SIZE;
  if (value === undefined || value === "") return DEFAULT_DB_POOL_SIZE;
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) < 1) {
    throw new ConfigError("PLEIN_DB_POOL_SIZE", `must be a whole number of connections, at least 1 (got "${value}")`);
  }
  return Number(value.trim());
}

export const DEFAULT_QUEUE_CONCURRENCY = 16;

/** A whole number from 1 to `max` (`what` names the unit in the error), or `fallback` when unset. */
function count(env: Env, name: string, fallback: number, max: number, what: string): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number of ${what} from 1 to ${max} (got "${value}")`);
  }
  return Number(value.trim());
}

export const DEFAULT_OUTBOX_CONCURRENCY = 128;

export const DEFAULT_DOCUMENT_CACHE_SECONDS = 10;

function documentCacheSeconds(env: Env): number {
  const value = env.PLEIN_DOCUMENT_CACHE_SECONDS;
  if (value === undefined || value === "") return DEFAULT_DOCUMENT_CACHE_SECONDS;
  if (!/^\d{1,2}$/.test(value.trim())) {
    throw new ConfigError("PLEIN_DOCUMENT_CACHE_SECONDS", `must be a whole number of seconds from 0 to 60 (got "${value}")`);
  }
  const seconds = Number(value.trim());
  if (seconds > 60) throw new ConfigError("PLEIN_DOCUMENT_CACHE_SECONDS", `must be a whole number of seconds from 0 to 60 (got "${value}")`);
  return seconds;
}

function origin(env: Env, p: number): URL {
  const value = env.PLEIN_ORIGIN;
  if (value === undefined || value === "") return new URL(`http://localhost:${p}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("PLEIN_ORIGIN", `must be an http(s) origin such as https://samen.example.nl (got "${value}")`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.pathname !== "/" || url.search || url.hash
    || url.username || url.password) {
    throw new ConfigError("PLEIN_ORIGIN", `must be an http(s) origin without path, such as https://samen.example.nl (got "${value}")`);
  }
  return new URL(url.origin);
}

function databaseUrl(env: Env): string | undefined {
  const value = env.DATABASE_URL;
  if (value === undefined || value === "") return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError("DATABASE_URL", "must be a postgres:// URL, or unset for the embedded database");
  }
  return value;
}

/** The embedded database's in-memory mode: nothing is written to disk. */
export const IN_MEMORY = "memory://";

function mediaDir(env: Env, dataDir: string): string {
  if (env.PLEIN_MEDIA_DIR) return env.PLEIN_MEDIA_DIR;
  return dataDir === IN_MEMORY ? IN_MEMORY : join(dataDir, "media");
}

const SIZE_UNITS: Record<string, number> = { "": 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 ** 2;
const MAX_MAX_FILE_BYTES = 1024 ** 3;

/** A size in bytes, written as a whole number with an optional binary unit (`25MiB`, `512KiB`, `1000000`). */
function size(env: Env, name: string, fallback: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const m = /^(\d{1,13})\s*(KiB|MiB|GiB)?$/.exec(value.trim());
  const bytes = m ? Number(m[1]) * SIZE_UNITS[m[2] ?? ""]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > max) {
    throw new ConfigError(name, `must be a size from 1 byte to ${max / 1024 ** 3} GiB, in bytes or with KiB, MiB or GiB, such as 25MiB (got "${value}")`);
  }
  return bytes;
}

const S3_VARIABLES = ["PLEIN_MEDIA_S3_ENDPOINT", "PLEIN_MEDIA_S3_BUCKET", "PLEIN_MEDIA_S3_REGION", "PLEIN_MEDIA_S3_ACCESS_KEY", "PLEIN_MEDIA_S3_SECRET_KEY"] as const;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** PLEIN_MEDIA_S3_*: all of endpoint, bucket and keys, or none (the region defaults to us-east-1). */
function mediaS3(env: Env): S3Settings | undefined {
  if (S3_VARIABLES.every((name) => !env[name])) return undefined;
  const required = (name: typeof S3_VARIABLES[number]): string => {
    const value = env[name];
    if (!value) throw new ConfigError(name, "must be set when any PLEIN_MEDIA_S3_ variable is");
    return value;
  };
  const endpoint = required("PLEIN_MEDIA_S3_ENDPOINT");
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash || url.username) {
    throw new ConfigError("PLEIN_MEDIA_S3_ENDPOINT", `must be an http(s) URL such as https://s3.eu-central-1.amazonaws.com (got "${endpoint}")`);
  }
  const bucket = required("PLEIN_MEDIA_S3_BUCKET");
  if (!BUCKET.test(bucket)) throw new ConfigError("PLEIN_MEDIA_S3_BUCKET", `must be an S3 bucket name (got "${bucket}")`);
  const region = env.PLEIN_MEDIA_S3_REGION || "us-east-1";
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new ConfigError("PLEIN_MEDIA_S3_REGION", `must be a region name such as eu-central-1 (got "${region}")`);
  return {
    endpoint: url,
    bucket,
    region,
    accessKeyId: required("PLEIN_MEDIA_S3_ACCESS_KEY"),
    secretAccessKey: required("PLEIN_MEDIA_S3_SECRET_KEY"),
  };
}

export const DEFAULT_RATE_LIMIT = 300;

/** Mastodon's 300 requests in five minutes by default; 0 turns the limit off. */
function rateLimit(env: Env): number {
  const value = env.PLEIN_RATE_LIMIT;
  if (value === undefined || value === "") return DEFAULT_RATE_LIMIT;
  if (!/^\d{1,7}$/.test(value.trim())) {
    throw new ConfigError("PLEIN_RATE_LIMIT", `must be a whole number of requests per five minutes, 0 for no limit (got "${value}")`);
  }
  return Number(value.trim());
}

export function loadConfig(env: Env = process.env): Config {
  const p = port(env);
  const cert = env.PLEIN_TLS_CERT || undefined;
  const key = env.PLEIN_TLS_KEY || undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(cert ? "PLEIN_TLS_KEY" : "PLEIN_TLS_CERT", "PLEIN_TLS_CERT and PLEIN_TLS_KEY must be set together");
  }
  for (const [name, path] of [["PLEIN_TLS_CERT", cert], ["PLEIN_TLS_KEY", key]] as const) {
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new ConfigError(name, `must name a readable PEM file (cannot read "${path}")`);
    }
  }
  const host = hostName(env, "HOST", "127.0.0.1");
  const dataDir = env.PLEIN_DATA_DIR || "./data";
  return {
    origin: origin(env, p),
    port: p,
    host,
    databaseUrl: databaseUrl(env),
    dataDir,
    mediaDir: mediaDir(env, dataDir),
    maxFileBytes: size(env, "PLEIN_MAX_FILE_SIZE", DEFAULT_MAX_FILE_BYTES, MAX_MAX_FILE_BYTES),
    mediaS3: mediaS3(env),
    rateLimit: rateLimit(env),
    role: oneOf(env, "PLEIN_ROLE", ["all", "web", "worker"] as const, "all"),
    allowPrivateAddress: bool(env, "PLEIN_ALLOW_PRIVATE_ADDRESS"),
    federationMode: oneOf(env, "PLEIN_FEDERATION_MODE", ["open", "blocklist", "allowlist"] as const, "blocklist"),
    tls: cert && key ? { cert, key } : undefined,
    logLevel: oneOf(env, "LOG_LEVEL", ["trace", "debug", "info", "warning", "error", "fatal"] as const, "info"),
    logFormat: oneOf(env, "PLEIN_LOG_FORMAT", ["json", "text"] as const, env.NODE_ENV === "production" ? "json" : "text"),
    metricsToken: metricsToken(env),
    metrics: env.PLEIN_METRICS_PORT
      ? { host: hostName(env, "PLEIN_METRICS_HOST", "127.0.0.1"), port: port(env, "PLEIN_METRICS_PORT") }
      : undefined,
    dbPoolSize: poolSize(env),
    drainSeconds: drainSeconds(env),
    queueConcurrency: count(env, "PLEIN_QUEUE_CONCURRENCY", DEFAULT_QUEUE_CONCURRENCY, 256, "messages"),
    outboxConcurrency: count(env, "PLEIN_OUTBOX_CONCURRENCY", DEFAULT_OUTBOX_CONCURRENCY, 1024, "deliveries"),
    documentCacheSeconds: documentCacheSeconds(env),
  };
}
