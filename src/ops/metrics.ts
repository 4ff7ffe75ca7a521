/**
 * The process's Prometheus metrics (prom-client). Counters live in this
 * process only: a web process counts HTTP requests, a worker process counts
 * inbox activities and deliveries (the queues run there). Gauges read from
 * the database at scrape time are registered per running instance
 * (src/ops/metrics-endpoint.ts).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

const httpRequests = new Counter({
  name: "plein_http_requests_total",
  help: "HTTP requests answered, by route pattern, method and status",
  labelNames: ["route", "method", "status"] as const,
  registers: [processRegistry],
});

const httpDuration = new Histogram({
  name: "plein_http_request_duration_seconds",
  help: "Time to answer an HTTP request (until the response headers), by route pattern and method",
  labelNames: ["route", "method"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry],
});

const inboxActivities = new Counter({
  name: "plein_inbox_activities_total",
  help: "Inbox activities handled by this process's queue, by type and result (accepted, rejected: not acted on, failed: retried later)",
  labelNames: ["type", "result"] as const,
  registers: [processRegistry],
});

const deliveries = new Counter({
  name: "plein_deliveries_total",
  help: "Delivery attempts to remote inboxes, by result (delivered, retrying, held, failed, refused)",
  labelNames: ["result"] as const,
  registers: [processRegistry],
});

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Label values must come from a closed set: anything a client chooses is folded into "other". */
export function recordHttpRequest(route: string, method: string, status: number, seconds: number): void {
  const m = METHODS.has(method) ? method : "OTHER";
  httpRequests.inc({ route, method: m, status: String(status) });
  httpDuration.observe({ route, method: m }, seconds);
}

/** Activity types of the ActivityStreams vocabulary; others (extensions, garbage) count as "other". */
const ACTIVITY_TYPES = new Set([
  "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "Flag", "Follow", "Ignore",
  "Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer", "Question", "Read", "Reject", "Remove",
  "TentativeAccept", "TentativeReject", "Travel", "Undo", "Update", "View",
]);

export type InboxResult = "accepted" | "rejected" | "failed";

export function recordInboxActivity(type: string, result: InboxResult): void {
  inboxActivities.inc({ type: ACTIVITY_TYPES.has(type) ? type : "other", result });
}

export type DeliveryResult = "delivered" | "retrying" | "held" | "failed" | "refused";

export function recordDelivery(result: DeliveryResult): void {
  deliveries.inc({ result });
}
