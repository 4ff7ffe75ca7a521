/**
 * The connected streaming clients of one process and the events they are
 * sent. Every event heard (src/domain/stream-events.ts, ids only) is matched
 * against each client's streams and the visibility rule for that client's
 * viewer, then rendered as the REST API renders it for that viewer. Events
 * are handled one at a time, in the order they were heard.
 */
import { getLogger } from "@logtape/logtape";
import type { AppContext } from "../../context.ts";
import type { Db } from "../../db/database.ts";
import type { FilterContext } from "../../db/schema.ts";
import { findNotification } from "../../domain/notification-list.ts";
import { authenticateToken } from "../../domain/tokens.ts";
import { inHomeTimelineOf, inListTimelineOf, inPublicStreamOf, type PostStreamFacts, postStreamFacts } from "../../domain/post-streams.ts";
import type { StreamEvent } from "../../domain/stream-events.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { scopeAllows } from "../mastodon/auth.ts";
import { renderNotifications } from "../mastodon/entities/notification.ts";
import { type MastodonStatus, renderStatus } from "../mastodon/entities/status.ts";
import { applyFilters, applyNotificationFilters } from "../mastodon/filtering.ts";
import { type StreamRequest, streamKey, streamLabel } from "./streams.ts";

const logger = getLogger(["plein", "api", "streaming"]);

export interface StreamClient {
  /** anonymous, or the token's account */
  viewer: Viewer;
  /** the token's scopes (none when anonymous) */
  scopes: readonly string[];
  /** by streamKey */
  subscriptions: Map<string, StreamRequest>;
  /** the access token, checked again before each event it is sent (a revoked token's streams end) */
  token?: string;
  /** sends one event; `stream` names the stream as WebSocket messages do */
  send(stream: string[], event: string, payload: string): void;
  /** ends the connection: its token was revoked (the default), or the server is going away */
  close(reason?: "revoked" | "going-away"): void;
}

export interface StreamHub {
  add(client: StreamClient): void;
  remove(client: StreamClient): void;
  /** Handles an event heard from the database; resolves once every client was sent what it may see. */
  publish(event: StreamEvent): Promise<void>;
  /** Ends every connection: the process is shutting down. */
  closeAll(): void;
  /** How many clients are connected (health, tests). */
  readonly size: number;
}

const hubs = new WeakMap<Db, StreamHub>();

/** The hub of the clients on `deps.db` in this process. */
export function streamHub(deps: AppContext): StreamHub {
  let hub = hubs.get(deps.db);
  if (!hub) hubs.set(deps.db, hub = createHub(deps));
  return hub;
}

export function subscribe(client: StreamClient, stream: StreamRequest): void {
  client.subscriptions.set(streamKey(stream), stream);
}

export function unsubscribe(client: StreamClient, stream: StreamRequest): void {
  client.subscriptions.delete(streamKey(stream));
}

/**
 * Events waiting to be handled, at most: past it (the database cannot keep
 * up) new events are dropped rather than held in memory without bound.
 */
const MAX_BACKLOG = 10_000;

function createHub(deps: AppContext): StreamHub {
  const clients = new Set<StreamClient>();
  let chain: Promise<void> = Promise.resolve();
  let backlog = 0;
  const publish = (event: StreamEvent) => {
    if (clients.size === 0) return chain;
    if (backlog >= MAX_BACKLOG) {
      logger.warn("Streaming is {backlog} events behind: dropping a {type} event", { backlog, type: event.type });
      return chain;
    }
    backlog++;
    const done = chain.then(() => (clients.size ? dispatch(deps, clients, event) : undefined));
    chain = done
      .catch((error: unknown) => logger.error("Stream event {type} failed: {error}", { type: event.type, error }))
      .finally(() => backlog--);
    return chain;
  };
  return {
    add: (client) => void clients.add(client),
    remove: (client) => void clients.delete(client),
    closeAll: () => {
      for (const client of [...clients]) client.close("going-away");
    },
    publish,
    get size() {
      return clients.size;
    },
  };
}

