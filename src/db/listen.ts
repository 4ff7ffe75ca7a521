import { getLogger } from "@logtape/logtape";
import pg from "pg";

const logger = getLogger(["plein", "db", "listen"]);
const RECONNECT_MS = 2000;

export interface ListenOptions {
  /** pg connection string (with the same search_path as the pool, if any) */
  url: string;
  channel: string;
  /**
   * only notifications with this payload count (worked out, once, before the
   * first LISTEN, when a function); all of them when absent
   */
  payload?: string | (() => Promise<string>);
  /** shown in pg_stat_activity */
  applicationName: string;
  onNotification(payload: string): void;
  /** true once LISTEN is in place (again), false when the connection is lost */
  onListening(listening: boolean): void;
}

/**
 * LISTEN on a dedicated connection, reconnecting after a failure. Whoever
 * relies on it must treat the time between `onListening(false)` and the next
 * `onListening(true)` as deaf: notifications sent then are lost.
 * Returns a function that stops listening.
 */
export async function listenForNotifications(options: ListenOptions): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let expected = typeof options.payload === "string" ? options.payload : undefined;
  const reconnectLater = () => {
    if (!stopped && retry === undefined) {
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, RECONNECT_MS);
    }
  };
  const drop = (c: pg.Client) => {
    if (client === c) {
      client = undefined;
      options.onListening(false);
    }
    c.end().catch(() => {});
    reconnectLater();
  };
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: options.url, application_name: options.applicationName.slice(0, 63) });
    c.on("notification", (n) => {
      if (n.channel !== options.channel) return;
      if (options.payload === undefined || n.payload === expected) options.onNotification(n.payload ?? "");
    });
    c.on("error", (error) => {
      logger.warn("LISTEN {channel} failed: {error}", { channel: options.channel, error });
      drop(c);
    });
    c.on("end", () => {
      if (client === c && !stopped) drop(c);
    });
    try {
      if (expected === undefined && typeof options.payload === "function") expected = await options.payload();
      await c.connect();
      await c.query(`listen ${options.channel}`);
    } catch (error) {
      logger.warn("Cannot LISTEN {channel} (retrying): {error}", { channel: options.channel, error });
      drop(c);
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    options.onListening(true);
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry !== undefined) clearTimeout(retry);
    const c = client;
    client = undefined;
    if (c) options.onListening(false);
    await c?.end().catch(() => {});
  };
}
