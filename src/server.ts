import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { IncomingMessage } from "node:http";
import type { Server } from "node:net";
import type { Duplex } from "node:stream";
import { serve, type ServerType } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import type { TracerProvider } from "@opentelemetry/api";
import type { Hono } from "hono";
import type { AppContext, AppEnv } from "./context.ts";
import { createPleinFederation, type DeliveryTuning, type PleinFederation } from "../federation/federation.ts";
import { startHousekeeping } from "../federation/housekeeping.ts";
import { createResolver } from "../federation/resolver.ts";
import { createDeliveryQueue, startDeliveryWorker } from "../federation/send.ts";
import { createApp } from "./app.ts";
import { InFlight } from "./http/in-flight.ts";
import { runAdminCommand } from "./cli/admin-commands.ts";
import { serveAdminSocket } from "./cli/admin-socket.ts";
import { acquireLock, socketPath } from "./cli/pid-lock.ts";
import type { Config, Role } from "./config.ts";
import { type DatabaseHandle, openDatabase } from "./db/database.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { ensureInstanceActor } from "./domain/accounts.ts";
import { ensureFederationPolicy, watchPolicyChanges } from "./domain/policy.ts";
import { mediaStorage } from "./media/index.ts";
import { mountRouters } from "./routers.ts";
import { startStreaming } from "./api/streaming/index.ts";
import { instanceMetrics } from "./ops/metrics-endpoint.ts";
import { listenForMetrics } from "./ops/metrics-listener.ts";

const logger = getLogger(["plein", "server"]);

export interface RunningPlein {
  config: Config;
  database: DatabaseHandle;
  federation: PleinFederation;
  app: Hono<AppEnv>;
  deps: AppContext;
  /**
   * Shuts down gracefully: /healthz answers 503 (for PLEIN_DRAIN_SECONDS
   * while still accepting), then new connections are refused, streams are
   * ended and in-flight requests finish (cut after SHUTDOWN_DEADLINE_MS);
   * meanwhile the queues stop after their current messages; then the
   * database is closed.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  role?: Role;
  /** An already open database (tests); otherwise opened from config. */
  database?: DatabaseHandle;
  /** Tests start HTTP themselves or not at all. */
  listen?: boolean;
  /** Delivery retry/breaker tuning (tests make retries fast). */
  federation?: DeliveryTuning;
  /** OpenTelemetry traces (src/ops/tracing.ts), handed to Fedify. */
  tracerProvider?: TracerProvider;
}

export class DataDirLockedError extends Error {}

/** How long in-flight requests and closing streams may take once shutdown starts. */
export const SHUTDOWN_DEADLINE_MS = 25_000;