async function dispatch(deps: AppContext, clients: ReadonlySet<StreamClient>, event: StreamEvent): Promise<void> {
  if (event.type === "notification") return dispatchNotification(deps, clients, event);
  const facts = await postStreamFacts(deps.db, event.postId);
  if (!facts) return;
  const deleted = event.type === "delete";
  // Deleted before we heard of its creation or edit: the delete event follows.
  if (!deleted && facts.post.deleted_at) return;
  // One rendering per viewer, whatever the number of its connections; the viewer's filters per context.
  const rendered = new Map<string, Promise<MastodonStatus | undefined>>();
  const filtered = new Map<string, Promise<string | undefined>>();
  for (const client of [...clients]) {
    const streams = await matchingStreams(deps.db, client, facts, deleted);
    if (streams.length === 0) continue;
    const payloads: Array<[StreamRequest, string]> = [];
    for (const stream of streams) {
      let payload: string | undefined;
      if (deleted) {
        payload = facts.post.id;
      } else {
        const key = viewerKey(client.viewer);
        let status = rendered.get(key);
        if (!status) rendered.set(key, status = renderStatus(deps, client.viewer, facts.post));
        const context = filterContextOf(stream);
        let text = filtered.get(`${key} ${context}`);
        if (!text) {
          filtered.set(`${key} ${context}`, text = status.then(async (s) => {
            // A post the viewer's `hide` filters match is not sent; `warn` ones carry `filtered`.
            const [kept] = s ? await applyFilters(deps, client.viewer, context, [s]) : [];
            return kept ? JSON.stringify(kept) : undefined;
          }));
        }
        payload = await text;
      }
      if (payload !== undefined) payloads.push([stream, payload]);
    }
    if (payloads.length === 0 || !(await stillAuthorized(deps.db, client))) continue;
    for (const [stream, payload] of payloads) client.send(streamLabel(stream), event.type, payload);
  }
}

/** Which filters apply to a stream: home's to the user and list streams, public's to the others. */
function filterContextOf(stream: StreamRequest): FilterContext {
  return stream.name === "user" || stream.name === "list" ? "home" : "public";
}

/** Is the client's token (if any) still valid for the same account? If not, its connection ends. */
export async function stillAuthorized(db: Db, client: StreamClient): Promise<boolean> {
  if (client.token === undefined) return true;
  const auth = await authenticateToken(db, client.token);
  if (auth && client.viewer.kind === "local" && auth.actor.id === client.viewer.actorId) return true;
  client.close();
  return false;
}

/** The client's streams the post belongs in, if the client's viewer may see it (or could, before its deletion). */
async function matchingStreams(db: Db, client: StreamClient, facts: PostStreamFacts, evenDeleted: boolean): Promise<StreamRequest[]> {
  const { post } = facts;
  let visible: Promise<boolean> | undefined;
  const mayView = () => (visible ??= inPublicStreamOf(db, client.viewer, post.id, { evenDeleted }));
  const matches: StreamRequest[] = [];
  for (const stream of client.subscriptions.values()) {
    let belongs = false;
    switch (stream.name) {
      case "user":
        belongs = client.viewer.kind === "local" && await inHomeTimelineOf(db, client.viewer.actorId, post.id, { evenDeleted });
        break;
      case "user:notification":
        break;
      case "list":
        belongs = client.viewer.kind === "local" && stream.list !== undefined
          && await inListTimelineOf(db, client.viewer.actorId, stream.list, post.id, { evenDeleted });
        break;
      case "public":
      case "public:local":
      case "public:remote":
        belongs = facts.publiclyListed
          && (stream.name === "public" || post.local === (stream.name === "public:local"))
          && await mayView();
        break;
      case "hashtag":
      case "hashtag:local":
        // Mastodon's hashtag streams carry public posts only, as its tag timelines do.
        belongs = facts.publiclyListed && facts.tags.includes(stream.tag!)
          && (stream.name === "hashtag" || post.local)
          && await mayView();
        break;
    }
    if (belongs) matches.push(stream);
  }
  return matches;
}

async function dispatchNotification(deps: AppContext, clients: ReadonlySet<StreamClient>, event: Extract<StreamEvent, { type: "notification" }>): Promise<void> {
  let payload: Promise<string | undefined> | undefined;
  for (const client of [...clients]) {
    if (client.viewer.kind !== "local" || client.viewer.actorId !== event.recipientId) continue;
    // The user stream carries notifications only for a token that may read them (as Mastodon's does).
    const streams = [...client.subscriptions.values()].filter((s) =>
      s.name === "user:notification" || (s.name === "user" && scopeAllows([...client.scopes], "read:notifications")));
    if (streams.length === 0) continue;
    payload ??= (async () => {
      const view = await findNotification(deps.db, event.recipientId, event.notificationId);
      if (!view) return undefined;
      const [notification] = await applyNotificationFilters(deps, event.recipientId, await renderNotifications(deps, event.recipientId, [view]));
      return notification ? JSON.stringify(notification) : undefined;
    })();
    const text = await payload;
    if (text === undefined) return;
    if (!(await stillAuthorized(deps.db, client))) continue;
    for (const stream of streams) client.send(streamLabel(stream), "notification", text);
  }
}

function viewerKey(viewer: Viewer): string {
  switch (viewer.kind) {
    case "anonymous":
      return "anonymous";
    case "server":
      return `server ${viewer.origin}`;
    default:
      return `${viewer.kind} ${viewer.actorId}`;
  }
}
