/**
 * Mastodon's streaming API (https://docs.joinmastodon.org/methods/streaming/):
 * the HTTP routes (health, Server-Sent Events) mount with the other routers;
 * `startStreaming` makes this web process hear the database's stream events
 * and take WebSocket upgrades.
 */
import type { AppContext } from "../../context.ts";
import { type StreamEventSource, watchStreamEvents } from "../../domain/stream-events.ts";
import { streamHub } from "./hub.ts";
import { type StreamingUpgrades, streamingUpgrades } from "./websocket.ts";

export { mountStreamingHttp } from "./sse.ts";

export interface RunningStreaming {
  upgrades: StreamingUpgrades;
  /**
   * Ends every stream (WebSocket close 1001, SSE responses end), waits up to
   * `deadlineMs` for the WebSocket closing handshakes, stops listening.
   */
  stop(deadlineMs?: number): Promise<void>;
}

export async function startStreaming(source: StreamEventSource, databaseUrl: string | undefined, deps: AppContext): Promise<RunningStreaming> {
  const hub = streamHub(deps);
  const unwatch = await watchStreamEvents(source, databaseUrl, (event) => void hub.publish(event));
  const upgrades = streamingUpgrades(deps);
  return {
    upgrades,
    async stop(deadlineMs = 5000) {
      hub.closeAll();
      await upgrades.close(deadlineMs);
      await unwatch();
    },
  };
}