export async function startPlein(config: Config, options: StartOptions = {}): Promise<RunningPlein> {
  const role = options.role ?? config.role;
  const closers: Array<() => Promise<void> | void> = [];
  let database = options.database;
  if (!database) {
    if (!config.databaseUrl) {
      const lock = acquireLock(config.dataDir);
      if ("heldBy" in lock) {
        throw new DataDirLockedError(`The embedded database in ${config.dataDir} is in use by process ${lock.heldBy}`);
      }
      closers.push(lock.release);
    }
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
    const db = database;
    closers.unshift(() => db.close());
  }
  const { db, driver } = database;
  await migrateToLatest(db);
  await ensureInstanceActor(db, config.origin);
  // PLEIN_FEDERATION_MODE is the starting mode; once stored, admins change it (src/domain/policy.ts).
  await ensureFederationPolicy(db, config.federationMode);
  const stopWatchingPolicy = await watchPolicyChanges(db, driver, config.databaseUrl);
  closers.unshift(stopWatchingPolicy);

  const fed = createPleinFederation({
    db, config, driver,
    ...(options.federation ? { tuning: options.federation } : {}),
    ...(options.tracerProvider ? { tracerProvider: options.tracerProvider } : {}),
  });
  const deps: AppContext = { db, config, resolver: createResolver(fed.federation, { db, config }) };
  const metrics = instanceMetrics({ db, kv: fed.kv });
  let draining = false;
  const app = createApp({ deps, federation: fed.federation, routers: mountRouters, metrics, draining: () => draining });
  // Stopped together when shutting down: HTTP (in-flight requests) and the queues (current messages).
  const stoppers: Array<() => Promise<void>> = [];

  const queueAbort = new AbortController();
  let queueDone: Promise<unknown> = Promise.resolve();
  if (role !== "web") {
    const deliveries = createDeliveryQueue({ db, config, driver });
    startHousekeeping(db, fed.kv, mediaStorage(config), queueAbort.signal);
    queueDone = Promise.all([
      fed.federation.startQueue(deps, { signal: queueAbort.signal }),
      startDeliveryWorker({ federation: fed.federation, deps, queue: deliveries }, queueAbort.signal),
    ]);
    logger.info("Plein processing its queues (role {role})", { role });
  }
  stoppers.push(async () => {
    queueAbort.abort();
    await queueDone.catch((error: unknown) => logger.error("Queue stopped with {error}", { error }));
  });

  if (!config.databaseUrl && !options.database) {
    const admin = await serveAdminSocket(socketPath(config.dataDir), (argv) => runAdminCommand(db, config, argv));
    closers.unshift(() => new Promise<void>((resolve) => admin.close(() => resolve())));
  }

  if (config.metrics && options.listen !== false) {
    const metricsServer = await listenForMetrics(metrics, config.metrics, config.metricsToken);
    closers.unshift(() => new Promise<void>((resolve) => {
      metricsServer.close(() => resolve());
      metricsServer.closeAllConnections();
    }));
    logger.info("Metrics on http://{host}:{port}/metrics", config.metrics);
  }

  if (role !== "worker" && options.listen !== false) {
    const inFlight = new InFlight();
    // Streaming first: with the listener open and no upgrade handler yet, Node answered a
    // WebSocket upgrade as a plain request (404) while /healthz already said 200.
    const streaming = await startStreaming(database, config.databaseUrl, deps);
    let server: ServerType;
    try {
      server = await listen(app, config, inFlight, (req, socket, head) => {
        if (!streaming.upgrades.handleUpgrade(req, socket, head)) socket.destroy();
      });
    } catch (error) {
      await streaming.stop(0);
      throw error;
    }
    stoppers.push(async () => {
      // Balancers see /healthz fail and stop sending before the listener closes.
      if (config.drainSeconds > 0) await new Promise((resolve) => setTimeout(resolve, config.drainSeconds * 1000));
      const closed = closeServer(server, SHUTDOWN_DEADLINE_MS);
      await streaming.stop(SHUTDOWN_DEADLINE_MS);
      await closed;
      if (!(await inFlight.idle(SHUTDOWN_DEADLINE_MS))) {
        logger.warn("{count} request handlers still running after {seconds} s: closing anyway", { count: inFlight.count, seconds: SHUTDOWN_DEADLINE_MS / 1000 });
      }
    });
    logger.info("Plein listening on {address}, public origin {origin}", {
      address: `${config.tls ? "https" : "http"}://${config.host}:${config.port}`,
      origin: config.origin.href,
    });
  }

  let closed: Promise<void> | undefined;
  return {
    config,
    database,
    federation: fed,
    app,
    deps,
    close() {
      closed ??= (async () => {
        draining = true;
        await Promise.all(stoppers.map((stop) => stop()));
        for (const close of closers) await close();
      })();
      return closed;
    },
  };
}

type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Listens with `onUpgrade` in place before the first connection is accepted. */
function listen(app: Hono<AppEnv>, config: Config, inFlight: InFlight, onUpgrade: UpgradeHandler): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: (request, env) => inFlight.track(app.fetch(request, env)),
      hostname: config.host,
      port: config.port,
      ...(config.tls
        ? {
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
        }
        : {}),
    }, () => resolve(server));
    server.on("upgrade", onUpgrade);
    (server as Server).once("error", reject);
  });
}

/**
 * Stops accepting connections and lets the requests in flight finish; idle
 * keep-alive connections are closed as they become idle; whatever is still
 * open at the deadline is cut.
 */
function closeServer(server: ServerType, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    const http = "closeIdleConnections" in server ? server : undefined;
    const idle = setInterval(() => http?.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      logger.warn("Requests still in flight after {seconds} s: cutting them", { seconds: deadlineMs / 1000 });
      http?.closeAllConnections();
    }, deadlineMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve();
    });
  });
}
