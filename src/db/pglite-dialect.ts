import type { PGlite } from "@electric-sql/pglite";
import {
  type DatabaseConnection,
  type Driver,
  PGliteDialect,
  type TransactionSettings,
} from "kysely";

/**
 * PGlite has exactly one connection. Kysely's own PGlite driver hands that
 * connection to every caller at once, so a plain query issued while another
 * caller's transaction is open would run *inside* that transaction. This
 * driver wraps it with a FIFO mutex: a caller holds the connection from
 * acquire to release (for a transaction: BEGIN to COMMIT/ROLLBACK), and
 * everyone else waits their turn.
 */
export class SerializedPGliteDialect extends PGliteDialect {
  override createDriver(): Driver {
    return new SerializedDriver(super.createDriver());
  }
}

class SerializedDriver implements Driver {
  readonly #inner: Driver;
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
    return this.#inner.acquireConnection();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(connection);
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  beginTransaction(c: DatabaseConnection, s: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(c, s);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(c);
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(c);
  }
  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

export type { PGlite };
