/**
 * What happened that someone may be watching live: a post became visible,
 * changed or went, a notification was written. Published with NOTIFY in the
 * transaction of the change (so it is heard only once committed, and by every
 * process on the database); the payload names ids only. Whoever hears it
 * loads the post and asks the visibility rule for each viewer before showing
 * anything (src/api/streaming).
 */
import { getLogger } from "@logtape/logtape";
import { sql } from "kysely";
import type { PGlite } from "@electric-sql/pglite";
import type { Db } from "../db/database.ts";
import { listenForNotifications } from "../db/listen.ts";

const logger = getLogger(["plein", "domain", "stream-events"]);

/** The NOTIFY channel of stream events; the payload is `<schema> <event as JSON>`. */
export const STREAM_CHANNEL = "plein_stream";

export type PostEventType = "update" | "status.update" | "delete";

export type StreamEvent =
  | { type: PostEventType; postId: string }
  | { type: "notification"; notificationId: string; recipientId: string };

/** Publishes `event` once the transaction of `trx` commits (at once outside a transaction). */
export async function publishStreamEvent(trx: Db, event: StreamEvent): Promise<void> {
  await sql`select pg_notify(${STREAM_CHANNEL}, current_schema() || ' ' || ${JSON.stringify(event)})`.execute(trx);
}

const ID = /^[0-9]{1,20}$/;

/** The event in a NOTIFY payload of `schema`; undefined for another schema's or a malformed one. */
export function parseStreamEvent(payload: string, schema: string): StreamEvent | undefined {
  const space = payload.indexOf(" ");
  if (space < 0 || payload.slice(0, space) !== schema) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.slice(space + 1));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as Record<string, unknown>;
  const id = (v: unknown): v is string => typeof v === "string" && ID.test(v);
  if ((e.type === "update" || e.type === "status.update" || e.type === "delete") && id(e.postId)) {
    return { type: e.type, postId: e.postId };
  }
  if (e.type === "notification" && id(e.notificationId) && id(e.recipientId)) {
    return { type: "notification", notificationId: e.notificationId, recipientId: e.recipientId };
  }
  return undefined;
}

export interface StreamEventSource {
  db: Db;
  driver: "pg" | "pglite";
  /** PGlite: the instance (one process holds the database, its own NOTIFYs reach it) */
  pglite?: PGlite;
}

/**
 * Hears the stream events of `source`'s schema: on PGlite by LISTEN on its one
 * connection; on PostgreSQL (`databaseUrl`) on a LISTEN connection of its own,
 * as the policy cache does (src/db/listen.ts). Events published while that
 * connection is down are lost (a client reloads its timeline on reconnect).
 * Returns a function that stops it.
 */
export async function watchStreamEvents(
  source: StreamEventSource,
  databaseUrl: string | undefined,
  onEvent: (event: StreamEvent) => void,
): Promise<() => Promise<void>> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(source.db);
  const schema = rows[0]!.schema;
  const heard = (payload: string) => {
    const event = parseStreamEvent(payload, schema);
    if (event) onEvent(event);
  };
  if (source.driver === "pglite") {
    if (!source.pglite) return async () => {};
    const off = source.pglite.onNotification((channel, payload) => {
      if (channel === STREAM_CHANNEL) heard(payload);
    });
    // LISTEN through Kysely, which lends PGlite's one connection outside any transaction.
    await sql`listen ${sql.raw(STREAM_CHANNEL)}`.execute(source.db);
    return async () => {
      off();
      await sql`unlisten ${sql.raw(STREAM_CHANNEL)}`.execute(source.db);
    };
  }
  if (!databaseUrl) {
    logger.warn("No database URL to LISTEN on: the streaming API hears nothing");
    return async () => {};
  }
  return listenForNotifications({
    url: databaseUrl,
    channel: STREAM_CHANNEL,
    applicationName: `plein-stream ${process.pid}`,
    onNotification: heard,
    onListening: () => {},
  });
}
