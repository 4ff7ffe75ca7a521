import { PGlite } from "@electric-sql/pglite";
import { getLogger } from "@logtape/logtape";
import { Kysely, PGliteDialect, PostgresDialect } from "kysely";
import pg from "pg";
import { prepareDataDir } from "./data-dir.ts";
import { prepareHotStatements } from "./prepared-statements.ts";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;

const logger = getLogger(["plein", "db"]);

export interface DatabaseHandle {
  db: Db;
  driver: "pg" | "pglite";
  /** PGlite only: the underlying instance (for dumps in tests). */
  pglite?: PGlite;
  close(): Promise<void>;
}

// int8 (ids, counts) as strings on both drivers: JavaScript numbers lose precision past 2^53.
const INT8 = 20;
pg.types.setTypeParser(INT8, (v: string) => v);

const PGLITE_DEFAULTS = (PGlite as unknown as { defaultStartParams: readonly string[] }).defaultStartParams;
const PGLITE_SHARED_BUFFERS = "16MB";

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  /** PGlite: start from a dump (tests copy a migrated template this way). */
  loadDataDir?: Blob;
  /** pg: schema to use (tests give each file its own). */
  searchPath?: string;
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // A connection is retired after this many uses, which frees the statements it prepared.
      maxUses: 20_000,
      // Kept while idle for five minutes (as Rails does), not pg-pool's 10 s: a new connection costs
      // its SCRAM handshake and plans every statement afresh (prepared-statements.ts), which a
      // quiet instance paid on nearly every request after a pause.
      idleTimeoutMillis: 300_000,
      ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    });
    // JIT compilation costs 250-450 ms on the long visibility conditions and saves nothing on
    // queries that read a page of rows by index: off on every connection of Plein's pool.
    // Queued on the new client before it is lent out, so it runs before the borrower's first query.
    pool.on("connect", (client) => {
      prepareHotStatements(client);
      client.query("SET jit = off").catch((error: unknown) => logger.warn("Could not turn JIT off on a new connection: {error}", { error }));
      // A connection the server ends (PostgreSQL restarting, an admin's pg_terminate_backend)
      // emits 'error', fatal to the process without a listener. The pool listens only while the
      // connection is idle; lent out (in a transaction, between two queries) it is this listener.
      // The borrower's queries fail; the pool drops the connection when it comes back.
      client.on("error", (error) => logger.warn("A database connection was lost: {error}", { error }));
    });
    // The pool re-emits an idle connection's error, already logged by the listener above.
    pool.on("error", () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, driver: "pg", close: () => db.destroy() };
  }
  if (options.dataDir && options.dataDir !== "memory://") prepareDataDir(options.dataDir);
  const pglite = await PGlite.create({
    // PostgreSQL's shared buffers live in the WebAssembly heap, all of them resident from the start
    // and never given back; the data files are in the system's page cache all the same, so a page
    // not in them costs a read call, not a disk read. Idle RSS after a restart (bench/footprint.ts):
    // with 32 MB of buffers 253 MB, 24 MB 243, 16 MB 231 (src/ops/process-tuning.ts applied); the
    // soak at 30 requests/s answered about as fast with 16 MB as with 32 (docs/OPERATIONS.md).
    startParams: [...PGLITE_DEFAULTS, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    ...(options.dataDir && options.dataDir !== "memory://" ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: { [INT8]: (v: string) => v },
  });
  // PGlite has one connection. Kysely's PGlite adapter declares that, so Kysely
  // lends it to one caller at a time, a transaction holding it from BEGIN to
  // COMMIT (test/pglite-concurrency.test.ts checks that nothing interleaves).
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return { db, driver: "pglite", pglite, close: () => db.destroy() };
}
