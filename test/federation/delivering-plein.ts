import { createDeliveryQueue, startDeliveryWorker } from "../../federation/send.ts";
import type { Config } from "../../src/config.ts";
import { type RunningPlein, startPlein } from "../../src/server.ts";
import { openTestDatabase } from "../support/db.ts";

export interface DeliveringPlein {
  running: RunningPlein;
  /** Stops the delivery worker (after the jobs in flight), then Plein and its database. */
  stop(): Promise<void>;
}

/** Plein on a test database, without a listener, with its delivery worker running (polling every 100 ms). */
export async function startDeliveringPlein(config: Config): Promise<DeliveringPlein> {
  const running = await startPlein(config, { database: await openTestDatabase(), listen: false });
  const abort = new AbortController();
  const worker = startDeliveryWorker({
    federation: running.federation.federation,
    deps: running.deps,
    queue: createDeliveryQueue({ db: running.deps.db, config, driver: running.database.driver, pollIntervalMs: 100 }),
  }, abort.signal);
  return {
    running,
    async stop() {
      abort.abort();
      await worker;
      await running.close();
      await running.database.close();
    },
  };
}
