import { existsSync } from "node:fs";
import { installPinnedDispatcher } from "../../federation/pinned-dispatcher.ts";
import { ADMIN_COMMANDS, runAdminCommand } from "./admin-commands.ts";
import { sendAdminCommand } from "./admin-socket.ts";
import { lockHolder, socketPath } from "./pid-lock.ts";
import { type Config, ConfigError, loadConfig, type Role } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { setupLogging } from "../logging.ts";
import { DataDirLockedError, type RunningPlein, startPlein } from "../server.ts";
import { installTemporal } from "../temporal.ts";
import { tracingEnabled } from "../ops/tracing-enabled.ts";
import type { Tracing } from "../ops/tracing.ts";
import { getLogger } from "@logtape/logtape";

const logger = getLogger(["plein", "main"]);

const HELP = `plein: federated collaboration server

usage: plein COMMAND [options]

  serve                 run HTTP and the delivery queue (PLEIN_ROLE picks all|web|worker)
  web                   run HTTP only
  worker                run the delivery queue only
                        (every server command drains and exits 0 on SIGTERM)
  migrate               apply database migrations
  user create NAME --email E --password P [--admin] [--locked]
                        create a local user
  token NAME [--scopes "read write follow"]
                        print a Mastodon API bearer token for NAME (alone on the last line)
  group create NAME --owner USER [--visibility public|closed|secret] [--join open|approval|invite]
        [--allowed-domains "*.example.nl,other.nl"]
                        start a group owned by USER (members only from those domains)
  federation list | mode [open|blocklist|allowlist] | allow|silence|block DOMAIN | remove DOMAIN
                        the federation policy (plein federation --help for all of it)
  audit GROUP [--server HOST] [--limit N]
                        where the group's closed content was delivered, newest first

Configuration comes from the environment: PLEIN_ORIGIN, PORT, HOST, DATABASE_URL,
PLEIN_DATA_DIR, PLEIN_ROLE, PLEIN_ALLOW_PRIVATE_ADDRESS, PLEIN_FEDERATION_MODE,
PLEIN_TLS_CERT, PLEIN_TLS_KEY, LOG_LEVEL, PLEIN_LOG_FORMAT, PLEIN_DB_POOL_SIZE,
PLEIN_METRICS_TOKEN, PLEIN_METRICS_PORT, PLEIN_DRAIN_SECONDS, OTEL_EXPORTER_OTLP_ENDPOINT
(see docs/CONFIGURATION.md and docs/OPERATIONS.md).`;

function fail(message: string, code: number): never {
  process.stderr.write(`plein: ${message}\n`);
  process.exit(code);
}

async function runServer(config: Config, role: Role): Promise<void> {
  // Signals are handled from the start: the queues run before startPlein returns,
  // and a SIGTERM then must still mean "finish current work and exit 0".
  let running: RunningPlein | undefined;
  let stopping = false;
  let tracing: Tracing | undefined;
  const shutDown = async (plein: RunningPlein) => {
    await plein.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, finishing current work`, { signal });
    if (!running) return; // still starting: stopped as soon as it has started
    await shutDown(running);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  if (tracingEnabled(process.env)) tracing = (await import("../ops/tracing.ts")).startTracing();
  // Fedify's own fetches (WebFinger, deliveries) use the global fetch: pin its connections too.
  installPinnedDispatcher(config.allowPrivateAddress);
  try {
    running = await startPlein(config, { role, ...(tracing ? { tracerProvider: tracing.provider } : {}) });
  } catch (err) {
    if (err instanceof DataDirLockedError) fail(`${err.message}; stop it first or use its admin commands`, 1);
    throw err;
  }
  if (stopping) await shutDown(running);
}

async function runAdmin(config: Config, argv: string[]): Promise<void> {
  if (!config.databaseUrl && lockHolder(config.dataDir)) {
    // PGlite allows one process per data directory: ask the running server to do it.
    const socket = socketPath(config.dataDir);
    if (!existsSync(socket)) {
      fail(`the embedded database in ${config.dataDir} is in use by another process; try again once it has started`, 1);
    }
    const result = await sendAdminCommand(socket, argv);
    (result.code === 0 ? process.stdout : process.stderr).write(result.output + "\n");
    process.exit(result.code);
  }
  const { acquireLock } = await import("./pid-lock.ts");
  let release = () => {};
  if (!config.databaseUrl) {
    const lock = acquireLock(config.dataDir);
    if ("heldBy" in lock) fail(`the embedded database in ${config.dataDir} is in use by process ${lock.heldBy}`, 1);
    release = lock.release;
  }
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { migrateToLatest } = await import("../db/migrate.ts");
    if (argv[0] !== "migrate") await migrateToLatest(handle.db);
    const result = await runAdminCommand(handle.db, config, argv);
    (result.code === 0 ? process.stdout : process.stderr).write(result.output + "\n");
    process.exitCode = result.code;
  } finally {
    await handle.close();
    release();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP + "\n");
    process.exit(command ? 0 : 2);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  installTemporal();
  await setupLogging(config.logLevel, config.logFormat);
  switch (command) {
    case "serve": return runServer(config, config.role);
    case "web": return runServer(config, "web");
    case "worker": return runServer(config, "worker");
    default:
      if ((ADMIN_COMMANDS as readonly string[]).includes(command)) return runAdmin(config, argv);
      fail(`unknown command "${command}" (see plein --help)`, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`plein: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
