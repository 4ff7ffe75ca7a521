/**
 * PLEIN_METRICS_PORT: /metrics on a listener of its own (loopback unless
 * PLEIN_METRICS_HOST says otherwise), for any role: a worker process has no
 * other HTTP. Anything but GET /metrics is a 404.
 */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { handleError, notFoundHandler } from "../http/errors.ts";
import { metricsHandler } from "./metrics-endpoint.ts";

export function listenForMetrics(registry: Registry, at: { host: string; port: number }, token: string | undefined): Promise<Server> {
  const app = new Hono();
  app.get("/metrics", metricsHandler(registry, token));
  app.notFound(notFoundHandler);
  app.onError(handleError);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: at.host, port: at.port }, () => resolve(server as Server));
    (server as Server).once("error", reject);
  });
}
